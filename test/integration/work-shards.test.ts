import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallRepository, type StoredCall } from '../../lib/store/calls';
import { TenantInspector } from '../../lib/store/inspect';
import { callSk, tenantPk, workMarkerSk, workShardOf, type WorkKind } from '../../lib/store/keys';
import { WorkDirectory } from '../../lib/store/work-directory';
import { WorkQueues } from '../../lib/store/work-queues';
import { storedCall } from '../support/calls';
import { startCliTable, type CliTable } from '../support/cli';

/**
 * The move of a stage's work lists from 4 shards to 8 (docs/operations.md, "Work shards: from 4 to 8"): readers read all
 * 8 shard slots whatever the writers' WORK_SHARDS, so a call a writer on 4 filed is found, a writer on 8 moves it to its
 * 8-shard place on its next write, and no reader retires a tenant's marker while work sits in a shard above 3.
 */
let cli: CliTable;
let now = Date.parse('2026-03-01T10:00:00.000Z');
const clock = () => new Date(now);
const iso = (ms = now) => new Date(ms).toISOString();
/** Far after every call of the file: every entry's sort key is below it. */
const LATER = '2027-01-01T00:00:00.000Z';
const FAIR = { total: 50, perTenant: { min: 1, max: 50 }, maxTenants: 10 };

/** The calls' work list keys, as stored. */
async function keysOf(tenantId: string, callId: string): Promise<{ gsi4pk?: unknown; gsi5pk?: unknown }> {
  const out = await cli.table.doc.send(new GetCommand({ TableName: cli.table.name, Key: { pk: tenantPk(tenantId), sk: callSk(callId) } }));
  return { gsi4pk: out.Item?.gsi4pk, gsi5pk: out.Item?.gsi5pk };
}

async function markerOf(tenantId: string, kind: WorkKind): Promise<Record<string, unknown> | undefined> {
  const out = await cli.table.doc.send(
    new GetCommand({ TableName: cli.table.name, Key: { pk: tenantPk(tenantId), sk: workMarkerSk(kind) }, ConsistentRead: true }),
  );
  return out.Item;
}

const call = (tenantId: string, callId: string, overrides: Partial<StoredCall> = {}) =>
  storedCall({ tenantId, callId, state: 'dispatching', createdAt: iso(), updatedAt: iso(), ...overrides });

/** The ids of `tenantId`'s calls among `calls` (the lists are read across tenants), sorted. */
const idsOf = (tenantId: string, calls: ReadonlyArray<{ tenantId: string; callId: string }>) =>
  calls
    .filter((c) => c.tenantId === tenantId)
    .map((c) => c.callId)
    .sort();

/** A fresh reader: a container of the new version, with the default count and its own (empty) directory cache. */
const reader = () => new CallRepository(cli.table, clock);

beforeAll(async () => {
  cli = await startCliTable('shards');
});

afterAll(async () => {
  await cli?.stop();
});

describe('work lists written on 4 shards, then on 8', () => {
  // Shard 0 of 4 and 4 of 8; shard 2 of 4 and 6 of 8: each moves to a slot an old reader never read.
  const PENDING = 'c_upgrade-4';
  const WAITING = 'c_upgrade-2';
  const T = 'shards-up';

  it('puts the calls on their 4-shard place, where a reader of 8 slots lists them', async () => {
    expect([workShardOf(PENDING, 4), workShardOf(PENDING, 8), workShardOf(WAITING, 4), workShardOf(WAITING, 8)]).toEqual([0, 4, 2, 6]);
    const writer4 = new CallRepository(cli.table, clock, undefined, 'narrow', 4);
    expect((await writer4.reserve(call(T, PENDING))).reserved).toBe(true);
    const schedule = { notBefore: iso(now + 60_000), reason: 'requested' as const };
    expect((await writer4.reserve(call(T, WAITING, { state: 'scheduled', attempt: 0, schedule }))).reserved).toBe(true);
    expect(await keysOf(T, PENDING)).toEqual({ gsi4pk: `PENDING#${T}#0`, gsi5pk: `NOTIFY#${T}#0` });
    expect(await keysOf(T, WAITING)).toEqual({ gsi4pk: `DUE#${T}#2`, gsi5pk: `NOTIFY#${T}#2` });

    const r = reader();
    expect(idsOf(T, await r.queries.listPending({ limit: 10, before: LATER }))).toEqual([PENDING]);
    expect(idsOf(T, await r.waiting.listDue(LATER, FAIR))).toEqual([WAITING]);
    expect(await r.waiting.countWaiting(T)).toBe(1);
    expect(idsOf(T, await r.listNotifyDue(LATER, 10))).toEqual([WAITING, PENDING].sort());
  });

  it("moves them to their 8-shard place on a writer on 8's next write, where readers find them", async () => {
    now += 1_000;
    const writer8 = new CallRepository(cli.table, clock);
    expect(await writer8.transition(T, PENDING, { from: ['dispatching'], to: 'unknown' })).toBeDefined();
    const claimed = await writer8.waiting.claimWaiting(T, WAITING, {
      from: 'scheduled',
      attempt: 0,
      reservedBy: 'run-1',
      agent: { crmUserId: 'u-17', extension: '1000' },
      crmUserId: 'u-17',
      routing: null,
      createdAt: iso(),
    });
    expect(claimed?.state).toBe('dispatching');
    // The outbox entry stays where it was while the call has events to deliver (OUTBOX_SET: if_not_exists).
    expect(await keysOf(T, PENDING)).toEqual({ gsi4pk: `PENDING#${T}#4`, gsi5pk: `NOTIFY#${T}#0` });
    expect(await keysOf(T, WAITING)).toEqual({ gsi4pk: `PENDING#${T}#6`, gsi5pk: `NOTIFY#${T}#2` });
    expect(idsOf(T, await reader().queries.listPending({ limit: 10, before: LATER }))).toEqual([WAITING, PENDING].sort());

    // A failed delivery parks the call in the outbox at its 8-shard place, though a writer on 4 filed it elsewhere.
    const failedAt = iso();
    const notify = { attempts: 1, since: failedAt, lastAttemptAt: failedAt, nextAttemptAt: iso(now + 5_000), lastError: 'HTTP 503' };
    expect(await writer8.recordNotifyFailure(T, PENDING, 0, notify)).toBe(true);
    expect(await keysOf(T, PENDING)).toEqual({ gsi4pk: `PENDING#${T}#4`, gsi5pk: `NOTIFY#${T}#4` });
    expect(idsOf(T, await reader().listNotifyDue(LATER, 10))).toEqual([WAITING, PENDING].sort());
    // The doctor's inspector reads the outbox's 8 slots too.
    expect(await new TenantInspector(cli.table).notificationsRetrying(T)).toEqual({ count: 1, lastError: 'HTTP 503' });
  });
});

