import { systemClock, type Clock } from '../time/clock';
import type { Table } from './client';
import { dueShardPk, INDEX, notifyShardPk, pendingShardPk, shardNumbers, WORK_SHARD_SLOTS } from './keys';
import { queryAll, type PagedQuery } from './query-pages';
import type { WorkDirectory, WorkMarker } from './work-directory';

/** The sharded work lists, and where each is indexed. */
const LISTS = {
  due: { index: INDEX.gsi4, shardPk: dueShardPk },
  pending: { index: INDEX.gsi4, shardPk: pendingShardPk },
  notify: { index: INDEX.gsi5, shardPk: notifyShardPk },
} as const;
export type WorkList = keyof typeof LISTS;

/** How much one fair read takes: in all, and from each tenant. */
export interface FairBounds {
  /** Items in all, across tenants. */
  total: number;
  /** Items of one tenant: its share of `total` among the tenants with work, within these bounds. */
  perTenant: { min: number; max: number };
  /** Tenants read per run, taken in turn: with more, the next run starts where this one stopped. */
  maxTenants: number;
}

/**
 * The bounds of a fair read of `limit` items in all (the reconciler's and the deliverer's runs): each tenant's share of
 * `limit`, and no more tenants than items (the next run starts with the tenants this one left).
 */
export const fairShare = (limit: number): FairBounds => ({ total: limit, perTenant: { min: 1, max: limit }, maxTenants: limit });

/** Tenants' work lists read side by side. */
const TENANT_CONCURRENCY = 16;
/** A tenant whose waiting counter is at its limit is recounted at most this often (a count reads every waiting call). */
const RECOUNT_EVERY_MS = 60_000;

/**
 * One item of each list in turn, then the second of each, and so on, until `total`: every tenant's oldest work is
 * served before any tenant's second, whatever their ages across tenants.
 */
export function roundRobin<T>(lists: ReadonlyArray<readonly T[]>, total: number): T[] {
  const out: T[] = [];
  const longest = Math.max(0, ...lists.map((l) => l.length));
  for (let round = 0; round < longest && out.length < total; round++) {
    for (const list of lists) {
      if (out.length >= total) break;
      if (round < list.length) out.push(list[round]!);
    }
  }
  return out;
}

/** A tenant's share of `total` among `tenants`, at least `min` (so a run makes progress) and at most `max`. */
export function perTenantShare(total: number, tenants: number, bounds: { min: number; max: number }): number {
  if (tenants <= 0) return 0;
  return Math.min(bounds.max, Math.max(bounds.min, Math.ceil(total / tenants)));
}

async function eachLimited<T, R>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}

/**
 * Reads the sharded work lists fairly: the tenants with work from the directory, each tenant's oldest items across its
 * shards (a share per tenant), interleaved round robin. Retires the directory marker of a tenant whose shards are all
 * empty, and recounts the waiting calls of a tenant whose counter is at its limit.
 */
export class WorkQueues {
  /** Where the next run starts in the list of tenants, so that a run bounded by `maxTenants` leaves nobody out for good. */
  private turn = 0;

  constructor(
    private readonly table: Table,
    private readonly directory: WorkDirectory,
    private readonly clock: Clock = systemClock,
  ) {}

  /** The items of `list` whose index sort key is below `below`, fairly across tenants (each tenant's oldest first). */
  async fairly(list: WorkList, below: string, bounds: FairBounds): Promise<Array<Record<string, unknown>>> {
    const markers = await this.directory.list(list);
    if (markers.length === 0) return [];
    const start = this.turn++ % markers.length;
    const tenants = [...markers.slice(start), ...markers.slice(0, start)].slice(0, bounds.maxTenants);
    const share = perTenantShare(bounds.total, tenants.length, bounds.perTenant);
    const lists = await eachLimited(tenants, TENANT_CONCURRENCY, async (marker) => {
      const items = await this.oldest(list, marker.tenantId, below, share);
      if (items.length === 0 && this.directory.mayRetire(marker)) await this.retireIfEmpty(list, marker);
      if (list === 'due') await this.recountIfFull(marker);
      return items;
    });
    return roundRobin(lists, bounds.total);
  }

