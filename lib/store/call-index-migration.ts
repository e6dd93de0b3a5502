/**
 * The data steps of docs/operations.md ("Narrowing the call indexes"): the backfill gives every call item written
 * before the keys-only indexes their keys (lib/store/call-index-keys.ts), and the strip removes the whole-item indexes'
 * keys from call items once nothing reads or writes them. Both walk the table with a paged Scan that an operator can
 * stop and resume from a cursor, and change each call item with one conditional update, so a run is safe to repeat,
 * to interrupt, and to run while the service writes calls. The comparison of the old and new listings is
 * lib/store/call-index-verify.ts.
 */
import { ScanCommand, UpdateCommand, type ScanCommandInput } from '@aws-sdk/lib-dynamodb';
import { CALL_INDEX_ATTR, LEGACY_CALL_INDEX_ATTRS, narrowCallIndexKeys, type CallIndexMode } from './call-index-keys';
import type { Table } from './client';
import { conditionHeld, StoreError } from './errors';
import { callSk, tenantPk } from './keys';
import type { StoreKey } from './query-pages';

/** Ids listed by name in a report (the counts say how many there are in all): a report stays readable on a big table. */
export const MAX_LISTED_IDS = 20;
export const DEFAULT_SCAN_PAGE_SIZE = 500;

/** A migration step refused to run, or was given something it cannot work with: the message says what to do. */
export class CallIndexMigrationError extends StoreError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CallIndexMigrationError';
  }
}

/** Where a scan stopped, as an operator passes it back (`--start`): the table key of the last item read, base64url JSON. */
export function encodeScanCursor(key: StoreKey): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** The table key a cursor names, or undefined when the text is not a cursor of these commands (a key of pk and sk). */
export function decodeScanCursor(cursor: string): StoreKey | undefined {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (key === null || typeof key !== 'object' || Array.isArray(key)) return undefined;
    const entries = Object.entries(key);
    if (entries.length !== 2 || !entries.every(([name, value]) => (name === 'pk' || name === 'sk') && typeof value === 'string'))
      return undefined;
    return key as StoreKey;
  } catch {
    return undefined;
  }
}

/** How far a pass goes: its page size, where it starts, how many pages it reads at most, and who hears of each page. */
export interface ScanPassOptions {
  /** Items each Scan evaluates (its `Limit`): the unit an interrupted run loses at most. */
  pageSize?: number;
  /** A cursor a previous run printed: the pass goes on after that item. */
  start?: string;
  /** Stop after this many pages; the report's `next` resumes from there. */
  maxPages?: number;
  /** Called after each page, with the counts so far and the cursor to resume from (undefined once the scan is done). */
  onPage?: (progress: { pages: number; scanned: number; next?: string }) => void;
}

/** What every pass reports: items the scan read, call items among them, pages, and the cursor to go on from. */
export interface ScanPassReport {
  pages: number;
  scanned: number;
  callItems: number;
  /** Set when the pass stopped before the end of the table (`maxPages`): pass it as `start` to go on. */
  next?: string;
}

export interface BackfillReport extends ScanPassReport {
  /** Call items given the keys-only indexes' keys by this run. */
  backfilled: number;
  /** Call items that had them already: written by the new code, or by an earlier run. */
  alreadyHadKeys: number;
  /** Updates DynamoDB refused on their condition: the call was deleted, or written with its keys, between read and write. */
  refused: number;
  /** Call items that cannot be indexed (no creation time, a key of another shape): counted and named, left as they are. */
  skipped: number;
  skippedCalls: string[];
}

export interface StripReport extends ScanPassReport {
  /** Call items whose old index keys this run removed. */
  stripped: number;
  /** Call items without any old index key: written in `narrow` mode, or stripped by an earlier run. */
  alreadyStripped: number;
  /** Call items without the new keys: left with the old ones (run the backfill first); named in `notBackfilledCalls`. */
  notBackfilled: number;
  notBackfilledCalls: string[];
  refused: number;
}

