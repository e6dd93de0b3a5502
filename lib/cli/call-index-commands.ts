import { Command, InvalidArgumentError } from 'commander';
import type { CallIndexMode } from '../store/call-index-keys';
import {
  backfillCallIndexKeys,
  decodeScanCursor,
  DEFAULT_SCAN_PAGE_SIZE,
  stripLegacyCallIndexKeys,
  type ScanPassOptions,
} from '../store/call-index-migration';
import { DEFAULT_LEAD_SAMPLE, verifyCallIndexes, type ListingComparison } from '../store/call-index-verify';
import { callIndexModeOf, withStores, type CliDeps, type RunState } from './context';
import { ReportedError, UsageError } from './errors';
import { renderTable, writeJson, type Output } from './io';
import { wholeNumber } from './numbers';

interface PassOptions {
  pageSize: number;
  start?: string;
  maxPages?: number;
  json?: boolean;
}

const HELP = `
The steps, in order (docs/operations.md, "Narrowing the call indexes"): deploy with --param="callIndexes=add-tenant",
then add-agent, then add-lead, each once the table is ACTIVE again; then backfill, verify, deploy switched, then
legacy-off; then strip (with CALL_INDEXES=narrow, the mode legacy-off deploys); then deploy done (the default).
A backfill or strip prints a cursor after each page (on stderr): --start CURSOR resumes an interrupted run.

Examples:
  c2c --stage prod call-indexes backfill --page-size 500
  c2c --stage prod call-indexes verify --tenant acme
  CALL_INDEXES=narrow c2c --stage prod call-indexes strip --start eyJwayI6...`;

/** `c2c call-indexes ...`: the data steps of the migration to the keys-only call indexes. */
export function callIndexesCommand(deps: CliDeps, state: RunState): Command {
  const command = new Command('call-indexes')
    .description('move a table deployed before the keys-only call indexes: backfill their keys, verify the listings, strip the old keys')
    .addHelpText('after', HELP);

  passOptions(
    command
      .command('backfill')
      .description("give every call item the keys-only indexes' keys (one write per call lacking them); safe to repeat and to resume"),
  ).action(async (options: PassOptions, cmd: Command) => {
    const report = await withStores(cmd, deps, state, (stores) => backfillCallIndexKeys(stores.table, scanOptions(options, deps.stderr)));
    if (options.json) return writeJson(deps.stdout, report);
    deps.stdout.write(
      `Scanned ${report.scanned} items, ${report.callItems} calls: ${report.backfilled} backfilled, ${report.alreadyHadKeys} had the keys already, ${report.refused} changed meanwhile (left as they are), ${report.skipped} skipped.\n`,
    );
    if (report.skipped > 0)
      deps.stdout.write(
        `Skipped (no creation time or tenant): ${report.skippedCalls.join(', ')}${more(report.skipped, report.skippedCalls)}\n`,
      );
    if (report.next) deps.stdout.write(`More: --start ${report.next}\n`);
  });

  command
    .command('verify')
    .description('compare the old and new call listings per tenant, agent and (a sample of) lead: says whether the switch is safe')
    .option('--tenant <tenantId>', 'only this tenant (default: every tenant with calls, found by a scan)')
    .option('--lead-sample <n>', `leads compared per tenant (0-10000, default ${DEFAULT_LEAD_SAMPLE})`, wholeNumber(0, 10_000))
    .option('--json', 'print JSON')
    .action(async (options: { tenant?: string; leadSample?: number; json?: boolean }, cmd: Command) => {
      const report = await withStores(cmd, deps, state, (stores) =>
        verifyCallIndexes(stores.table, {
          ...(options.tenant !== undefined ? { tenantId: options.tenant } : {}),
          ...(options.leadSample !== undefined ? { leadSample: options.leadSample } : {}),
        }),
      );
      if (options.json) writeJson(deps.stdout, report);
      else {
        if (report.comparisons.length > 0) deps.stdout.write(comparisonTable(report.comparisons));
        deps.stdout.write(
          `${report.tenants} tenants, ${report.agentsChecked} agents and ${report.leadsChecked} of ${report.leadsSeen} leads compared. ` +
            (report.safe
              ? 'Safe to switch: the new indexes list every call the old ones do.\n'
              : 'NOT safe to switch: the new indexes miss calls (run the backfill, wait for the indexes to be ACTIVE, verify again).\n'),
        );
      }
      // The report said why: exit 1 so that a script stops before the switch.
      if (!report.safe) throw new ReportedError('the new call indexes miss calls the old ones list');
    });

  passOptions(
    command
      .command('strip')
      .description("remove the old indexes' keys from call items (agents and API keys keep theirs); only with CALL_INDEXES=narrow"),
  ).action(async (options: PassOptions, cmd: Command) => {
    const mode = deployedMode(deps.env);
    const report = await withStores(cmd, deps, state, (stores) =>
      stripLegacyCallIndexKeys(stores.table, mode, scanOptions(options, deps.stderr)),
    );
    if (options.json) return writeJson(deps.stdout, report);
    deps.stdout.write(
      `Scanned ${report.scanned} items, ${report.callItems} calls: ${report.stripped} stripped, ${report.alreadyStripped} had no old keys, ${report.refused} changed meanwhile, ${report.notBackfilled} not backfilled (kept).\n`,
    );
    if (report.notBackfilled > 0)
      deps.stdout.write(
        `Not backfilled, run the backfill first: ${report.notBackfilledCalls.join(', ')}${more(report.notBackfilled, report.notBackfilledCalls)}\n`,
      );
    if (report.next) deps.stdout.write(`More: --start ${report.next}\n`);
  });

  return command;
}

