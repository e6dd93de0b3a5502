import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import * as z from 'zod';
import type { CheckResult, CheckStatus } from '../doctor/checks';
import { runDoctor, type DoctorReport } from '../doctor/run';
import { SecretOpenError } from '../secrets/seal';
import { CorruptItemError } from '../store/errors';
import { withStores, type CliDeps, type RunState } from './context';
import { CliError, ReportedError, UsageError } from './errors';
import { oneLine, writeJson, type Output } from './io';
import { outboundPolicyOf } from './target';
import { wholeNumber } from './numbers';

const parseTimeout = wholeNumber(100, 30_000, 'milliseconds');

interface DoctorCommandOptions {
  tenant: string;
  apiUrl?: string;
  apiKeyEnv?: string;
  tempKey?: boolean;
  timeoutMs: number;
  json?: boolean;
}

const MARK: Record<CheckStatus, string> = { ok: '✓', warn: '!', problem: '✗' };

const HELP = `
Checks, each ✓ ok, ! warning or ✗ problem (docs/troubleshooting.md has one entry per check):
  tenant exists, is active, settings valid; PBX settings fit together; PBX host resolves and
  answers TLS (TCP for http) from this machine; the stage's egress IP (GET /v1/health); whether
  the PBX allowlists it (a probe sent from the stage that rings nothing); agents: none, without
  an extension, sharing one; webhook sources without a secret; callback URL reachable (a signed
  "ping" event); PBX Stats token; each CRM connection calls are logged through (a read-only
  call proving its credentials and scopes; a held one with the CRM's reason); calls waiting for
  their outcome; calls flagged by the reconciler; failing and dead-lettered notifications.

The allowlist probe needs the API URL and a key of the tenant with calls:write: --api-key-env VAR,
or --temp-key (issued for this run, revoked after). On the local stack both come from
.local/stack.json for the demo tenant.

Exit code: 0 when nothing is a problem (warnings allowed), 1 when something is, 2 for a wrong command line.

Examples:
  c2c doctor --tenant demo
  C2C_KEY=c2c_acme_... c2c --stage prod doctor --tenant acme --api-url https://api.example.com --api-key-env C2C_KEY
  c2c --stage prod doctor --tenant acme --api-url https://api.example.com --temp-key --json`;

/** `c2c doctor --tenant T`: checks a tenant's setup end to end and says what is wrong in plain words. */
export function doctorCommand(deps: CliDeps, state: RunState): Command {
  return new Command('doctor')
    .description("check a tenant's setup end to end: PBX, allowlist, agents, webhooks, callback, CRM connections, outcomes")
    .requiredOption('--tenant <tenantId>', 'the tenant to check')
    .option('--api-url <url>', "the stage's API base URL (HttpApiUrl output or custom domain); default C2C_API_URL, else the local stack")
    .option('--api-key-env <VAR>', 'name of the environment variable holding a calls:write key of the tenant, for the allowlist probe')
    .option('--temp-key', 'issue a calls:write key of the tenant for the probe, and revoke it when done')
    .option('--timeout-ms <ms>', 'budget of each network step from this machine (100-30000)', parseTimeout, 5_000)
    .option('--json', 'print JSON')
    .addHelpText('after', HELP)
    .action(async (options: DoctorCommandOptions, command: Command) => {
      if (options.apiKeyEnv && options.tempKey) throw new UsageError('--api-key-env and --temp-key cannot be used together');
      const apiKeyFromEnv = options.apiKeyEnv ? readKeyFromEnv(deps, options.apiKeyEnv) : undefined;

      const report = await withStores(command, deps, state, async (stores) => {
        const local = stores.target.kind === 'local' ? readLocalFacts(deps.stackFile) : undefined;
        const apiUrl = options.apiUrl ?? nonEmpty(deps.env.C2C_API_URL) ?? local?.apiUrl;
        if (apiUrl !== undefined && !z.url().safeParse(apiUrl).success)
          throw new UsageError(`--api-url: not a URL: ${JSON.stringify(apiUrl)}`);

        let apiKey = apiKeyFromEnv ? { key: apiKeyFromEnv, source: `--api-key-env ${options.apiKeyEnv}` } : undefined;
        if (!apiKey && !options.tempKey && local?.demo?.tenantId === options.tenant && local.demo.apiKey) {
          apiKey = { key: local.demo.apiKey, source: "the local stack's demo key" };
        }
        let tempKeyId: string | undefined;
        if (options.tempKey && apiUrl) {
          // A tenant that does not pass its schema, or whose secrets do not open, is the doctor's to report; a store
          // that fails is not to be hidden behind "no such tenant".
          const tenant = await stores.tenants.get(options.tenant).catch((error: unknown) => {
            if (error instanceof CorruptItemError || error instanceof SecretOpenError) return undefined;
            throw error;
          });
          if (tenant) {
            const issued = await stores.keys.issue(options.tenant, 'c2c doctor (temporary)', ['calls:write']);
            tempKeyId = issued.record.keyId;
            apiKey = { key: issued.key, source: `temporary key ${tempKeyId}` };
          }
        }
        try {
          return await runDoctor({
            tenantId: options.tenant,
            table: stores.table,
            where: stores.target.description,
            apiUrl,
            apiKey,
            timeoutMs: options.timeoutMs,
            outbound: outboundPolicyOf(stores.target, deps.env),
            sealer: stores.sealer,
            callIndexes: stores.callIndexes,
          });
        } finally {
          if (tempKeyId) await stores.keys.revoke(options.tenant, tempKeyId);
        }
      });

      if (options.json) writeJson(deps.stdout, report);
      else render(deps.stdout, report);
      if (report.exitCode !== 0) throw new ReportedError(`${report.summary.problem} problem(s) found`);
    });
}