/** A call item's ids from its own keys: `TENANT#<tenant>` / `CALL#<call>` (not a PBX event under it, `CALL#<id>#PBXEVENT#...`). */
function callKeysOf(item: Record<string, unknown>): { tenantId?: string; callId: string } | undefined {
  if (item.type !== 'call' || typeof item.sk !== 'string' || !item.sk.startsWith(callSk(''))) return undefined;
  const callId = item.sk.slice(callSk('').length);
  if (callId === '' || callId.includes('#')) return undefined;
  const pk = typeof item.pk === 'string' ? item.pk : '';
  const tenantId = pk.startsWith(tenantPk('')) && pk.length > tenantPk('').length ? pk.slice(tenantPk('').length) : undefined;
  return { callId, ...(tenantId ? { tenantId } : {}) };
}

/** Only call items come back from the scan (it still reads, and counts, every item: a filter saves transfer, not reads). */
const CALL_ITEMS_FILTER = {
  FilterExpression: 'begins_with(#sk, :callPrefix) AND #type = :call',
  ExpressionAttributeNames: { '#sk': 'sk', '#type': 'type' },
  ExpressionAttributeValues: { ':callPrefix': callSk(''), ':call': 'call' },
};

/**
 * Scans the table's call items page by page from `options.start`, handing each page's items to `handle` before the
 * next page is read, so the cursor printed after a page is safe to resume from: everything before it was handled.
 */
async function scanCallItems(
  table: Table,
  projection: { ProjectionExpression: string; ExpressionAttributeNames?: Record<string, string> },
  options: ScanPassOptions,
  handle: (item: Record<string, unknown>, ids: { tenantId?: string; callId: string }) => Promise<void>,
): Promise<ScanPassReport> {
  const pageSize = options.pageSize ?? DEFAULT_SCAN_PAGE_SIZE;
  let start: StoreKey | undefined;
  if (options.start !== undefined) {
    start = decodeScanCursor(options.start);
    if (!start) throw new CallIndexMigrationError('The start cursor is not one this command printed');
  }
  const report: ScanPassReport = { pages: 0, scanned: 0, callItems: 0 };
  do {
    const input: ScanCommandInput = {
      TableName: table.name,
      Limit: pageSize,
      ...CALL_ITEMS_FILTER,
      ProjectionExpression: projection.ProjectionExpression,
      ExpressionAttributeNames: { ...CALL_ITEMS_FILTER.ExpressionAttributeNames, ...projection.ExpressionAttributeNames },
      ...(start ? { ExclusiveStartKey: start } : {}),
    };
    const out = await table.doc.send(new ScanCommand(input));
    report.pages++;
    report.scanned += out.ScannedCount ?? 0;
    for (const item of out.Items ?? []) {
      const ids = callKeysOf(item);
      if (!ids) continue;
      report.callItems++;
      await handle(item, ids);
    }
    start = out.LastEvaluatedKey;
    const next = start ? encodeScanCursor(start) : undefined;
    options.onPage?.({ pages: report.pages, scanned: report.scanned, ...(next ? { next } : {}) });
    if (next && options.maxPages !== undefined && report.pages >= options.maxPages) return { ...report, next };
  } while (start);
  return report;
}

