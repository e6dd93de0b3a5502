import { createRequire } from 'node:module';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billWrite, costPerCall, DynamoMeter, itemSize, numberSize, readUnits, tableDef, type Item } from '../../../bench/dynamo-meter';
import { createDocumentClient } from '../../../lib/store/client';
import { createTable, startDynalite, type LocalDynamo } from '../../../local/dynamo';

// dynalite's own item size (its author fitted it to DynamoDB's answers): an independent check of ours on ASCII items.
const dynaliteItemSize = (createRequire(__filename)('dynalite/db') as { itemSize: (item: Item) => number }).itemSize;

const S = (s: string): AttributeValue => ({ S: s });
const N = (n: string): AttributeValue => ({ N: n });

describe('item size', () => {
  it.each([
    ['strings', { pk: S('TENANT#acme'), sk: S('CALL#0123456789abcdef'), state: S('dialing') }],
    [
      'numbers',
      { a: N('0'), b: N('5'), c: N('10'), d: N('12'), e: N('123'), f: N('-7'), g: N('1764428675123'), h: N('0.001'), i: N('123.450') },
    ],
    ['more numbers', { a: N('100000'), b: N('1e5'), c: N('-0.5'), d: N('99999999999999999999'), e: N('3.14159'), f: N('1200') }],
    ['booleans and nulls', { yes: { BOOL: true }, no: { BOOL: false }, none: { NULL: true } }],
    ['lists and maps', { l: { L: [S('a'), N('1'), { M: { x: S('y'), z: { L: [] } } }] }, m: { M: {} }, e: { L: [] } }],
    ['sets', { ss: { SS: ['a', 'bc'] }, ns: { NS: ['1', '22', '333'] } }],
    ['binary', { b: { B: Buffer.from('hello') }, bs: { BS: [Buffer.from('ab'), Buffer.from('cde')] } }],
  ] as [string, Item][])('counts %s as dynalite does', (_, item) => {
    // dynalite reads binaries as base64, as they travel.
    const wire = JSON.parse(
      JSON.stringify(item, (_k, v: unknown) =>
        v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer'
          ? Buffer.from((v as { data: number[] }).data).toString('base64')
          : v,
      ),
    ) as Item;
    expect(itemSize(item)).toBe(dynaliteItemSize(wire));
    expect(itemSize(wire)).toBe(itemSize(item));
  });

  it('counts names and strings in UTF-8 bytes, as DynamoDB does', () => {
    expect(itemSize({ né: S('café') })).toBe(3 + 5);
  });

  it('sizes numbers by their significant digits', () => {
    expect(numberSize('1764428675123')).toBe(8);
    expect(numberSize('000120.500')).toBe(numberSize('120.5'));
    expect(numberSize('-5')).toBe(numberSize('5') + 1);
  });
});

