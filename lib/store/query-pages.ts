import { QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Table } from './client';

/** A DynamoDB key as the document client hands it over: where a page stopped, and where the next one starts. */
export type StoreKey = Record<string, unknown>;

/** A query of the table, less what the pager sets itself: the table, the page's start and its limit. */
export type PagedQuery = Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey' | 'Limit'>;

/** Where paging starts and when it stops; without bounds it reads the whole key range. */
export interface PageBounds {
  /** The key to start after: a decoded cursor. */
  start?: StoreKey;
  /** Queries sent at most: a filter can empty page after page, and a listing answers within a read budget. */
  maxPages?: number;
  /**
   * Items read at most: each query's `Limit` asks for no more than remain, so no page reads past the bound (DynamoDB
   * refuses a `Limit` of 0: a bound of 0 is the caller's mistake, answered as DynamoDB answers it).
   */
  maxItems?: number;
}

export interface QueryPage {
  items: Array<Record<string, unknown>>;
  /** Items the page matched: its items, or DynamoDB's `Count` for a `Select: 'COUNT'` query, which returns none. */
  count: number;
  /** Where the next page would start; undefined once the key range is read to its end. */
  lastKey?: StoreKey;
}

/**
 * One query, page by page: the next page is asked for only when the caller takes it (so what the caller does with a
 * page, a delete or a parse, comes before the next query), and only while the range has more, fewer than `maxPages`
 * were sent and fewer than `maxItems` came back. The one place that follows DynamoDB's `LastEvaluatedKey`, as
 * dynamodb-toolbox's QueryCommand does with its `maxPages`.
 */
export async function* queryPages(table: Table, input: PagedQuery, bounds: PageBounds = {}): AsyncGenerator<QueryPage, void, undefined> {
  const { maxPages = Infinity, maxItems } = bounds;
  let start = bounds.start;
  let pages = 0;
  let seen = 0;
  do {
    const out = await table.doc.send(
      new QueryCommand({
        ...input,
        TableName: table.name,
        ...(maxItems === undefined ? {} : { Limit: maxItems - seen }),
        ExclusiveStartKey: start,
      }),
    );
    const items = out.Items ?? [];
    const count = input.Select === 'COUNT' ? (out.Count ?? 0) : items.length;
    pages++;
    seen += count;
    start = out.LastEvaluatedKey;
    yield { items, count, ...(start ? { lastKey: start } : {}) };
  } while (start && pages < maxPages && (maxItems === undefined || seen < maxItems));
}

/** Every page of {@link queryPages} taken at once: the items, how many matched, and where the last page stopped. */
export async function queryAll(table: Table, input: PagedQuery, bounds: PageBounds = {}): Promise<QueryPage> {
  const items: Array<Record<string, unknown>> = [];
  let count = 0;
  let lastKey: StoreKey | undefined;
  for await (const page of queryPages(table, input, bounds)) {
    items.push(...page.items);
    count += page.count;
    lastKey = page.lastKey;
  }
  return { items, count, ...(lastKey ? { lastKey } : {}) };
}

/** The `limit` newest items of one partition of an index (`<index>pk` = `pk`, its sort key descending), paged. */
export async function newestOf(table: Table, index: string, pk: string, limit: number): Promise<Array<Record<string, unknown>>> {
  const input: PagedQuery = {
    IndexName: index,
    KeyConditionExpression: '#pk = :pk',
    ExpressionAttributeNames: { '#pk': `${index}pk` },
    ExpressionAttributeValues: { ':pk': pk },
    ScanIndexForward: false,
  };
  return (await queryAll(table, input, { maxItems: limit })).items;
}