  /**
   * One tenant's `limit` oldest items of `list` below `below`, across its shards. `exact`: read up to `limit` from each
   * shard (a listing); otherwise each shard's part of it, since a tenant's calls spread evenly over the shards its
   * writers use. Those may be fewer than the slots read (a stage whose writers use 4: docs/operations.md, "Work shards:
   * from 4 to 8"): when the parts fall short of `limit` and some shard had more, those shards are read again for the rest.
   */
  async oldest(list: WorkList, tenantId: string, below: string, limit: number, exact = false): Promise<Array<Record<string, unknown>>> {
    const { index } = LISTS[list];
    const sk = `${index}sk`;
    const fromEach = exact ? limit : Math.max(1, Math.ceil(limit / WORK_SHARD_SLOTS));
    const perShard = await Promise.all(shardNumbers().map((shard) => this.query(list, tenantId, shard, { below, limit: fromEach })));
    const read = perShard.reduce((n, items) => n + items.length, 0);
    const full = shardNumbers().filter((shard) => perShard[shard]!.length === fromEach);
    if (read < limit && full.length > 0) {
      const more = fromEach + Math.ceil((limit - read) / full.length);
      await Promise.all(full.map(async (shard) => (perShard[shard] = await this.query(list, tenantId, shard, { below, limit: more }))));
    }
    return perShard
      .flat()
      .sort((a, b) => String(a[sk]).localeCompare(String(b[sk])))
      .slice(0, limit);
  }

  /** Items of a tenant's list in all: its waiting calls, for the waiting counter. Paged, keys only counted. */
  async count(list: WorkList, tenantId: string): Promise<number> {
    const { index, shardPk } = LISTS[list];
    const counts = await Promise.all(
      shardNumbers().map(
        async (shard) =>
          (
            await queryAll(this.table, {
              IndexName: index,
              KeyConditionExpression: '#pk = :pk',
              ExpressionAttributeNames: { '#pk': `${index}pk` },
              ExpressionAttributeValues: { ':pk': shardPk(tenantId, shard) },
              Select: 'COUNT',
            })
          ).count,
      ),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  /** The first `limit` items of one shard (below `below`), oldest first, paged. */
  private async query(list: WorkList, tenantId: string, shard: number, options: { below?: string; limit: number }) {
    const { index, shardPk } = LISTS[list];
    const query: PagedQuery = {
      IndexName: index,
      KeyConditionExpression: options.below === undefined ? '#pk = :pk' : '#pk = :pk AND #sk < :below',
      ExpressionAttributeNames: { '#pk': `${index}pk`, ...(options.below === undefined ? {} : { '#sk': `${index}sk` }) },
      ExpressionAttributeValues: {
        ':pk': shardPk(tenantId, shard),
        ...(options.below === undefined ? {} : { ':below': options.below }),
      },
    };
    return (await queryAll(this.table, query, { maxItems: options.limit })).items;
  }

  /**
   * Nothing below the bound: if no shard holds anything at all (a scheduled call due later keeps its tenant listed),
   * the marker is retired. Best effort: a marker left costs one more empty read per run.
   */
  private async retireIfEmpty(list: WorkList, marker: WorkMarker): Promise<void> {
    try {
      const emptyAt = this.clock().getTime();
      const any = await Promise.all(shardNumbers().map((shard) => this.query(list, marker.tenantId, shard, { limit: 1 })));
      if (any.every((items) => items.length === 0)) await this.directory.retire(list, marker, emptyAt);
    } catch {
      // Left for the next run.
    }
  }

  /**
   * A tenant at its waiting limit may be there by drift (a crash between a slot's take and its reservation, a slot
   * not given back after a store fault): count its waiting calls exactly and correct the counter, on condition that
   * it still holds what was read before the count. The listing's count is the marker's, which counts the slots given
   * back since only once they are applied: they are applied first, and only a tenant still at its limit is counted.
   */
  private async recountIfFull(marker: WorkMarker): Promise<void> {
    const { waiting, waitingMax, recountedAt } = marker;
    if (waiting === undefined || waitingMax === undefined || waiting < waitingMax) return;
    if (this.clock().getTime() - (recountedAt ?? 0) < RECOUNT_EVERY_MS) return;
    try {
      const read = await this.directory.applyReturnedSlots(marker.tenantId);
      if (read.waiting === undefined || read.waiting - read.returned < waitingMax) return;
      const counted = await this.count('due', marker.tenantId);
      await this.directory.correctWaiting(marker.tenantId, read.waiting, counted);
    } catch {
      // Left for the next run.
    }
  }
}
