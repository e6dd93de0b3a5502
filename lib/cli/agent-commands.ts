import { readFile } from 'node:fs/promises';
import { SingleBar } from 'cli-progress';
import { Command } from 'commander';
import { ZodError } from 'zod';
import { crmUserIdSchema, type Agent } from '../model/agent';
import { parseAgentCsv, type AgentCsvIssue, type AgentCsvResult } from './agents-csv';
import { requireTenant, withStores, type CliDeps, type RunState } from './context';
import { CliError, ReportedError, UsageError } from './errors';
import { renderTable, writeJson, type Output } from './io';

interface ImportOptions {
  dryRun?: boolean;
  skipInvalid?: boolean;
  json?: boolean;
}

export function agentCommand(deps: CliDeps, state: RunState): Command {
  const agent = new Command('agent').description('put, list, delete and import agents');

  agent
    .command('put')
    .description('create or replace an agent')
    .argument('<tenantId>')
    .argument('<crmUserId>', "the agent's user id in the CRM")
    .requiredOption('--extension <digits>', "the agent's PBX extension")
    .option('--email <email>')
    .option('--name <name>')
    .option('--json', 'print JSON')
    .action(
      async (
        tenantId: string,
        crmUserId: string,
        options: { extension: string; email?: string; name?: string; json?: boolean },
        command: Command,
      ) => {
        const id = crmUserIdSchema.safeParse(crmUserId);
        if (!id.success) throw new UsageError(`<crmUserId>: ${id.error.issues[0]?.message}`);
        const { agent: saved, created } = await withStores(command, deps, state, async (stores) => {
          await requireTenant(stores, tenantId);
          const input = {
            extension: options.extension,
            ...(options.email !== undefined ? { email: options.email } : {}),
            ...(options.name !== undefined ? { name: options.name } : {}),
          };
          try {
            return await stores.agents.put(tenantId, crmUserId, input);
          } catch (error) {
            if (error instanceof ZodError) {
              const fields = error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; ');
              throw new CliError(`Invalid agent: ${fields}`, { cause: error });
            }
            throw error;
          }
        });
        if (options.json) return writeJson(deps.stdout, { ...saved, created });
        deps.stdout.write(
          `${created ? 'Created' : 'Updated'} agent ${saved.crmUserId} (extension ${saved.extension}) of tenant ${tenantId}.\n`,
        );
      },
    );

  agent
    .command('list')
    .description("list a tenant's agents")
    .argument('<tenantId>')
    .option('--json', 'print JSON')
    .action(async (tenantId: string, options: { json?: boolean }, command: Command) => {
      const agents = await withStores(command, deps, state, async (stores) => {
        await requireTenant(stores, tenantId);
        return stores.agents.listAll(tenantId);
      });
      if (options.json) return writeJson(deps.stdout, agents);
      if (agents.length === 0) return void deps.stdout.write(`No agents for tenant ${tenantId}.\n`);
      deps.stdout.write(agentTable(agents));
    });

  agent
    .command('delete')
    .description('delete an agent')
    .argument('<tenantId>')
    .argument('<crmUserId>')
    .option('--json', 'print JSON')
    .action(async (tenantId: string, crmUserId: string, options: { json?: boolean }, command: Command) => {
      const deleted = await withStores(command, deps, state, async (stores) => {
        await requireTenant(stores, tenantId);
        return stores.agents.delete(tenantId, crmUserId);
      });
      if (options.json) return writeJson(deps.stdout, { tenantId, crmUserId, deleted });
      if (!deleted) throw new CliError(`Agent ${crmUserId} not found in tenant ${tenantId}`);
      deps.stdout.write(`Deleted agent ${crmUserId} of tenant ${tenantId}.\n`);
    });

  agent
    .command('import')
    .description('create or replace agents from a CSV file (header crmUserId,extension,email,name)')
    .argument('<tenantId>')
    .argument('<file>', 'CSV file; headers match case-insensitively, email and name are optional')
    .option('--dry-run', 'validate only, write nothing')
    .option('--skip-invalid', 'write the valid rows even if some rows are invalid (those are reported and skipped)')
    .option('--json', 'print JSON (no progress output)')
    .addHelpText(
      'after',
      '\nEvery row is validated before anything is written. If any row is invalid, nothing is written\n' +
        'and each problem is reported with its line, unless --skip-invalid is given. A crmUserId on\n' +
        'more than one row makes all those rows invalid. Agents already stored are replaced.',
    )
    .action(async (tenantId: string, file: string, options: ImportOptions, command: Command) => {
      const parsed = parseAgentCsv(await readText(file));
      const { issues, valid } = parsed;
      const blocked = issues.length > 0 && !options.skipInvalid;
      const summary = (written: number) => ({
        tenantId,
        file,
        rows: parsed.total,
        valid: valid.length,
        invalid: parsed.invalidLines.length,
        written,
        skipped: parsed.total - valid.length,
        dryRun: options.dryRun === true,
        errors: issues,
      });

      if (!options.json) writeReport(deps.stderr, file, parsed);
      if (blocked) {
        if (options.json) writeJson(deps.stdout, summary(0));
        else {
          const hint = valid.length > 0 ? `, or give --skip-invalid to write the ${valid.length} valid rows only` : '';
          deps.stderr.write(`Nothing written: ${parsed.invalidLines.length} of ${parsed.total} rows invalid. Fix them${hint}.\n`);
        }
        throw new ReportedError('invalid rows');
      }

      const written = await withStores(command, deps, state, async (stores) => {
        await requireTenant(stores, tenantId);
        if (options.dryRun || valid.length === 0) return 0;
        const progress = options.json ? undefined : startProgress(deps.stderr, valid.length);
        let done = 0;
        try {
          const rows = valid.map(({ line: _line, ...row }) => row);
          return await stores.agents.putMany(tenantId, rows, (n) => {
            done = n;
            progress?.update(n);
          });
        } catch (error) {
          throw new CliError(
            `Import stopped after ${done} of ${valid.length} agents were written (each agent is written whole or not at all; ` +
              `running the same import again is safe): ${(error as Error).message}`,
            { cause: error },
          );
        } finally {
          progress?.stop();
        }
      });

      if (options.json) return writeJson(deps.stdout, summary(written));
      const skipped = parsed.total - valid.length;
      deps.stdout.write(
        options.dryRun
          ? `Dry run: ${valid.length} of ${parsed.total} rows valid, would write ${valid.length}, skip ${skipped}. Nothing written.\n`
          : `Imported agents into tenant ${tenantId}: written ${written}, skipped ${skipped}.\n`,
      );
    });

  return agent;
}