describe("a tenant's marker and a shard above 3", () => {
  const T = 'shards-retire';
  // Shard 7 of 8: an old reader of shards 0 to 3 would find the tenant's pending list empty.
  const ID = 'c_upgrade-5';

  it('stays while an entry sits there, and goes once the list is empty', async () => {
    expect(workShardOf(ID, 8)).toBe(7);
    const writer8 = new CallRepository(cli.table, clock);
    await writer8.reserve(call(T, ID));
    // Past the age a marker must reach before a reader may retire it.
    now += 200_000;
    // Nothing below the bound, so the reader looks at every shard for anything at all before retiring the marker.
    const before = iso(now - 3_600_000);
    expect(await reader().queries.listPending({ limit: 10, before })).toEqual([]);
    expect(await markerOf(T, 'pending')).toBeDefined();
    expect(idsOf(T, await reader().queries.listPending({ limit: 10, before: LATER }))).toEqual([ID]);

    // The call leaves the pending list: the same read now retires the marker (so the check above could fail).
    expect(await writer8.transition(T, ID, { from: ['dispatching'], to: 'dialing' })).toBeDefined();
    now += 200_000;
    expect(await reader().queries.listPending({ limit: 10, before })).toEqual([]);
    expect(await markerOf(T, 'pending')).toBeUndefined();
  });
});

describe("a tenant's share of a fair read, from writers on 4 shards", () => {
  const T = 'shards-share';

  it('is read whole from the 4 shards that hold its calls, oldest first', async () => {
    // 4 calls on each shard of 4, the oldest ones taking the shards in turn.
    const byShard: string[][] = [[], [], [], []];
    for (let i = 0; byShard.some((ids) => ids.length < 4); i++) {
      const ids = byShard[workShardOf(`c_share-${i}`, 4)]!;
      if (ids.length < 4) ids.push(`c_share-${i}`);
    }
    const oldestFirst = [0, 1, 2, 3].flatMap((round) => byShard.map((ids) => ids[round]!));
    const writer4 = new CallRepository(cli.table, clock, undefined, 'narrow', 4);
    const start = now;
    for (const [i, id] of oldestFirst.entries()) await writer4.reserve(call(T, id, { updatedAt: iso(start + i * 1_000) }));

    const queues = new WorkQueues(cli.table, new WorkDirectory(cli.table, clock), clock);
    const items = await queues.oldest('pending', T, LATER, 12);
    expect(items.map((item) => String(item.sk).slice(callSk('').length))).toEqual(oldestFirst.slice(0, 12));
    expect(await queues.count('pending', T)).toBe(16);
  });
});

describe('the CLI between the two deploys', () => {
  const T = 'shards-cli';
  // Shard 3 of 4, 7 of 8.
  const ID = 'c_upgrade-5';

  it("writes on the count its WORK_SHARDS names (4 before the stage's first deploy), on 8 when unset", async () => {
    const legacy = async () => {
      await cli.table.doc.send(
        new UpdateCommand({
          TableName: cli.table.name,
          Key: { pk: tenantPk(T), sk: callSk(ID) },
          UpdateExpression: 'SET gsi4pk = :legacy, gsi4sk = :sk',
          ExpressionAttributeValues: { ':legacy': 'PENDING_CALLS', ':sk': `${iso()}#${T}#${ID}` },
        }),
      );
    };
    await new CallRepository(cli.table, clock).reserve(call(T, ID));
    await legacy();
    const on4 = await cli.c2c(['calls', 'migrate-work-keys'], { env: { WORK_SHARDS: '4' } });
    expect(on4.code, on4.stderr).toBe(0);
    expect((await keysOf(T, ID)).gsi4pk).toBe(`PENDING#${T}#3`);
    await legacy();
    const unset = await cli.c2c(['calls', 'migrate-work-keys']);
    expect(unset.code, unset.stderr).toBe(0);
    expect((await keysOf(T, ID)).gsi4pk).toBe(`PENDING#${T}#7`);
    const bad = await cli.c2c(['calls', 'migrate-work-keys'], { env: { WORK_SHARDS: '16' } });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('WORK_SHARDS: expected one of 4, 8');
  });
});