describe('what a write is billed', () => {
  const table = tableDef({
    KeySchema: [{ AttributeName: 'pk' }, { AttributeName: 'sk' }],
    GlobalSecondaryIndexes: [
      { IndexName: 'all', KeySchema: [{ AttributeName: 'apk' }, { AttributeName: 'ask' }], Projection: { ProjectionType: 'ALL' } },
      { IndexName: 'keys', KeySchema: [{ AttributeName: 'kpk' }], Projection: { ProjectionType: 'KEYS_ONLY' } },
      { IndexName: 'some', KeySchema: [{ AttributeName: 'ipk' }], Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['state'] } },
    ],
  });
  const key = { pk: S('TENANT#t'), sk: S('CALL#1') };
  const big = 'x'.repeat(1500);

  it('bills a new item on the table and on every index whose keys it carries, each its projection', () => {
    const after = { ...key, apk: S('A'), ask: S('1'), kpk: S('K'), state: S('dialing'), note: S(big) };
    const w = billWrite(table, { command: 'PutItem', key, after, refused: false, transactional: false });
    expect(w.item).toBe('CALL');
    expect([w.pk, w.sk]).toEqual(['TENANT#t', 'CALL#1']);
    expect(w.bytes).toBe(itemSize(after));
    expect(w.wcu).toBe(2);
    expect(w.indexes).toEqual([
      { index: 'all', kind: 'put', pk: 'A', sk: '1', bytes: itemSize(after), wcu: 2 },
      { index: 'keys', kind: 'put', pk: 'K', bytes: itemSize({ ...key, kpk: S('K') }), wcu: 1 },
    ]);
  });

  it('bills an update on the larger item, two index writes when an index key changes, one when the item leaves', () => {
    const before = { ...key, apk: S('A'), ask: S('1'), ipk: S('I'), state: S('dispatching'), note: S(big) };
    const after = { ...key, apk: S('A'), ask: S('2'), state: S('dialing') };
    const w = billWrite(table, { command: 'UpdateItem', key, before, after, refused: false, transactional: false });
    expect(w.bytes).toBe(itemSize(before));
    // Each copy at its own key: the old one leaves its sort key, the new one enters at the new.
    expect(w.indexes.map((i) => [i.index, i.kind, i.pk, i.sk])).toEqual([
      ['all', 'delete', 'A', '1'],
      ['all', 'put', 'A', '2'],
      ['some', 'delete', 'I', undefined],
    ]);
    expect(w.indexes[2]!.bytes).toBe(itemSize({ ...key, ipk: S('I'), state: S('dispatching') }));
  });

  it('leaves an index alone when nothing it projects changes', () => {
    const before = { ...key, kpk: S('K'), ipk: S('I'), state: S('a'), other: S('1') };
    const after = { ...before, other: S('2') };
    const w = billWrite(table, { command: 'UpdateItem', key, before, after, refused: false, transactional: false });
    expect(w.indexes).toEqual([]);
    const changed = billWrite(table, {
      command: 'UpdateItem',
      key,
      before,
      after: { ...before, state: S('b') },
      refused: false,
      transactional: false,
    });
    expect(changed.indexes.map((i) => [i.index, i.kind])).toEqual([['some', 'update']]);
  });

  it('bills a refused condition on the item as it stands, a transactional write twice', () => {
    const before = { ...key, apk: S('A'), ask: S('1'), note: S(big) };
    const refused = billWrite(table, { command: 'PutItem', key, before, refused: true, transactional: false });
    expect(refused).toMatchObject({ bytes: itemSize(before), wcu: 2, indexes: [], refused: true });
    const missing = billWrite(table, { command: 'PutItem', key, refused: true, transactional: false });
    expect(missing).toMatchObject({ bytes: 0, wcu: 1 });
    expect(billWrite(table, { command: 'Transact Put', key, after: key, refused: false, transactional: true }).wcu).toBe(2);
  });

  it("bills a call's listing copies in the keys-only indexes of table-schema.json on its keys alone, and none on an update", () => {
    const schema = tableDef();
    const call = {
      ...key,
      ct: S('t'),
      ca: S('t#u-17'),
      cl: S('t#L-1'),
      cs: S('2026-07-01T10:00:00.000Z'),
      state: S('dispatching'),
      note: S(big),
    };
    const put = billWrite(schema, { command: 'PutItem', key, after: call, refused: false, transactional: false });
    const keysOf = (hash: 'ct' | 'ca' | 'cl') => itemSize({ ...key, [hash]: call[hash], cs: call.cs });
    expect(put.indexes.map((i) => [i.index, i.kind, i.pk, i.sk, i.bytes, i.wcu])).toEqual([
      ['callsByTenant', 'put', 't', '2026-07-01T10:00:00.000Z', keysOf('ct'), 1],
      ['callsByAgent', 'put', 't#u-17', '2026-07-01T10:00:00.000Z', keysOf('ca'), 1],
      ['callsByLead', 'put', 't#L-1', '2026-07-01T10:00:00.000Z', keysOf('cl'), 1],
    ]);
    // The dial answer, an event, a notification: no key of theirs changes, so no copy is written.
    const after = { ...call, state: S('dialing'), pbx: { M: { uniqueId: S('1764.1') } } };
    expect(billWrite(schema, { command: 'UpdateItem', key, before: call, after, refused: false, transactional: false }).indexes).toEqual(
      [],
    );
  });

  it('reads: 1 unit per 4 KB strongly consistent, half eventually consistent', () => {
    expect(readUnits(0, true)).toBe(1);
    expect(readUnits(4097, true)).toBe(2);
    expect(readUnits(100, false)).toBe(0.5);
    expect(readUnits(100, true, true)).toBe(2);
  });
});

