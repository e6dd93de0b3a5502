import type { CallListingIndex } from '../call-index-keys';
import type { Table } from '../client';
import { hydrate, type HydrateOptions, type TableKey } from '../hydrate';
import { queryPages, type PagedQuery, type StoreKey } from '../query-pages';

/**
 * Reads through the keys-only call indexes (lib/store/call-index-keys.ts): a query answers keys, the items are read by
 * key (lib/store/hydrate.ts). Used by the call listings, the report's range read, an erasure's search and the doctor
 * when the stage reads the narrow indexes.
 */

/** The index's query of one partition, newest first unless told, with an optional range on the creation time. */
export function narrowQuery(index: CallListingIndex, range: { from?: string; to?: string } = {}, newestFirst = true): PagedQuery {
  const names: Record<string, string> = { '#pk': index.hashAttr };
  const values: Record<string, unknown> = { ':pk': index.pk };
  let condition = '#pk = :pk';
  if (range.from !== undefined || range.to !== undefined) names['#sk'] = index.rangeAttr;
  if (range.from !== undefined && range.to !== undefined) {
    condition += ' AND #sk BETWEEN :from AND :to';
    Object.assign(values, { ':from': range.from, ':to': range.to });
  } else if (range.from !== undefined) {
    condition += ' AND #sk >= :from';
    values[':from'] = range.from;
  } else if (range.to !== undefined) {
    condition += ' AND #sk <= :to';
    values[':to'] = range.to;
  }
  return {
    IndexName: index.indexName,
    KeyConditionExpression: condition,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
    ...(newestFirst ? { ScanIndexForward: false } : {}),
  };
}

/**
 * One page of a listing: at most `limit` items that `accept` takes, read key page by key page within `maxReads`
 * queries. Each query asks for no more keys than items remain to find, as the whole-item listing asks for items: the
 * limit can then fill only on a key page's last key, so where a page ends DynamoDB's own last key is where the next
 * begins, and a filtered listing reads the same entries in either family of indexes, page for page.
 */
export async function readListingPage(
  table: Table,
  query: PagedQuery,
  options: { start?: StoreKey; limit: number; maxReads: number; accept: (item: Record<string, unknown>) => boolean },
): Promise<{ items: Array<Record<string, unknown>>; lastKey?: StoreKey }> {
  const items: Array<Record<string, unknown>> = [];
  let start = options.start;
  for (let reads = 0; reads < options.maxReads && items.length < options.limit; reads++) {
    const page = (await queryPages(table, query, { start, maxPages: 1, maxItems: options.limit - items.length }).next()).value;
    if (!page) break;
    // A call gone since its key was read (erased, expired) is missing here, and passed over.
    items.push(...(await hydrate(table, page.items as TableKey[])).filter(options.accept));
    start = page.lastKey;
    if (!start) break;
  }
  return start ? { items, lastKey: start } : { items };
}

/**
 * Every item of an index query, key page by key page, each page's items read by key with `hydrateOptions` and handed
 * to `onPage` before the next query. `keep` drops keys before their items are read; `maxKeys` bounds the keys read.
 */
export async function forEachHydratedPage(
  table: Table,
  query: PagedQuery,
  options: {
    keep?: (key: Record<string, unknown>) => boolean;
    maxKeys?: number;
    hydrate?: HydrateOptions;
    onPage: (items: Array<Record<string, unknown>>) => void;
  },
): Promise<number> {
  let keys = 0;
  for await (const page of queryPages(table, query, options.maxKeys === undefined ? {} : { maxItems: options.maxKeys })) {
    const kept = options.keep ? page.items.filter(options.keep) : page.items;
    keys += kept.length;
    options.onPage(await hydrate(table, kept as TableKey[], options.hydrate));
  }
  return keys;
}
