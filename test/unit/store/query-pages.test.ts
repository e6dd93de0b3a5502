/**
 * The one paging loop of the store (lib/store/query-pages.ts), against dynalite: how many queries it sends, the Limit of
 * each, where it stops, and the key it hands back for a cursor. Every repository's Query goes through it, so a bound
 * that stopped holding here would let a listing, a report or a scheduler run read past its budget.
 */
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient, type Table } from '../../../lib/store/client';
import { newestOf, queryAll, queryPages, type PageBounds, type PagedQuery } from '../../../lib/store/query-pages';
import { createTable, startDynalite, type LocalDynamo } from '../../../local/dynamo';

let dynamo: LocalDynamo;
let table: Table;
/** The Limit of every Query sent since the last reset ('-' for none). */
let limits: string[] = [];

const SMALL = 'PAGES#small';
const BIG = 'PAGES#big';
const sk = (n: number) => `ITEM#${String(n).padStart(2, '0')}`;
const numberOf = (item: Record<string, unknown>) => Number(String(item.sk).slice('ITEM#'.length));

beforeAll(async () => {
  dynamo = await startDynalite();
  const name = 'query-pages';
  await createTable(dynamo.endpoint, name);
  table = { doc: createDocumentClient({ region: 'local', endpoint: dynamo.endpoint }), name };
  table.doc.middlewareStack.add(
    (next, context) => (args) => {
      if (context.commandName === 'QueryCommand') limits.push(String((args.input as { Limit?: number }).Limit ?? '-'));
      return next(args);
    },
    { step: 'initialize', name: 'limitRecorder' },
  );
  // Ten small items, the even ones marked; and five of about 300 KB, which DynamoDB and dynalite page at 1 MB (dynalite
  // ends a page with the item that takes it past 1 MB: four to the first page).
  const small = Array.from({ length: 10 }, (_, i) => ({ pk: SMALL, sk: sk(i + 1), even: (i + 1) % 2 === 0 }));
  const big = Array.from({ length: 5 }, (_, i) => ({ pk: BIG, sk: sk(i + 1), gsi4pk: BIG, gsi4sk: sk(i + 1), blob: 'x'.repeat(300_000) }));
  for (const item of [...small, ...big]) {
    await table.doc.send(new BatchWriteCommand({ RequestItems: { [name]: [{ PutRequest: { Item: item } }] } }));
  }
}, 60_000);

afterAll(async () => {
  table?.doc.destroy();
  await dynamo?.close();
});

const partition = (pk: string, extra: Partial<PagedQuery> = {}): PagedQuery => ({
  KeyConditionExpression: 'pk = :pk',
  ExpressionAttributeValues: { ':pk': pk, ...(extra.ExpressionAttributeValues ?? {}) },
  ...(extra.FilterExpression ? { FilterExpression: extra.FilterExpression } : {}),
  ...(extra.Select ? { Select: extra.Select } : {}),
});
const evenOnly = partition(SMALL, { FilterExpression: 'even = :yes', ExpressionAttributeValues: { ':yes': true } });

describe('queryPages', () => {
  it.each<{ name: string; query: PagedQuery; bounds: PageBounds; items: number[]; limits: string[]; lastKey: number | undefined }>([
    {
      name: 'no bounds: the whole range in one query',
      query: partition(SMALL),
      bounds: {},
      items: range(1, 10),
      limits: ['-'],
      lastKey: undefined,
    },
    {
      name: 'maxItems: one query whose Limit is the bound, and the key to go on from',
      query: partition(SMALL),
      bounds: { maxItems: 4 },
      items: range(1, 4),
      limits: ['4'],
      lastKey: 4,
    },
    {
      name: 'maxItems past the end: everything, and no key (nothing left)',
      query: partition(SMALL),
      bounds: { maxItems: 50 },
      items: range(1, 10),
      limits: ['50'],
      lastKey: undefined,
    },
    {
      name: 'maxItems with a filter: reads on, each Limit only what remains, until the bound',
      query: evenOnly,
      bounds: { maxItems: 3 },
      items: [2, 4, 6],
      limits: ['3', '2', '1'],
      lastKey: 6,
    },
    {
      name: 'maxPages stops a filtered read short of maxItems, with the key to go on from',
      query: evenOnly,
      bounds: { maxItems: 3, maxPages: 2 },
      items: [2, 4],
      limits: ['3', '2'],
      lastKey: 5,
    },
    {
      name: 'start: goes on after a key (a cursor)',
      query: partition(SMALL),
      bounds: { start: { pk: SMALL, sk: sk(5) }, maxItems: 2 },
      items: [6, 7],
      limits: ['2'],
      lastKey: 7,
    },
    {
      name: 'no bounds over more than 1 MB: page after page to the end',
      query: partition(BIG),
      bounds: {},
      items: range(1, 5),
      limits: ['-', '-'],
      lastKey: undefined,
    },
    {
      name: 'maxPages alone: stops after that many 1 MB pages',
      query: partition(BIG),
      bounds: { maxPages: 1 },
      items: range(1, 4),
      limits: ['-'],
      lastKey: 4,
    },
  ])('$name', async ({ query, bounds, items, limits: sent, lastKey }) => {
    limits = [];
    const pages = [];
    for await (const page of queryPages(table, query, bounds)) pages.push(page);
    expect(pages.flatMap((p) => p.items.map(numberOf))).toEqual(items);
    expect(limits).toEqual(sent);
    expect(pages).toHaveLength(sent.length);
    const last = pages.at(-1)?.lastKey;
    expect(last === undefined ? undefined : numberOf(last)).toEqual(lastKey);
    // Every page but the last says where the next starts.
    for (const page of pages.slice(0, -1)) expect(page.lastKey).toBeDefined();
  });

  it('sends the next query only when the caller takes the next page', async () => {
    limits = [];
    const pages = queryPages(table, evenOnly, { maxItems: 3 });
    await pages.next();
    expect(limits).toEqual(['3']);
    await pages.return(undefined);
    expect(limits).toEqual(['3']);
  });
});

describe('queryAll', () => {
  it.each([
    { name: 'items', query: partition(SMALL), count: 10, items: 10 },
    { name: 'a filter', query: evenOnly, count: 5, items: 5 },
    { name: "Select COUNT: DynamoDB's Count, no items", query: partition(SMALL, { Select: 'COUNT' }), count: 10, items: 0 },
    { name: 'Select COUNT with a filter', query: { ...evenOnly, Select: 'COUNT' as const }, count: 5, items: 0 },
    { name: 'Select COUNT over more than 1 MB', query: partition(BIG, { Select: 'COUNT' }), count: 5, items: 0 },
  ])('counts $name', async ({ query, count, items }) => {
    const all = await queryAll(table, query);
    expect(all.count).toBe(count);
    expect(all.items).toHaveLength(items);
    expect(all.lastKey).toBeUndefined();
  });

  it('answers where a bounded read stopped', async () => {
    const all = await queryAll(table, evenOnly, { maxItems: 2 });
    expect(all.items.map(numberOf)).toEqual([2, 4]);
    expect(all.lastKey && numberOf(all.lastKey)).toBe(4);
  });
});

describe('newestOf', () => {
  it('reads the newest items of an index partition first, no more than asked', async () => {
    limits = [];
    expect((await newestOf(table, 'gsi4', BIG, 2)).map(numberOf)).toEqual([5, 4]);
    expect(limits).toEqual(['2']);
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
