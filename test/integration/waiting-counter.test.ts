import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient, type Table } from '../../lib/store/client';
import { tenantPk, waitingReturnedSk, workMarkerSk } from '../../lib/store/keys';
import { WorkDirectory } from '../../lib/store/work-directory';
import { WorkQueues } from '../../lib/store/work-queues';
import { createTable, startDynalite, type LocalDynamo } from '../../local/dynamo';

/**
 * The tenant's waiting counter on a real dynalite (lib/store/waiting-counter.ts): slots taken on the due marker, slots
 * given back on the returned item, one write per waiting call on each; the returns applied when a take is refused, or
 * by the scheduler's recount; both items gone when the marker retires.
 */
let dynamo: LocalDynamo;
let table: Table;
let seq = 0;
const tenant = (name: string) => `${name}-${++seq}`;

beforeAll(async () => {
  dynamo = await startDynalite();
  table = { doc: createDocumentClient({ region: 'local', endpoint: dynamo.endpoint }), name: 'waiting-counter' };
  await createTable(dynamo.endpoint, table.name);
});

afterAll(async () => {
  table?.doc.destroy();
  await dynamo?.close();
});

const get = async (tenantId: string, sk: string) =>
  (await table.doc.send(new GetCommand({ TableName: table.name, Key: { pk: tenantPk(tenantId), sk }, ConsistentRead: true }))).Item;
const marker = (tenantId: string) => get(tenantId, workMarkerSk('due'));
const returnedItem = (tenantId: string) => get(tenantId, waitingReturnedSk());
/** Waiting calls by the counter: slots taken less slots given back. */
async function held(tenantId: string): Promise<number> {
  const [m, r] = await Promise.all([marker(tenantId), returnedItem(tenantId)]);
  return Number(m?.waiting ?? 0) - Number(r?.returned ?? 0);
}
async function takeN(directory: WorkDirectory, tenantId: string, n: number, max: number): Promise<boolean[]> {
  const out: boolean[] = [];
  for (let i = 0; i < n; i++) out.push(await directory.takeWaitingSlot(tenantId, max));
  return out;
}
/** The table, with `before` run ahead of each command it sends (to interleave a step, or to fail one as a fault would). */
function hooked(before: (command: unknown) => Promise<void>): Table {
  const doc = { send: async (command: unknown) => (await before(command), table.doc.send(command as never)) };
  return { name: table.name, doc: doc as unknown as DynamoDBDocumentClient };
}
const isMarkerApply = (command: unknown) =>
  command instanceof UpdateCommand && command.input.UpdateExpression === 'SET waiting = waiting - :n';

