import { BatchGetCommand, BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Table } from '../../lib/store/client';
import { StoreError } from '../../lib/store/errors';
import { hydrate, HYDRATE_MAX_EMPTY_ROUNDS } from '../../lib/store/hydrate';
import { ReadTally, meterReads } from '../../lib/store/read-meter';
import { createTable, startDynalite, type LocalDynamo } from '../../local/dynamo';
import { createDocumentClient } from '../../lib/store/client';

/** lib/store/hydrate.ts on a real dynalite: the items of a keys-only index page, read by key. */

let dynamo: LocalDynamo;
let table: Table;
const key = (i: number) => ({ pk: 'TENANT#h', sk: `CALL#c_${String(i).padStart(4, '0')}` });

beforeAll(async () => {
  dynamo = await startDynalite();
  table = { doc: createDocumentClient({ region: 'local', endpoint: dynamo.endpoint }), name: 'hydrate' };
  await createTable(dynamo.endpoint, table.name);
  const items = Array.from({ length: 250 }, (_, i) => ({ ...key(i), n: i, note: `call ${i}` }));
  for (let i = 0; i < items.length; i += 25)
    await table.doc.send(
      new BatchWriteCommand({ RequestItems: { [table.name]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } }),
    );
});

afterAll(async () => {
  table?.doc.destroy();
  await dynamo?.close();
});

/**
 * The real client, except that its batch reads send only the first `take(round)` keys and report the rest unprocessed,
 * as DynamoDB does when it throttles part of a batch (a fault dynalite cannot produce).
 */
function throttling(take: (round: number) => number): { table: Table; rounds: number[] } {
  const rounds: number[] = [];
  const send = async (command: unknown) => {
    if (!(command instanceof BatchGetCommand)) return table.doc.send(command as never);
    const spec = command.input.RequestItems![table.name]!;
    const keys = spec.Keys!;
    const n = Math.min(keys.length, take(rounds.length));
    rounds.push(keys.length);
    const out =
      n > 0 ? await table.doc.send(new BatchGetCommand({ RequestItems: { [table.name]: { ...spec, Keys: keys.slice(0, n) } } })) : {};
    const rest = keys.slice(n);
    return { ...out, UnprocessedKeys: rest.length ? { [table.name]: { ...spec, Keys: rest } } : {} };
  };
  return { table: { name: table.name, doc: { send } as unknown as DynamoDBDocumentClient }, rounds };
}

describe('hydrate', () => {
  it('reads 250 keys in batches of 100, in the order asked, dropping the keys whose item is gone', async () => {
    const asked = [...Array.from({ length: 250 }, (_, i) => key(249 - i)), key(9999)];
    asked.splice(10, 0, key(7777));
    const sent: number[] = [];
    const counting: Table = {
      name: table.name,
      doc: {
        send: (command: unknown) => {
          if (command instanceof BatchGetCommand) sent.push(command.input.RequestItems![table.name]!.Keys!.length);
          return table.doc.send(command as never);
        },
      } as unknown as DynamoDBDocumentClient,
    };
    const items = await hydrate(counting, asked);
    expect(sent).toEqual([100, 100, 52]);
    expect(items.map((item) => item.n)).toEqual(Array.from({ length: 250 }, (_, i) => 249 - i));
  });

  it('reads only the attributes asked for, and the keys that place them', async () => {
    const [item] = await hydrate(table, [key(3)], { projection: '#n', names: { '#n': 'n' } });
    expect(item).toEqual({ ...key(3), n: 3 });
  });

  it('sends unprocessed keys again after a backoff, and a round that makes progress does not count against the bound', async () => {
    // 30 keys back a round: 10 rounds for 250 keys' first 100, more than the bound of empty rounds, all with progress.
    const fake = throttling(() => 30);
    const items = await hydrate(
      fake.table,
      Array.from({ length: 250 }, (_, i) => key(i)),
      { backoffMs: 1 },
    );
    expect(items.map((item) => item.n)).toEqual(Array.from({ length: 250 }, (_, i) => i));
    expect(fake.rounds.slice(0, 5)).toEqual([100, 70, 40, 10, 100]);
  });

  it('gives up, as a store error, when DynamoDB leaves every key unprocessed round after round', async () => {
    const stuck = throttling(() => 0);
    await expect(hydrate(stuck.table, [key(1), key(2)], { backoffMs: 1 })).rejects.toThrow(StoreError);
    expect(stuck.rounds).toHaveLength(HYDRATE_MAX_EMPTY_ROUNDS);
    // Two empty rounds, then the rest: it answers.
    const slow = throttling((round) => (round < 2 ? 0 : 100));
    expect((await hydrate(slow.table, [key(1), key(2)], { backoffMs: 1 })).map((item) => item.n)).toEqual([1, 2]);
  });

  it('counts every key it read in the read budget’s tally (lib/store/read-meter.ts)', async () => {
    const doc = createDocumentClient({ region: 'local', endpoint: dynamo.endpoint });
    meterReads(doc);
    try {
      const tally = new ReadTally();
      await tally.run(() =>
        hydrate(
          { doc, name: table.name },
          Array.from({ length: 120 }, (_, i) => key(i)),
        ),
      );
      expect(tally.items).toBe(120);
    } finally {
      doc.destroy();
    }
  });
});