function passOptions(command: Command): Command {
  return command
    .option(
      '--page-size <n>',
      `items each scan page reads (1-10000, default ${DEFAULT_SCAN_PAGE_SIZE})`,
      wholeNumber(1, 10_000),
      DEFAULT_SCAN_PAGE_SIZE,
    )
    .option('--start <cursor>', 'resume after the item this cursor names (printed after each page)', parseCursor)
    .option('--max-pages <n>', 'stop after this many pages and print where to resume', wholeNumber(1, 1_000_000))
    .option('--json', 'print JSON');
}

/** A pass's options, with the cursor after each page on stderr: what an operator needs when the run is cut short. */
function scanOptions(options: PassOptions, stderr: Output): ScanPassOptions {
  return {
    pageSize: options.pageSize,
    ...(options.start !== undefined ? { start: options.start } : {}),
    ...(options.maxPages !== undefined ? { maxPages: options.maxPages } : {}),
    onPage: ({ pages, scanned, next }) =>
      void stderr.write(`page ${pages}: ${scanned} items scanned${next ? `; resume with --start ${next}` : '; done'}\n`),
  };
}

/**
 * The mode the stage's functions run in, as the operator states it (`CALL_INDEXES`, the variable the functions read):
 * no default, since the strip is only safe once no function writes or reads the old keys.
 */
function deployedMode(env: NodeJS.ProcessEnv): CallIndexMode {
  const mode = callIndexModeOf(env);
  if (!mode) {
    throw new UsageError(
      'CALL_INDEXES: set it to the mode the stage runs (narrow once the legacy-off step is deployed): the strip refuses to guess',
    );
  }
  return mode;
}

function parseCursor(value: string): string {
  if (!decodeScanCursor(value)) throw new InvalidArgumentError('not a cursor printed by backfill or strip');
  return value;
}

const more = (total: number, listed: string[]) => (total > listed.length ? ` and ${total - listed.length} more` : '');

function comparisonTable(rows: ListingComparison[]): string {
  return renderTable(rows, [
    { header: 'SCOPE', value: (r) => r.scope },
    { header: 'TENANT', value: (r) => r.tenantId },
    { header: 'SUBJECT', value: (r) => (r.scope === 'tenant' ? '' : r.subject) },
    { header: 'OLD', value: (r) => String(r.legacy) },
    { header: 'NEW', value: (r) => String(r.narrow) },
    { header: 'MISSING', value: (r) => (r.missing ? `${r.missing}: ${r.missingCalls.join(' ')}${more(r.missing, r.missingCalls)}` : '0') },
    {
      header: 'NEW ONLY',
      value: (r) => (r.onlyNarrow ? `${r.onlyNarrow}: ${r.onlyNarrowCalls.join(' ')}${more(r.onlyNarrow, r.onlyNarrowCalls)}` : '0'),
    },
  ]);
}