describe('DynamoMeter on a real dynalite', () => {
  let dynamo: LocalDynamo;
  const tableName = 'bench-meter';
  beforeAll(async () => {
    dynamo = await startDynalite();
    await createTable(dynamo.endpoint, tableName);
  });
  afterAll(async () => {
    await dynamo.close();
  });

  it('bills each write from the items before and after it, as dynalite counts the table part', async () => {
    const meter = new DynamoMeter(dynamo.endpoint, tableName);
    const doc = createDocumentClient({ region: 'local', endpoint: dynamo.endpoint });
    meter.instrument(doc);
    try {
      const Key = { pk: 'TENANT#m', sk: 'CALL#1' };
      const item = { ...Key, gsi1pk: 'TENANT#m', gsi1sk: '2026#1', state: 'dispatching', note: 'n'.repeat(1100) };
      meter.billing = true;
      const put = await doc.send(new PutCommand({ TableName: tableName, Item: item, ReturnConsumedCapacity: 'TOTAL' }));
      const update = await doc.send(
        new UpdateCommand({
          TableName: tableName,
          Key,
          UpdateExpression: 'SET #s = :s REMOVE note',
          ExpressionAttributeNames: { '#s': 'state' },
          ExpressionAttributeValues: { ':s': 'dialing' },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      meter.billing = false;

      const [p, u] = meter.billed;
      const size = itemSize({
        pk: S(Key.pk),
        sk: S(Key.sk),
        gsi1pk: S(item.gsi1pk),
        gsi1sk: S(item.gsi1sk),
        state: S('dispatching'),
        note: S(item.note),
      });
      expect(p!.writes[0]).toMatchObject({ command: 'PutItem', item: 'CALL', bytes: size, wcu: put.ConsumedCapacity!.CapacityUnits });
      // gsi1 projects ALL (lib/store/table-schema.json): the item again.
      expect(p!.writes[0]!.indexes.find((i) => i.index === 'gsi1')).toMatchObject({ kind: 'put', bytes: size, wcu: 2 });
      // The update shrinks the item: billed on the larger, before.
      expect(u!.writes[0]).toMatchObject({ command: 'UpdateItem', bytes: size, wcu: update.ConsumedCapacity!.CapacityUnits });
      expect(u!.writes[0]!.indexes.find((i) => i.index === 'gsi1')).toMatchObject({ kind: 'update', bytes: size });

      const cost = costPerCall([{ requests: meter.billed, bytesSent: 0 }]);
      expect(cost.tableWcu).toBe(4);
      expect(cost.requests).toBe(2);
    } finally {
      doc.destroy();
      meter.destroy();
    }
  });

  it('delays each request by the model, parallel requests overlapping', async () => {
    const meter = new DynamoMeter(dynamo.endpoint, tableName);
    const doc = createDocumentClient({ region: 'local', endpoint: dynamo.endpoint });
    meter.instrument(doc);
    try {
      meter.latencyMs = 30;
      meter.tracing = true;
      const put = (n: number) => doc.send(new PutCommand({ TableName: tableName, Item: { pk: 'TENANT#m', sk: `X#${n}` } }));
      await Promise.all([put(1), put(2)]);
      const [a, b] = meter.traces;
      expect(a!.end - a!.start).toBeGreaterThanOrEqual(29);
      expect(b!.end - b!.start).toBeGreaterThanOrEqual(29);
      // Both waited at once: each started before the other ended.
      expect(Math.max(a!.start, b!.start)).toBeLessThan(Math.min(a!.end, b!.end));
    } finally {
      doc.destroy();
      meter.destroy();
    }
  });
});
