import { readFile } from 'node:fs/promises';
import { SingleBar } from 'cli-progress';
import { Command } from 'commander';
import { ZodError } from 'zod';
import { AgentDirectory, MAX_UNTIL_AHEAD_SEC, type AgentAvailability } from '../agents/directory';
import { crmUserIdSchema, type Agent } from '../model/agent';
import { AgentPresenceRepository } from '../store/agent-presence';
import { ExtensionTakenError } from '../store/agent-extensions';
import type { PutManyResult } from '../store/agents';
import { parseAgentCsv, TEAM_SEPARATOR, type AgentCsvIssue, type AgentCsvResult } from './agents-csv';
import { requireTenant, withStores, type CliDeps, type RunState, type Stores } from './context';
import { CliError, ReportedError, UsageError } from './errors';
import { renderTable, terminalOf, writeJson, type Output } from './io';

interface ImportOptions {
  dryRun?: boolean;
  skipInvalid?: boolean;
  force?: boolean;
  json?: boolean;
}

export function agentCommand(deps: CliDeps, state: RunState): Command {
  const agent = new Command('agent').description("put, list, delete and import agents; set an agent's availability");

  agent
    .command('put')
    .description('create or replace an agent')
    .argument('<tenantId>')
    .argument('<crmUserId>', "the agent's user id in the CRM")
    .requiredOption('--extension <digits>', "the agent's PBX extension")
    .option('--email <email>')
    .option('--name <name>')
    .option('--teams <names>', 'the teams the agent is in, comma-separated (sales,support); none when left out')
    .option('--force', 'take the extension from the agent that holds it: that agent is removed')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nOne agent per extension: an extension another agent holds is refused (exit 1) unless --force moves it.')
    .action(
      async (
        tenantId: string,
        crmUserId: string,
        options: { extension: string; email?: string; name?: string; teams?: string; force?: boolean; json?: boolean },
        command: Command,
      ) => {
        const id = crmUserIdSchema.safeParse(crmUserId);
        if (!id.success) throw new UsageError(`<crmUserId>: ${id.error.issues[0]?.message}`);
        const teams = options.teams?.split(',').flatMap((t) => (t.trim() === '' ? [] : [t.trim()]));
        const {
          agent: saved,
          created,
          displaced,
        } = await withStores(command, deps, state, async (stores) => {
          await requireTenant(stores, tenantId);
          const input = {
            extension: options.extension,
            ...(options.email !== undefined ? { email: options.email } : {}),
            ...(options.name !== undefined ? { name: options.name } : {}),
            ...(teams !== undefined ? { teams } : {}),
          };
          try {
            return await stores.agents.put(tenantId, crmUserId, input, { force: options.force === true });
          } catch (error) {
            if (error instanceof ExtensionTakenError) {
              throw new CliError(
                `Extension ${error.extension} is taken by agent ${error.holder} of tenant ${tenantId}: give another --extension, ` +
                  `or --force to move it (agent ${error.holder} is then removed).`,
                { cause: error },
              );
            }
            if (error instanceof ZodError) {
              const fields = error.issues
                .map((i) => {
                  // A bad team is named by its value: "--teams.2" would send the operator counting.
                  const team = i.path[0] === 'teams' && typeof i.path[1] === 'number' ? teams?.[i.path[1]] : undefined;
                  return `--${String(i.path[0] ?? 'value')}: ${team !== undefined ? `${JSON.stringify(team)}: ` : ''}${i.message}`;
                })
                .join('; ');
              throw new CliError(`Invalid agent: ${fields}`, { cause: error });
            }
            throw error;
          }
        });
        if (options.json) return writeJson(deps.stdout, { ...saved, created, displaced });
        deps.stdout.write(
          `${created ? 'Created' : 'Updated'} agent ${saved.crmUserId} (extension ${saved.extension}) of tenant ${tenantId}.\n`,
        );
        for (const holder of displaced) deps.stdout.write(`Moved extension ${saved.extension} from agent ${holder}, which was removed.\n`);
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
        return directoryOf(stores).delete(tenantId, crmUserId);
      });
      if (options.json) return writeJson(deps.stdout, { tenantId, crmUserId, deleted });
      if (!deleted) throw new CliError(`Agent ${crmUserId} not found in tenant ${tenantId}`);
      deps.stdout.write(`Deleted agent ${crmUserId} of tenant ${tenantId}.\n`);
    });

  agent
    .command('import')
    .description('create or replace agents from a CSV file (header crmUserId,extension,email,name,teams)')
    .argument('<tenantId>')
    .argument('<file>', 'CSV file; headers match case-insensitively, email, name and teams are optional')
    .option('--dry-run', 'validate only, write nothing')
    .option('--skip-invalid', 'write the valid rows even if some rows are invalid (those are reported and skipped)')
    .option('--force', "take each row's extension from the agent that holds it (that agent is removed)")
    .option('--json', 'print JSON (no progress output)')
    .addHelpText(
      'after',
      '\nEvery row is validated before anything is written. If any row is invalid, nothing is written\n' +
        'and each problem is reported with its line, unless --skip-invalid is given. A crmUserId on\n' +
        'more than one row makes all those rows invalid, and so does an extension on more than one row.\n' +
        'Agents already stored are replaced. A row whose extension another agent of the tenant holds is\n' +
        'reported and not written (exit 1), unless --force moves the extension (that agent is removed).\n' +
        `The teams column holds team names separated by ${TEAM_SEPARATOR} (sales${TEAM_SEPARATOR}support); an empty cell: no team.`,
    )
    .action(async (tenantId: string, file: string, options: ImportOptions, command: Command) => {
      const parsed = parseAgentCsv(await readText(file));
      const { issues, valid } = parsed;
      const blocked = issues.length > 0 && !options.skipInvalid;
      const summary = (result: PutManyResult) => ({
        tenantId,
        file,
        rows: parsed.total,
        valid: valid.length,
        invalid: parsed.invalidLines.length,
        written: result.written,
        skipped: parsed.total - result.written,
        dryRun: options.dryRun === true,
        errors: issues,
        extensionsTaken: result.taken.map((t) => ({ line: lineOf.get(t.crmUserId), ...t })),
        displaced: result.displaced,
      });
      const lineOf = new Map(valid.map((row) => [row.crmUserId, row.line]));
      const NONE: PutManyResult = { written: 0, taken: [], displaced: [] };

      if (!options.json) writeReport(deps.stderr, file, parsed);
      if (blocked) {
        if (options.json) writeJson(deps.stdout, summary(NONE));
        else {
          const hint = valid.length > 0 ? `, or give --skip-invalid to write the ${valid.length} valid rows only` : '';
          deps.stderr.write(`Nothing written: ${parsed.invalidLines.length} of ${parsed.total} rows invalid. Fix them${hint}.\n`);
        }
        throw new ReportedError('invalid rows');
      }

      const result = await withStores(command, deps, state, async (stores) => {
        await requireTenant(stores, tenantId);
        if (options.dryRun || valid.length === 0) return NONE;
        const progress = options.json ? undefined : startProgress(deps.stderr, valid.length);
        let done = 0;
        try {
          const rows = valid.map(({ line: _line, ...row }) => row);
          return await stores.agents.putMany(
            tenantId,
            rows,
            (n) => {
              done = n;
              progress?.update(n);
            },
            { force: options.force === true },
          );
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

      if (options.json) {
        writeJson(deps.stdout, summary(result));
        if (result.taken.length > 0) throw new ReportedError('extensions taken');
        return;
      }
      const skipped = parsed.total - valid.length;
      if (options.dryRun) {
        deps.stdout.write(
          `Dry run: ${valid.length} of ${parsed.total} rows valid, would write ${valid.length}, skip ${skipped}. Nothing written.\n`,
        );
        return;
      }
      for (const holder of result.displaced) deps.stdout.write(`Moved an extension from agent ${holder}, which was removed.\n`);
      deps.stdout.write(`Imported agents into tenant ${tenantId}: written ${result.written}, skipped ${parsed.total - result.written}.\n`);
      if (result.taken.length > 0) {
        deps.stderr.write(`${result.taken.length} rows not written: their extension is another agent's (--force moves it):\n`);
        deps.stderr.write(
          renderTable(result.taken, [
            { header: 'LINE', value: (t) => String(lineOf.get(t.crmUserId) ?? '') },
            { header: 'CRM USER ID', value: (t) => t.crmUserId },
            { header: 'EXTENSION', value: (t) => t.extension },
            { header: 'HELD BY', value: (t) => t.heldBy },
          ]),
        );
        throw new ReportedError('extensions taken');
      }
    });

  agent
    .command('availability')
    .description("set an agent's away toggle: the team router passes over an away agent")
    .argument('<tenantId>')
    .argument('<crmUserId>')
    .option('--away', 'away from now: until --until, or until set back with --available')
    .option('--available', 'available from now; with --until, away from then on')
    .option('--until <time>', 'an RFC 3339 time with an offset (2026-03-02T18:00:00+01:00), or from now: 90m, 8h, 2d (at most 30 days)')
    .option('--json', 'print JSON')
    .action(
      async (
        tenantId: string,
        crmUserId: string,
        options: { away?: boolean; available?: boolean; until?: string; json?: boolean },
        command: Command,
      ) => {
        if (options.away === options.available) throw new UsageError('Give exactly one of --away and --available');
        const id = crmUserIdSchema.safeParse(crmUserId);
        if (!id.success) throw new UsageError(`<crmUserId>: ${id.error.issues[0]?.message}`);
        const until = options.until === undefined ? undefined : untilOf(options.until, new Date());
        const result = await withStores(command, deps, state, async (stores) => {
          await requireTenant(stores, tenantId);
          return directoryOf(stores).setAvailability(tenantId, crmUserId, { available: options.available === true, until });
        });
        if (result.kind === 'not_found') throw new CliError(`Agent ${crmUserId} not found in tenant ${tenantId}`);
        if (result.kind === 'invalid') throw new CliError(`--until: ${result.message}`);
        if (options.json) return writeJson(deps.stdout, result.agent);
        deps.stdout.write(`Agent ${crmUserId} of tenant ${tenantId}: ${describeAvailability(result.agent.availability)}.\n`);
      },
    );

  return agent;
}

/** The agents, teams and availability of the table the command works on, as the API reads them. */
export function directoryOf(stores: Stores): AgentDirectory {
  return new AgentDirectory({ agents: stores.agents, presence: new AgentPresenceRepository(stores.table) });
}

/** `--until`: an RFC 3339 time with an offset, or a span from `now` (90m, 8h, 2d), as the API's RFC 3339 `until`. */
export function untilOf(value: string, now: Date): string {
  const span = /^(\d{1,5})([mhd])$/.exec(value.trim());
  if (span) {
    const seconds = Number(span[1]) * { m: 60, h: 3600, d: 86_400 }[span[2] as 'm' | 'h' | 'd'];
    if (seconds > MAX_UNTIL_AHEAD_SEC) throw new CliError('--until: must be at most 30 days ahead');
    return new Date(now.getTime() + seconds * 1000).toISOString();
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value) && Number.isFinite(Date.parse(value))) {
    // The API takes seconds: a time given to the minute is the same instant.
    return new Date(Date.parse(value)).toISOString();
  }
  throw new CliError(`--until: ${JSON.stringify(value)} is neither an RFC 3339 time with an offset nor a span such as 90m, 8h, 2d`);
}

/** One phrase for an availability: "away until 2026-03-02T17:00:00.000Z", "on a call (c_...)". */
export function describeAvailability(a: AgentAvailability): string {
  switch (a.state) {
    case 'away':
      return a.until ? `away until ${a.until}` : 'away until set back';
    case 'available':
      return a.until ? `available, away from ${a.until}` : 'available';
    case 'on_call':
      return `on a call${a.busyCallId ? ` (${a.busyCallId})` : ''}`;
    case 'placing_call':
      return 'a call is being placed for the agent';
  }
}

function agentTable(agents: Agent[]): string {
  return renderTable(agents, [
    { header: 'CRM USER ID', value: (a) => a.crmUserId },
    { header: 'EXTENSION', value: (a) => a.extension },
    { header: 'EMAIL', value: (a) => a.email },
    { header: 'NAME', value: (a) => a.name },
    { header: 'TEAMS', value: (a) => a.teams?.join(',') },
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
      stream: terminalOf(out) as NodeJS.WritableStream,
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
