import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  deadLetterPk,
  dueCallsPk,
  dueCallSk,
  flaggedCallsPk,
  notifyDeadPk,
  notifyPendingPk,
  pendingCallsPk,
  shardNumbers,
  stableHash,
  WORK_BUCKETS,
  WORK_SHARD_SLOTS,
  workBucketOf,
  workBucketPk,
  workMarkerSk,
  workShardOf,
} from '../../../lib/store/keys';
import { perTenantShare, roundRobin } from '../../../lib/store/work-queues';

describe('work list keys', () => {
  it.each([
    ['pending', (t: string, c: string) => pendingCallsPk(t, c, 8), /^PENDING#acme#[0-7]$/],
    ['due', (t: string, c: string) => dueCallsPk(t, c, 8), /^DUE#acme#[0-7]$/],
    ['notify', (t: string, c: string) => notifyPendingPk(t, c, 8), /^NOTIFY#acme#[0-7]$/],
    ['flagged', (t: string) => flaggedCallsPk(t), /^FLAGGED#acme$/],
    ['dead notifications', (t: string) => notifyDeadPk(t), /^NOTIFYDEAD#acme$/],
    ['dead letters', (t: string) => deadLetterPk(t), /^DLQ#acme$/],
  ])('%s: a partition of the tenant, never one every tenant writes', (_name, build, shape) => {
    expect(build('acme', 'c_01J0000000000000000000000A')).toMatch(shape);
    expect(build('acme', 'c_01J0000000000000000000000A')).not.toBe(build('other', 'c_01J0000000000000000000000A'));
  });

  it.each([4, 8] as const)('keep a call on one shard of each list with %i shards: the same number from its id, every time', (shards) => {
    const callId = 'c_01J0000000000000000000000A';
    const shard = workShardOf(callId, shards);
    expect(shard).toBe(stableHash(callId) % shards);
    expect(pendingCallsPk('acme', callId, shards)).toBe(`PENDING#acme#${shard}`);
    expect(dueCallsPk('acme', callId, shards)).toBe(`DUE#acme#${shard}`);
    expect(notifyPendingPk('acme', callId, shards)).toBe(`NOTIFY#acme#${shard}`);
  });

  it('put calls on shards 0 to 7 with 8 shards and 0 to 3 with 4, and readers read slots 0 to 7 either way', () => {
    const ids = Array.from({ length: 400 }, (_, i) => `c_${i}`);
    expect(new Set(ids.map((id) => workShardOf(id, 8)))).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7]));
    expect(new Set(ids.map((id) => workShardOf(id, 4)))).toEqual(new Set([0, 1, 2, 3]));
    expect(WORK_SHARD_SLOTS).toBe(8);
    expect(shardNumbers()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // A call written with 4 shards keeps its number's low bits with 8: shard n of 4 becomes n or n + 4, both read.
    for (const id of ids) expect(workShardOf(id, 8) % 4).toBe(workShardOf(id, 4));
  });

  it('sort due calls by time, with no tenant id in the sort key', () => {
    expect(dueCallSk('2026-01-01T10:00:00.000Z', 'c_B') < dueCallSk('2026-01-01T10:00:00.001Z', 'c_A')).toBe(true);
    expect(dueCallSk('2026-01-01T10:00:00.000Z', 'c_B')).toBe('2026-01-01T10:00:00.000Z#c_B');
  });
});

describe('the shard and bucket hash', () => {
  // Pinned: a change of the hash would move live work items to other shards than their readers query.
  it.each([
    ['', 2166136261],
    ['a', 0xe40c292c],
    ['foobar', 0xbf9cf968],
    ['c_01J0000000000000000000000A', 2255202185],
  ])('FNV-1a of %j is %i', (text, hash) => {
    expect(stableHash(text)).toBe(hash);
  });

  it('spreads call ids evenly over the shards and tenants over the buckets', () => {
    const shards = new Array<number>(WORK_SHARD_SLOTS).fill(0);
    const buckets = new Array<number>(WORK_BUCKETS).fill(0);
    for (let i = 0; i < 4000; i++) {
      shards[workShardOf(`c_${randomUUID()}`, 8)]!++;
      buckets[workBucketOf(`tenant-${i}`)]!++;
    }
    for (const n of shards) expect(n).toBeGreaterThan(400);
    for (const n of buckets) expect(n).toBeGreaterThan(150);
  });

  it('files a tenant marker under its kind and bucket', () => {
    expect(workMarkerSk('due')).toBe('WORK#due');
    expect(workBucketPk('due', workBucketOf('acme'))).toBe(`WORK#due#${stableHash('acme') % WORK_BUCKETS}`);
  });
});

describe('round robin by tenant', () => {
  it.each([
    { lists: [['a1', 'a2', 'a3'], ['b1'], ['c1', 'c2']], total: 10, out: ['a1', 'b1', 'c1', 'a2', 'c2', 'a3'] },
    { lists: [['a1', 'a2', 'a3'], ['b1'], ['c1', 'c2']], total: 4, out: ['a1', 'b1', 'c1', 'a2'] },
    // A tenant holding thousands of due calls takes one slot per round, never the others'.
    { lists: [Array.from({ length: 2000 }, (_, i) => `a${i}`), ['b1']], total: 3, out: ['a0', 'b1', 'a1'] },
    { lists: [[], ['b1', 'b2'], []], total: 5, out: ['b1', 'b2'] },
    { lists: [], total: 5, out: [] },
    { lists: [['a1']], total: 0, out: [] },
  ])('$lists.length lists, $total at most -> $out', ({ lists, total, out }) => {
    expect(roundRobin(lists, total)).toEqual(out);
  });

  it.each([
    { total: 2000, tenants: 1, bounds: { min: 4, max: 200 }, share: 200 },
    { total: 2000, tenants: 20, bounds: { min: 4, max: 200 }, share: 100 },
    { total: 2000, tenants: 1000, bounds: { min: 4, max: 200 }, share: 4 },
    { total: 100, tenants: 3, bounds: { min: 1, max: 100 }, share: 34 },
    { total: 100, tenants: 0, bounds: { min: 1, max: 100 }, share: 0 },
  ])('a tenant reads $share of $total among $tenants tenants', ({ total, tenants, bounds, share }) => {
    expect(perTenantShare(total, tenants, bounds)).toBe(share);
  });
});
