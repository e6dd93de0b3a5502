import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { systemClock, type Clock } from '../time/clock';
import type { Table } from './client';
import { isConditionalCheckFailed } from './errors';
import { INDEX, tenantPk, WORK_BUCKETS, workBucketOf, workBucketPk, workMarkerSk, type WorkKind } from './keys';
import { queryPages } from './query-pages';
import { WaitingCounter, type WaitingCount } from './waiting-counter';

/** A writer refreshes a tenant's marker of a kind at most this often per container (its in-memory cache). */
export const WORK_REFRESH_MS = 30_000;
/** A reader retires a marker only when it was last refreshed longer ago than this, and every shard is empty. */
export const WORK_RETIRE_AFTER_MS = 120_000;
/** ... and only this soon after it found the shards empty: past it, the reader reads again on its next run. */
export const WORK_RETIRE_WITHIN_MS = 30_000;

/** A tenant with work of one kind, as the directory lists it. */
export interface WorkMarker {
  tenantId: string;
  /** When a writer last refreshed the marker (epoch ms). */
  seenAt: number;
  /**
   * The due marker only: the waiting slots (`scheduled`, `queued` calls) taken, less those applied back; the slots
   * given back since are on the tenant's returned item (lib/store/waiting-counter.ts), so this counts high, never low.
   */
  waiting?: number;
  /** The due marker only: the tenant's `maxWaitingCalls` when the counter was last taken. */
  waitingMax?: number;
  /** The due marker only: when the scheduler last recounted the waiting calls (epoch ms). */
  recountedAt?: number;
}

/**
 * The work directory: which tenants have work of a kind (due calls, pending calls, notifications to deliver, flagged
 * calls, dead-lettered notifications, dead letters), so that the scheduler, the reconciler and the deliverer read the
 * shards of those tenants only, never every tenant's.
 *
 * One marker item per tenant and kind (`TENANT#<id>`, `WORK#<kind>`), indexed on gsi4 under `WORK#<kind>#<bucket>`.
 * Every write that creates work first makes sure the marker is there (`touch`): one upsert of `seenAt`, at most once
 * per WORK_REFRESH_MS per container, tenant and kind. A reader that finds every shard of a tenant empty retires the
 * marker with a conditional delete (`seenAt` older than WORK_RETIRE_AFTER_MS), within WORK_RETIRE_WITHIN_MS of its
 * read. Why that can never hide work: docs/design.md, "Work lists".
 *
 * The due marker also counts the tenant's waiting calls (`maxWaitingCalls`): a slot is taken by the same write that
 * refreshes it, before the reservation of a waiting call, and given back, on an item of its own, when the call leaves
 * the waiting states (lib/store/waiting-counter.ts).
 */
export class WorkDirectory {
  /** `<tenantId>#<kind>` -> when this container last refreshed that marker, or the refresh on its way. */
  private readonly touched = new Map<string, { at: number; pending?: Promise<void> }>();
  private readonly waiting: WaitingCounter;

  constructor(
    private readonly table: Table,
    private readonly clock: Clock = systemClock,
  ) {
    this.waiting = new WaitingCounter(table, clock, (tenantId, at) => this.remember(`${tenantId}#due`, at));
  }

  /** Makes sure the tenant's markers of `kinds` are there (and fresh) before work of those kinds is written. */
  async touch(tenantId: string, kinds: readonly WorkKind[]): Promise<void> {
    await Promise.all(kinds.map((kind) => this.touchOne(tenantId, kind)));
  }