function render(out: Output, report: DoctorReport): void {
  const width = Math.max(...report.checks.map((c) => c.title.length));
  out.write(`c2c doctor: ${oneLine(`tenant ${report.tenantId}, ${report.where}${report.apiUrl ? `, API ${report.apiUrl}` : ''}`)}\n\n`);
  for (const check of report.checks) out.write(renderCheck(check, width));
  const { ok, warn, problem } = report.summary;
  const parts = [
    ...(problem ? [`${problem} problem${problem === 1 ? '' : 's'}`] : []),
    ...(warn ? [`${warn} warning${warn === 1 ? '' : 's'}`] : []),
    `${ok} ok`,
  ];
  const verdict = problem ? 'Something is wrong' : warn ? 'Nothing is broken' : 'All good';
  out.write(
    `\n${verdict}: ${parts.join(', ')} (${(report.durationMs / 1000).toFixed(1)} s). What each check means: docs/troubleshooting.md\n`,
  );
}

/** A check's lines; its message and fix quote stored names (agents, sources, the tenant's), each on one line. */
function renderCheck(check: CheckResult, width: number): string {
  const head = `  ${MARK[check.status]} ${check.title.padEnd(width)}  `;
  const indent = ' '.repeat(head.length);
  let text = `${head}${oneLine(check.message)}\n`;
  if (check.fix && check.status !== 'ok') text += `${indent}→ ${oneLine(check.fix)}\n`;
  return text;
}

interface LocalFacts {
  apiUrl?: string;
  demo?: { tenantId?: string; apiKey?: string };
}

/** The local stack's facts (`.local/stack.json`): its API URL and the demo tenant's key. */
function readLocalFacts(stackFile: string): LocalFacts | undefined {
  try {
    const facts = JSON.parse(readFileSync(stackFile, 'utf8')) as Record<string, unknown>;
    const demo = (facts.demo ?? {}) as Record<string, unknown>;
    return {
      ...(typeof facts.apiUrl === 'string' ? { apiUrl: facts.apiUrl } : {}),
      demo: {
        ...(typeof demo.tenantId === 'string' ? { tenantId: demo.tenantId } : {}),
        ...(typeof demo.apiKey === 'string' ? { apiKey: demo.apiKey } : {}),
      },
    };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(`Cannot read ${stackFile}: ${(error as Error).message}`, { cause: error });
  }
}

function readKeyFromEnv(deps: CliDeps, name: string): string {
  const value = nonEmpty(deps.env[name]);
  if (!value) throw new UsageError(`--api-key-env ${name}: the environment variable ${name} is not set`);
  return value;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