/** An update that DynamoDB refused on its condition: false; any other failure is thrown. */
const conditionalUpdate = (table: Table, input: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName'>) =>
  conditionHeld(table.doc.send(new UpdateCommand({ TableName: table.name, ...input })));

const str = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * Gives every call item that lacks them the keys-only indexes' keys, from the item's own tenant, id, creation time,
 * agent and lead: one write unit per call item (and DynamoDB's copy into each new index it now belongs to). A call
 * that has `cs` already is left alone, and the update's condition (the item still there, still without `cs`) keeps a
 * call deleted or written by the new code meanwhile as it is.
 */
export async function backfillCallIndexKeys(table: Table, options: ScanPassOptions = {}): Promise<BackfillReport> {
  const counts = { backfilled: 0, alreadyHadKeys: 0, refused: 0, skipped: 0, skippedCalls: [] as string[] };
  const pass = await scanCallItems(
    table,
    {
      ProjectionExpression: 'pk, #sk, #type, createdAt, crmUserId, #lead.id, #cs',
      ExpressionAttributeNames: { '#lead': 'lead', '#cs': 'cs' },
    },
    options,
    async (item, { tenantId, callId }) => {
      if (item[CALL_INDEX_ATTR.time] !== undefined) {
        counts.alreadyHadKeys++;
        return;
      }
      const createdAt = str(item.createdAt);
      if (!tenantId || !createdAt) {
        counts.skipped++;
        if (counts.skippedCalls.length < MAX_LISTED_IDS) counts.skippedCalls.push(callId);
        return;
      }
      const lead = item.lead as { id?: unknown } | undefined;
      const keys = narrowCallIndexKeys({ tenantId, callId, createdAt, crmUserId: str(item.crmUserId), leadId: str(lead?.id) });
      const names = Object.keys(keys);
      const done = await conditionalUpdate(table, {
        Key: { pk: item.pk, sk: item.sk },
        UpdateExpression: `SET ${names.map((name) => `#${name} = :${name}`).join(', ')}`,
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#cs)',
        ExpressionAttributeNames: Object.fromEntries([...names, CALL_INDEX_ATTR.time].map((name) => [`#${name}`, name])),
        ExpressionAttributeValues: Object.fromEntries(names.map((name) => [`:${name}`, keys[name]])),
      });
      if (done) counts.backfilled++;
      else counts.refused++;
    },
  );
  return { ...pass, ...counts };
}

/**
 * Removes the whole-item indexes' keys (gsi1-gsi3) from call items, so that those indexes keep only agents and API keys
 * (gsi1, gsi2) and nothing (gsi3, dropped next). Only in `narrow` mode: a service that still writes the old keys would
 * put them back, and one that still reads the old indexes would lose its listings. A call without the new keys keeps
 * the old ones (stripping them would take it out of every listing): it is counted, named, and waits for the backfill.
 */
export async function stripLegacyCallIndexKeys(table: Table, mode: CallIndexMode, options: ScanPassOptions = {}): Promise<StripReport> {
  if (mode !== 'narrow') {
    throw new CallIndexMigrationError(
      `The strip runs only once the service is in mode narrow (CALL_INDEXES), not ${mode}: deploy the legacy-off step first (docs/operations.md, "Narrowing the call indexes")`,
    );
  }
  const counts = { stripped: 0, alreadyStripped: 0, notBackfilled: 0, notBackfilledCalls: [] as string[], refused: 0 };
  const legacyNames = Object.fromEntries(LEGACY_CALL_INDEX_ATTRS.map((name) => [`#${name}`, name]));
  const anyLegacy = LEGACY_CALL_INDEX_ATTRS.map((name) => `attribute_exists(#${name})`).join(' OR ');
  const pass = await scanCallItems(
    table,
    {
      ProjectionExpression: ['pk', '#sk', '#type', '#cs', ...Object.keys(legacyNames)].join(', '),
      ExpressionAttributeNames: { '#cs': CALL_INDEX_ATTR.time, ...legacyNames },
    },
    options,
    async (item, { callId }) => {
      if (!LEGACY_CALL_INDEX_ATTRS.some((name) => item[name] !== undefined)) {
        counts.alreadyStripped++;
        return;
      }
      if (item[CALL_INDEX_ATTR.time] === undefined) {
        counts.notBackfilled++;
        if (counts.notBackfilledCalls.length < MAX_LISTED_IDS) counts.notBackfilledCalls.push(callId);
        return;
      }
      const done = await conditionalUpdate(table, {
        Key: { pk: item.pk, sk: item.sk },
        UpdateExpression: `REMOVE ${Object.keys(legacyNames).join(', ')}`,
        ConditionExpression: `attribute_exists(pk) AND attribute_exists(#cs) AND (${anyLegacy})`,
        ExpressionAttributeNames: { '#cs': CALL_INDEX_ATTR.time, ...legacyNames },
      });
      if (done) counts.stripped++;
      else counts.refused++;
    },
  );
  return { ...pass, ...counts };
}

/** The tenants that have call items: one scan of the whole table (no index lists tenants), its call items' keys only. */
export async function tenantsWithCalls(table: Table): Promise<string[]> {
  const tenants = new Set<string>();
  await scanCallItems(table, { ProjectionExpression: 'pk, #sk, #type' }, { pageSize: 1000 }, async (_item, { tenantId }) => {
    if (tenantId) tenants.add(tenantId);
    return Promise.resolve();
  });
  return [...tenants].sort();
}