  private touchOne(tenantId: string, kind: WorkKind): Promise<void> {
    const key = `${tenantId}#${kind}`;
    const now = this.clock().getTime();
    const known = this.touched.get(key);
    if (known?.pending) return known.pending;
    if (known && now - known.at < WORK_REFRESH_MS) return Promise.resolve();
    const pending = this.table.doc
      .send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: { pk: tenantPk(tenantId), sk: workMarkerSk(kind) },
          UpdateExpression: 'SET seenAt = :now, gsi4pk = :bucket, gsi4sk = :tenantId, #type = :type',
          ExpressionAttributeNames: { '#type': 'type' },
          ExpressionAttributeValues: {
            ':now': now,
            ':bucket': workBucketPk(kind, workBucketOf(tenantId)),
            ':tenantId': tenantId,
            ':type': 'work',
          },
        }),
      )
      .then(
        () => this.remember(key, now),
        (error: unknown) => {
          // Not refreshed: the next write of this kind tries again.
          this.touched.delete(key);
          throw error;
        },
      );
    this.touched.set(key, { at: known?.at ?? 0, pending });
    return pending;
  }

  private remember(key: string, at: number) {
    this.touched.set(key, { at });
    // The cache holds what was refreshed within the last period; older entries only cost memory.
    if (this.touched.size > 10_000) {
      const cutoff = this.clock().getTime() - WORK_REFRESH_MS;
      for (const [k, v] of this.touched) if (!v.pending && v.at < cutoff) this.touched.delete(k);
    }
  }

  /**
   * Takes one of the tenant's `max` waiting slots, in the write that refreshes its due marker: false when the tenant
   * has `max` waiting calls already (nothing taken). Runs before the reservation of a waiting call.
   */
  takeWaitingSlot(tenantId: string, max: number): Promise<boolean> {
    return this.waiting.take(tenantId, max);
  }

  /** Counts `n` waiting calls that were reserved without a slot (calls moved from the keys before issue 17). */
  async addWaiting(tenantId: string, n: number): Promise<void> {
    await this.table.doc.send(
      new UpdateCommand({
        TableName: this.table.name,
        Key: { pk: tenantPk(tenantId), sk: workMarkerSk('due') },
        UpdateExpression: 'SET seenAt = :now, gsi4pk = :bucket, gsi4sk = :tenantId, #type = :type ADD waiting :n',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: {
          ':now': this.clock().getTime(),
          ':bucket': workBucketPk('due', workBucketOf(tenantId)),
          ':tenantId': tenantId,
          ':type': 'work',
          ':n': n,
        },
      }),
    );
  }

  /**
   * Gives a waiting slot back: a waiting call left the waiting states (claimed, cancelled, ended), or its reservation
   * turned out to be a copy's or failed. One write on the tenant's returned item, never on the marker.
   */
  giveWaitingSlotBack(tenantId: string): Promise<void> {
    return this.waiting.giveBack(tenantId);
  }

  /** Applies the slots given back to the due marker's count, and says what the counter holds after (the recount's read). */
  applyReturnedSlots(tenantId: string): Promise<WaitingCount> {
    return this.waiting.applyReturned(tenantId);
  }

  /**
   * Sets the waiting count to what the scheduler counted, if the marker still holds what was read before the count (a
   * reservation or a claim in between changes it, and the correction waits for the next recount).
   */
  correctWaiting(tenantId: string, read: number, counted: number): Promise<boolean> {
    return this.waiting.correct(tenantId, read, counted);
  }

  /** Every tenant with a marker of `kind`: one query per bucket, side by side. */
  async list(kind: WorkKind): Promise<WorkMarker[]> {
    const buckets = await Promise.all(Array.from({ length: WORK_BUCKETS }, (_, bucket) => this.listBucket(kind, bucket)));
    return buckets.flat();
  }

  private async listBucket(kind: WorkKind, bucket: number): Promise<WorkMarker[]> {
    const markers: WorkMarker[] = [];
    const query = {
      IndexName: INDEX.gsi4,
      KeyConditionExpression: 'gsi4pk = :pk',
      ExpressionAttributeValues: { ':pk': workBucketPk(kind, bucket) },
    };
    for await (const page of queryPages(this.table, query)) {
      for (const item of page.items) {
        if (typeof item.gsi4sk !== 'string') continue;
        markers.push({
          tenantId: item.gsi4sk,
          seenAt: typeof item.seenAt === 'number' ? item.seenAt : 0,
          ...(typeof item.waiting === 'number' ? { waiting: item.waiting } : {}),
          ...(typeof item.waitingMax === 'number' ? { waitingMax: item.waitingMax } : {}),
          ...(typeof item.recountedAt === 'number' ? { recountedAt: item.recountedAt } : {}),
        });
      }
    }
    return markers;
  }

  /** Whether a marker last refreshed at `seenAt` is old enough to be retired once its shards are found empty. */
  mayRetire(marker: WorkMarker): boolean {
    return this.clock().getTime() - marker.seenAt > WORK_RETIRE_AFTER_MS;
  }

  /**
   * Retires a tenant's marker of `kind`, whose shards were all found empty at `emptyAt` (epoch ms): a conditional
   * delete that no refresh since WORK_RETIRE_AFTER_MS ago lets through. The due marker also goes only if its waiting
   * counter is still what the listing read (no slot taken meanwhile): with no waiting call left, its count is zero, and
   * the slots given back go with it.
   */
  async retire(kind: WorkKind, marker: WorkMarker, emptyAt: number): Promise<boolean> {
    const now = this.clock().getTime();
    if (now - emptyAt > WORK_RETIRE_WITHIN_MS) return false;
    const waiting = kind === 'due' && marker.waiting !== undefined;
    try {
      await this.table.doc.send(
        new DeleteCommand({
          TableName: this.table.name,
          Key: { pk: tenantPk(marker.tenantId), sk: workMarkerSk(kind) },
          ConditionExpression: `seenAt < :cutoff${waiting ? ' AND waiting = :waiting' : ''}`,
          ExpressionAttributeValues: { ':cutoff': now - WORK_RETIRE_AFTER_MS, ...(waiting ? { ':waiting': marker.waiting } : {}) },
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
    // The returns go with the count: a later marker starts from nothing (a fault here leaves them to its first take).
    if (kind === 'due') await this.waiting.forgetReturned(marker.tenantId).catch(() => undefined);
    return true;
  }
}