describe('the waiting counter', () => {
  it('gives a slot back on the returned item alone: the due marker (and so its gsi4 copy) is not written', async () => {
    const t = tenant('give');
    const directory = new WorkDirectory(table);
    expect(await takeN(directory, t, 3, 10)).toEqual([true, true, true]);
    const before = await marker(t);
    await directory.giveWaitingSlotBack(t);
    await directory.giveWaitingSlotBack(t);
    expect(await marker(t)).toEqual(before);
    expect(before).toMatchObject({ waiting: 3 });
    expect(await returnedItem(t)).toMatchObject({ returned: 2 });
    expect(Object.keys((await returnedItem(t))!).filter((k) => k.startsWith('gsi'))).toEqual([]);
    expect(await held(t)).toBe(1);
  });

  it('a tenant at its limit whose calls left takes again: the returns are applied once, then the limit holds', async () => {
    const t = tenant('full');
    const directory = new WorkDirectory(table);
    expect(await takeN(directory, t, 6, 5)).toEqual([true, true, true, true, true, false]);
    await directory.giveWaitingSlotBack(t);
    await directory.giveWaitingSlotBack(t);
    expect(await takeN(directory, t, 3, 5)).toEqual([true, true, false]);
    expect(await marker(t)).toMatchObject({ waiting: 5 });
    expect(await returnedItem(t)).toMatchObject({ returned: 0 });
  });

  it('never holds more than the limit under 30 concurrent takers giving slots back as they go (max 10)', async () => {
    const t = tenant('race');
    const max = 10;
    const directory = new WorkDirectory(table);
    let holding = 0;
    let peak = 0;
    let taken = 0;
    let refused = 0;
    const taker = async (i: number) => {
      for (let round = 0; round < 6; round++) {
        if (await directory.takeWaitingSlot(t, max)) {
          taken++;
          peak = Math.max(peak, ++holding);
          await new Promise((r) => setTimeout(r, (i * 7 + round * 3) % 11));
          // The call leaves the waiting states, then its slot is given back: never the other way round.
          holding--;
          await directory.giveWaitingSlotBack(t);
        } else refused++;
      }
    };
    await Promise.all(Array.from({ length: 30 }, (_, i) => taker(i)));
    expect(peak).toBeLessThanOrEqual(max);
    // The race was real: the limit refused some, and slots given back were taken again.
    expect(refused).toBeGreaterThan(0);
    expect(taken).toBeGreaterThan(max);
    expect(await held(t)).toBe(0);
  }, 30_000);

  it('a recount sets the count to the calls counted, the returns outstanding kept aside, and a move begun before it is not applied after', async () => {
    const t = tenant('recount');
    const directory = new WorkDirectory(table);
    await takeN(directory, t, 10, 10);
    for (let i = 0; i < 3; i++) await directory.giveWaitingSlotBack(t);
    // Counted 4 waiting calls while the counter held 10 taken: the count is 4, whatever the 3 returns still say.
    expect(await directory.correctWaiting(t, 10, 4)).toBe(true);
    expect(await held(t)).toBe(4);
    expect(await directory.correctWaiting(t, 10, 2)).toBe(false);

    // A move takes 2 returns off their item; a recount (counting 5) lands before the move reaches the marker.
    await directory.giveWaitingSlotBack(t);
    await directory.giveWaitingSlotBack(t);
    const { waiting } = (await marker(t))!;
    let interleaved = false;
    const racing = new WorkDirectory(
      hooked(async (command) => {
        if (!isMarkerApply(command) || interleaved) return;
        interleaved = true;
        expect(await directory.correctWaiting(t, Number(waiting), 5)).toBe(true);
      }),
    );
    await racing.applyReturnedSlots(t);
    expect(interleaved).toBe(true);
    // The recount counted without those returns: applying them after it would free 5 + 2 slots that are not free.
    expect(await held(t)).toBeGreaterThanOrEqual(5);
  });

  it('the scheduler applies the returns of a tenant its listing shows at the limit, and counts only one still at it', async () => {
    const t = tenant('sched');
    const directory = new WorkDirectory(table);
    const queues = new WorkQueues(table, directory);
    await takeN(directory, t, 10, 10);
    for (let i = 0; i < 3; i++) await directory.giveWaitingSlotBack(t);
    await queues.fairly('due', '~', { total: 10, perTenant: { min: 1, max: 10 }, maxTenants: 1000 });
    expect(await marker(t)).toMatchObject({ waiting: 7 });
    expect((await marker(t))!.recountedAt).toBeUndefined();
    expect(await returnedItem(t)).toMatchObject({ returned: 0 });
  });

  it('a fault between the two writes of a move counts high, never low', async () => {
    const t = tenant('fault');
    const directory = new WorkDirectory(table);
    await takeN(directory, t, 4, 4);
    await directory.giveWaitingSlotBack(t);
    const failing = new WorkDirectory(
      hooked((command) =>
        isMarkerApply(command)
          ? Promise.reject(Object.assign(new Error('socket hang up'), { name: 'TimeoutError', $metadata: {} }))
          : Promise.resolve(),
      ),
    );
    await expect(failing.takeWaitingSlot(t, 4)).rejects.toThrow('socket hang up');
    // The return was taken off its item and never reached the marker: 4 held by the counter for 3 calls.
    expect(await held(t)).toBe(4);
    expect(await directory.takeWaitingSlot(t, 4)).toBe(false);
  });

  it('retires both items with the due marker, and a marker after it starts clean, even from a give-back that came late', async () => {
    const t = tenant('retire');
    const max = 3;
    await takeN(new WorkDirectory(table, () => new Date(Date.now() - 600_000)), t, 2, max);
    const directory = new WorkDirectory(table);
    await directory.giveWaitingSlotBack(t);
    const listed = (await directory.list('due')).find((m) => m.tenantId === t)!;
    expect(await directory.retire('due', listed, Date.now())).toBe(true);
    expect(await marker(t)).toBeUndefined();
    expect(await returnedItem(t)).toBeUndefined();

    // A give-back after the retire (its call left before it, its write came after): no marker to count it against.
    await directory.giveWaitingSlotBack(t);
    expect(await takeN(new WorkDirectory(table), t, max + 1, max)).toEqual([true, true, true, false]);
    expect(await held(t)).toBe(max);
  });

  it('the first take on a marker that has no count yet (refreshed only) clears returns older than the count', async () => {
    const t = tenant('plain');
    await table.doc.send(new PutCommand({ TableName: table.name, Item: { pk: tenantPk(t), sk: waitingReturnedSk(), returned: 4 } }));
    await new WorkDirectory(table).touch(t, ['due']);
    expect(await takeN(new WorkDirectory(table), t, 3, 2)).toEqual([true, true, false]);
    expect(await returnedItem(t)).toMatchObject({ returned: 0 });
  });
});
