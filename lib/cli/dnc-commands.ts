import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { CsvError, parse } from 'csv-parse/sync';
import { DoNotCallList } from '../calls/do-not-call';
import { maskNumber } from '../policy/phone';
import { DoNotCallRepository } from '../store/do-not-call';
import { requireTenant, withStores, type CliDeps, type RunState } from './context';
import { CliError, ReportedError } from './errors';
import { renderTable, writeJson } from './io';

/** A number of an import file that cannot be listed, with its line. */
interface ImportIssue {
  line: number;
  message: string;
}

/**
 * `c2c dnc`: the tenant's do-not-call list (docs/api.md, "Do-not-call list"). The table keeps each number's keyed
 * hash, never the number, so the CLI never prints a listed number back whole: `list` shows the entries' ids and dates
 * and looks one number up with --number; what it echoes of a number the operator typed is masked.
 */
export function dncCommand(deps: CliDeps, state: RunState): Command {
  const dnc = new Command('dnc').description("the tenant's do-not-call list: add, remove, list and import numbers");

  dnc
    .command('add')
    .description('put numbers on the list: calls to them are refused (422 do_not_call), nothing dialled')
    .argument('<tenantId>')
    .argument('<numbers...>', "E.164 or national (read in the tenant's default country)")
    .option('--json', 'print JSON')
    .action(async (tenantId: string, numbers: string[], options: { json?: boolean }, command: Command) => {
      const results = await withStores(command, deps, state, async (stores) => {
        const tenant = await requireTenant(stores, tenantId);
        const e164s = numbers.map((n) => e164OrUsage(n, tenant));
        const repository = new DoNotCallRepository(stores.table);
        return Promise.all(e164s.map(async (e164) => ({ e164, ...(await repository.add(tenantId, e164, 'cli')) })));
      });
      if (options.json)
        return writeJson(
          deps.stdout,
          results.map(({ e164, entry, created }) => ({ number: maskNumber(e164), ...entry, created })),
        );
      for (const { e164, created } of results) {
        deps.stdout.write(`${created ? 'Listed' : 'Already listed'} ${maskNumber(e164)} for tenant ${tenantId}.\n`);
      }
    });

  dnc
    .command('remove')
    .description('take a number off the list')
    .argument('<tenantId>')
    .argument('<number>')
    .option('--json', 'print JSON')
    .action(async (tenantId: string, number: string, options: { json?: boolean }, command: Command) => {
      const { e164, removed } = await withStores(command, deps, state, async (stores) => {
        const tenant = await requireTenant(stores, tenantId);
        const e164 = e164OrUsage(number, tenant);
        return { e164, removed: await new DoNotCallRepository(stores.table).remove(tenantId, e164) };
      });
      if (options.json) return writeJson(deps.stdout, { number: maskNumber(e164), removed });
      if (!removed) throw new CliError(`${maskNumber(e164)} is not on the do-not-call list of tenant ${tenantId}`);
      deps.stdout.write(`Removed ${maskNumber(e164)} from the do-not-call list of tenant ${tenantId}.\n`);
    });

  dnc
    .command('list')
    .description('count the entries and show their ids and dates (numbers are kept hashed), or look one number up')
    .argument('<tenantId>')
    .option('--number <number>', 'whether this number is listed, and since when')
    .option('--json', 'print JSON')
    .action(async (tenantId: string, options: { number?: string; json?: boolean }, command: Command) => {
      await withStores(command, deps, state, async (stores) => {
        const tenant = await requireTenant(stores, tenantId);
        const repository = new DoNotCallRepository(stores.table);
        if (options.number !== undefined) {
          const e164 = e164OrUsage(options.number, tenant);
          const entry = await repository.get(tenantId, e164);
          if (options.json) return writeJson(deps.stdout, { number: maskNumber(e164), listed: entry !== undefined, ...entry });
          deps.stdout.write(
            entry ? `${maskNumber(e164)} is listed since ${entry.addedAt} (by ${entry.by}).\n` : `${maskNumber(e164)} is not listed.\n`,
          );
          return;
        }
        const entries = await repository.listAll(tenantId);
        if (options.json) return writeJson(deps.stdout, { tenantId, count: entries.length, entries });
        deps.stdout.write(
          `${entries.length} numbers on the do-not-call list of tenant ${tenantId} (kept hashed: look one up with --number).\n`,
        );
        if (entries.length > 0) {
          deps.stdout.write(
            renderTable(entries, [
              { header: 'ID', value: (e) => e.id },
              { header: 'ADDED', value: (e) => e.addedAt },
              { header: 'BY', value: (e) => e.by },
            ]),
          );
        }
      });
    });

  dnc
    .command('import')
    .description('put every number of a CSV file on the list (a column named number; other columns are ignored)')
    .argument('<tenantId>')
    .argument('<file>')
    .option('--skip-invalid', 'list the valid numbers even if some are invalid (those are reported)')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nEvery number is read before anything is written: one invalid number writes nothing, unless --skip-invalid.')
    .action(async (tenantId: string, file: string, options: { skipInvalid?: boolean; json?: boolean }, command: Command) => {
      const rows = readNumbers(await readText(file));
      const summary = await withStores(command, deps, state, async (stores) => {
        const tenant = await requireTenant(stores, tenantId);
        const issues: ImportIssue[] = [];
        const valid: string[] = [];
        for (const { line, number } of rows) {
          try {
            valid.push(DoNotCallList.e164Of(number, tenant, 'number'));
          } catch {
            issues.push({ line, message: number === '' ? 'no number' : 'not a valid phone number' });
          }
        }
        if (issues.length > 0 && !options.skipInvalid) return { added: 0, already: 0, issues, written: false };
        const repository = new DoNotCallRepository(stores.table);
        let added = 0;
        const unique = [...new Set(valid)];
        for (let i = 0; i < unique.length; i += 25) {
          const done = await Promise.all(unique.slice(i, i + 25).map((e164) => repository.add(tenantId, e164, 'cli-import')));
          added += done.filter((d) => d.created).length;
        }
        return { added, already: unique.length - added, issues, written: true };
      });
      if (options.json) {
        writeJson(deps.stdout, { tenantId, file, rows: rows.length, ...summary });
      } else {
        if (summary.issues.length > 0) {
          deps.stderr.write(`${summary.issues.length} of ${rows.length} rows in ${file} are invalid:\n`);
          deps.stderr.write(
            renderTable(summary.issues, [
              { header: 'LINE', value: (i) => String(i.line) },
              { header: 'PROBLEM', value: (i) => i.message },
            ]),
          );
        }
        deps.stdout.write(
          summary.written
            ? `Do-not-call list of tenant ${tenantId}: added ${summary.added}, already listed ${summary.already}, invalid ${summary.issues.length}.\n`
            : `Nothing written: ${summary.issues.length} of ${rows.length} rows invalid. Fix them, or give --skip-invalid.\n`,
        );
      }
      if (!summary.written) throw new ReportedError('invalid rows');
    });

  return dnc;
}

function e164OrUsage(raw: string, tenant: { defaultCountry: string }): string {
  try {
    return DoNotCallList.e164Of(raw, tenant, 'number');
  } catch {
    // The raw input is the operator's own: echoing it masked is enough for them to find it.
    throw new CliError(`${maskNumber(raw)} is not a valid phone number (read in ${tenant.defaultCountry})`);
  }
}

/** The `number` column of a CSV file, with each row's line. */
function readNumbers(text: string): Array<{ line: number; number: string }> {
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parse(text.replace(/\r\n?/g, '\n'), {
      bom: true,
      info: true,
      trim: true,
      skip_empty_lines: true,
      relax_column_count: true,
    }) as unknown as typeof records;
  } catch (error) {
    if (error instanceof CsvError) throw new CliError(`Not a readable CSV file: ${error.message}`, { cause: error });
    throw error;
  }
  const [header, ...rows] = records;
  const column = header?.record.findIndex((field) => field.toLowerCase() === 'number') ?? -1;
  if (column === -1) throw new CliError('The file needs a header line with a column named number');
  return rows.map(({ record, info }) => ({ line: info.lines, number: record[column] ?? '' }));
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(`Cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`, { cause: error });
  }
}
