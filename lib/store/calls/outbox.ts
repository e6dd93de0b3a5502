import { systemClock, type Clock } from '../../time/clock';
import type { Table } from '../client';
import { DEFAULT_WORK_SHARDS, INDEX, notifyDeadPk, notifyPendingPk, notifyShardsPrefix, notifySk, type WorkShards } from '../keys';
import { newestOf } from '../query-pages';
import type { WorkDirectory } from '../work-directory';
import { fairShare, type WorkQueues } from '../work-queues';
import type { OutboxIndex } from './outbox-index';
import { callKeysOf, type CallKeys, type NotifyState } from './stored-call';
import { updateCallHeld } from './writes';

/** The condition that `notified` is still `n` (absent counts as 0, for calls older than the outbox). */
function notifiedIs(n: number): string {
  return n === 0 ? '(attribute_not_exists(notified) OR notified = :notified)' : 'notified = :notified';
}

/**
 * The notification outbox on the call items: `notified` counts the events delivered, and the outbox index (gsi5) files
 * a call with events left under `NOTIFY#<tenant>#<shard>` by due time, or under `NOTIFYDEAD#<tenant>` once given up.
 * Every move is conditioned on `notified` as the deliverer read it, so two deliverers never both advance one event.
 * (The ledger's writes put a call in the outbox: each appended event does, see writes.ts.)
 */
export class NotificationOutbox {
  constructor(
    private readonly table: Table,
    private readonly work: WorkDirectory,
    private readonly queues: WorkQueues,
    private readonly index: OutboxIndex,
    private readonly clock: Clock = systemClock,
    /** How many shards the outbox's writes spread a tenant's calls over: the stage's WORK_SHARDS. */
    private readonly shards: WorkShards = DEFAULT_WORK_SHARDS,
  ) {}

  /**
   * Records that `events[from]` was delivered: `notified` goes from `from` to `from + 1`, and the
   * retry state is cleared. When that was the last event, the call also leaves the outbox index, on
   * condition that no event was appended meanwhile. Returns false when the condition did not hold
   * (another deliverer advanced it, or a new event came): re-read and go on.
   */
  async advanceNotified(tenantId: string, callId: string, from: number, last: boolean): Promise<boolean> {
    return updateCallHeld(this.table, tenantId, callId, {
      UpdateExpression: `SET notified = :next REMOVE #notify${last ? ', gsi5pk, gsi5sk' : ''}`,
      ConditionExpression: `${notifiedIs(from)}${last ? ' AND size(events) = :next' : ''}`,
      ExpressionAttributeNames: { '#notify': 'notify' },
      ExpressionAttributeValues: { ':notified': from, ':next': from + 1 },
    });
  }

  /**
   * Marks every event delivered without sending anything (a tenant with no callback URL). `leaveIndex` false: the
   * call stays in the outbox index, where other transports' slots may still be behind (outbox-index.ts files it).
   */
  async skipNotifications(tenantId: string, callId: string, from: number, eventCount: number, leaveIndex = true): Promise<boolean> {
    return updateCallHeld(this.table, tenantId, callId, {
      UpdateExpression: `SET notified = :count REMOVE #notify${leaveIndex ? ', gsi5pk, gsi5sk' : ''}`,
      ConditionExpression: `${notifiedIs(from)} AND size(events) = :count`,
      ExpressionAttributeNames: { '#notify': 'notify' },
      ExpressionAttributeValues: { ':notified': from, ':count': eventCount },
    });
  }

  /**
   * A failed delivery of `events[notified]`: the retry state, and the call's new due time in the outbox index.
   * `park` false: the retry state only, the index is filed by all the live slots (outbox-index.ts).
   */
  async recordNotifyFailure(tenantId: string, callId: string, notified: number, notify: NotifyState, park = true): Promise<boolean> {
    if (!park) return this.keepState(tenantId, callId, notified, notify);
    await this.work.touch(tenantId, ['notify']);
    return this.park(tenantId, callId, notified, notify, notifyPendingPk(tenantId, callId, this.shards), notify.nextAttemptAt);
  }

  /** Gives up delivering: the call moves to the dead index, where it waits for a redrive. */
  async markNotifyDead(
    tenantId: string,
    callId: string,
    notified: number,
    notify: NotifyState & { deadLetteredAt: string },
    park = true,
  ): Promise<boolean> {
    if (!park) return this.keepState(tenantId, callId, notified, notify);
    await this.work.touch(tenantId, ['dead']);
    return this.park(tenantId, callId, notified, notify, notifyDeadPk(tenantId), notify.deadLetteredAt);
  }

  /** Puts a dead-lettered call back in the outbox, due now: every slot given up on, each with a fresh retry budget. */
  redriveNotifications(tenantId: string, callId: string, now = this.clock().toISOString()): Promise<boolean> {
    return this.index.redrive(tenantId, callId, undefined, now);
  }

  /** Calls with notifications due at or before `now`, fairly across tenants, each tenant's most overdue first. */
  async listNotifyDue(now: string, limit: number): Promise<CallKeys[]> {
    return (await this.queues.fairly('notify', `${now}~`, fairShare(limit))).flatMap(callKeysOf);
  }

  /**
   * Dead-lettered calls, newest first (the index holds keys only: read each call for details). Of one tenant, or of
   * every tenant the work directory lists with dead-lettered calls.
   */
  async listNotifyDead(limit: number, tenantId?: string): Promise<CallKeys[]> {
    const tenants = tenantId !== undefined ? [tenantId] : (await this.work.list('dead')).map((m) => m.tenantId);
    const items = await Promise.all(tenants.map((t) => newestOf(this.table, INDEX.gsi5, notifyDeadPk(t), limit)));
    return items
      .flat()
      .sort((a, b) => String(b.gsi5sk).localeCompare(String(a.gsi5sk)))
      .slice(0, limit)
      .flatMap(callKeysOf);
  }

  /** The retry state of `events[notified]` alone, unless the webhook's slot was given up on meanwhile. */
  private keepState(tenantId: string, callId: string, notified: number, notify: NotifyState): Promise<boolean> {
    return updateCallHeld(this.table, tenantId, callId, {
      UpdateExpression: 'SET #notify = :notify',
      ConditionExpression: `${notifiedIs(notified)} AND attribute_not_exists(#notify.#dead)`,
      ExpressionAttributeNames: { '#notify': 'notify', '#dead': 'deadLetteredAt' },
      ExpressionAttributeValues: { ':notified': notified, ':notify': notify },
    });
  }

  /**
   * Stores the retry state of a call still in the outbox (and still at `notified`) and files it under `indexPk`
   * at `at`: the pending index by due time, or the dead index by the time it was given up. "Still in the outbox" is any
   * of the tenant's outbox shards: a call filed by a writer with another shard count is in it too.
   */
  private park(tenantId: string, callId: string, notified: number, notify: NotifyState, indexPk: string, at: string): Promise<boolean> {
    return updateCallHeld(this.table, tenantId, callId, {
      UpdateExpression: 'SET #notify = :notify, gsi5pk = :indexPk, gsi5sk = :indexSk',
      ConditionExpression: `${notifiedIs(notified)} AND begins_with(gsi5pk, :pendingPrefix)`,
      ExpressionAttributeNames: { '#notify': 'notify' },
      ExpressionAttributeValues: {
        ':notified': notified,
        ':notify': notify,
        ':pendingPrefix': notifyShardsPrefix(tenantId),
        ':indexPk': indexPk,
        ':indexSk': notifySk(at, callId),
      },
    });
  }
}