function agentTable(agents: Agent[]): string {
  return renderTable(agents, [
    { header: 'CRM USER ID', value: (a) => a.crmUserId },
    { header: 'EXTENSION', value: (a) => a.extension },
    { header: 'EMAIL', value: (a) => a.email },
    { header: 'NAME', value: (a) => a.name },
    { header: 'UPDATED', value: (a) => a.updatedAt },
  ]);
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(`Cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`, { cause: error });
  }
}

/** The per-row report: one line per problem, with the line number an editor jumps to. */
function writeReport(out: Output, file: string, parsed: AgentCsvResult): void {
  if (parsed.issues.length === 0) return;
  out.write(`${parsed.invalidLines.length} of ${parsed.total} rows in ${file} are invalid:\n`);
  out.write(
    renderTable<AgentCsvIssue>(parsed.issues, [
      { header: 'LINE', value: (i) => String(i.line) },
      { header: 'CRM USER ID', value: (i) => i.crmUserId },
      { header: 'FIELD', value: (i) => i.field },
      { header: 'PROBLEM', value: (i) => i.message },
    ]),
  );
}

interface Progress {
  update(written: number): void;
  stop(): void;
}

/** A bar on a terminal; otherwise a line now and then, so a log shows the import moving. */
function startProgress(out: Output, total: number): Progress {
  if (out.isTTY) {
    const bar = new SingleBar({
      stream: out as NodeJS.WritableStream,
      format: 'agents [{bar}] {percentage}% | {value}/{total}',
      hideCursor: true,
      clearOnComplete: false,
    });
    bar.start(total, 0);
    return { update: (n) => bar.update(n), stop: () => bar.stop() };
  }
  let reported = 0;
  const step = Math.max(25, Math.ceil(total / 10));
  return {
    update: (n) => {
      if (n === total || n - reported >= step) {
        reported = n;
        out.write(`written ${n}/${total}\n`);
      }
    },
    stop: () => undefined,
  };
}
