import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { CALL_STATES, canTransition, type CallState } from '../../model/call';
import { systemClock, type Clock } from '../../time/clock';
import type { Table } from '../client';
import { callSk, DEFAULT_WORK_SHARDS, notifyDeadPk, notifyPendingPk, notifySk, tenantPk, type WorkShards } from '../keys';
import type { WorkDirectory } from '../work-directory';
import { expressionOf, NOTIFIED_SLOT, type SlotId } from './deliveries';
import type { DeliverySlotState, NotifyState } from './stored-call';
import { updateCallHeld } from './writes';

/** A call whose only undelivered slots are dead-lettered, and which may still change state, is looked at again this often. */
export const PARKED_RECHECK_MS = 3600_000;

/** One live slot as the index rule sees it. */
export interface SlotView {
  next: number;
  retry?: Pick<NotifyState, 'nextAttemptAt' | 'deadLetteredAt'>;
  startedAt?: string;
}

/** Where a call belongs in the outbox index (gsi5). */
export type IndexTarget = { kind: 'out' } | { kind: 'dead'; at: string } | { kind: 'due'; at: string };

/**
 * The outbox index rule (docs/design.md, "Adding a transport"), pure: a call is in the index while any live slot is
 * behind its `events`. Due at the earliest next attempt of the slots behind (now for a slot with none; the end of its
 * lease for a slot whose attempt is under way). When every slot behind is dead-lettered: in the dead index once the
 * call's state is final (no event can come), else due again after {@link PARKED_RECHECK_MS}, so that the stream still
 * wakes the deliverer for a new event (it watches the pending index only) and the other slots get it.
 */
export function indexTargetOf(input: {
  eventCount: number;
  final: boolean;
  slots: readonly SlotView[];
  now: Date;
  leaseMs: number;
}): IndexTarget {
  const behind = input.slots.filter((s) => s.next < input.eventCount);
  if (behind.length === 0) return { kind: 'out' };
  const live = behind.filter((s) => s.retry?.deadLetteredAt === undefined);
  if (live.length === 0) {
    if (input.final)
      return {
        kind: 'dead',
        at: behind
          .map((s) => s.retry!.deadLetteredAt!)
          .sort()
          .at(-1)!,
      };
    return { kind: 'due', at: new Date(input.now.getTime() + PARKED_RECHECK_MS).toISOString() };
  }
  const nowMs = input.now.getTime();
  const dueOf = (s: SlotView): number => {
    if (s.retry) return Date.parse(s.retry.nextAttemptAt);
    if (s.startedAt) return Math.max(nowMs, Date.parse(s.startedAt) + input.leaseMs);
    return nowMs;
  };
  return { kind: 'due', at: new Date(Math.min(...live.map(dueOf))).toISOString() };
}

/** A state no transition leaves: no event can be appended any more. */
export const isFinalState = (state: CallState): boolean => !CALL_STATES.some((to) => canTransition(state, to));

type Item = Record<string, unknown> & {
  events?: unknown[];
  state?: CallState;
  notified?: number;
  notify?: NotifyState;
  deliveries?: Record<string, DeliverySlotState>;
  gsi5pk?: string;
  gsi5sk?: string;
};

/**
 * Files calls in the outbox index by all their live slots, when more than the webhook's is live (alone, the
 * webhook's own writes keep the index: outbox.ts), and redrives dead-lettered slots. Every write is conditioned on
 * the slots and the index being as read: a write that loses comes from a deliverer whose own pass files the call
 * after it.
 */
export class OutboxIndex {
  constructor(
    private readonly table: Table,
    private readonly work: WorkDirectory,
    private readonly clock: Clock = systemClock,
    /** How many shards the index's writes spread a tenant's calls over: the stage's WORK_SHARDS. */
    private readonly shards: WorkShards = DEFAULT_WORK_SHARDS,
  ) {}

  /**
   * Reads the call and moves it where {@link indexTargetOf} says, if it is not there. `live`: the slots of the
   * transports with a target for the tenant. False when the call changed meanwhile (or is gone).
   */
  async settle(tenantId: string, callId: string, live: readonly SlotId[], now: Date, leaseMs: number): Promise<boolean> {
    const item = await this.read(tenantId, callId);
    if (!item?.events || !item.state) return false;
    const views = live.map((slot) => viewOf(item, slot));
    const target = indexTargetOf({ eventCount: item.events.length, final: isFinalState(item.state), slots: views, now, leaseMs });
    const pendingPk = notifyPendingPk(tenantId, callId, this.shards);
    const currentDue = item.gsi5pk === pendingPk ? item.gsi5sk?.split('#')[0] : undefined;
    const nowIso = now.toISOString();
    if (target.kind === 'out' && item.gsi5pk === undefined) return true;
    if (target.kind === 'dead' && item.gsi5pk === notifyDeadPk(tenantId) && item.gsi5sk === notifySk(target.at, callId)) return true;
    if (target.kind === 'due' && currentDue !== undefined && (currentDue === target.at || (currentDue <= nowIso && target.at <= nowIso)))
      return true;

    const names: Record<string, string> = { '#state': 'state' };
    const values: Record<string, unknown> = { ':eventCount': item.events.length, ':state': item.state };
    const conditions = ['size(events) = :eventCount', '#state = :state'];
    live.forEach((slot, i) => conditions.push(...slotAsRead(slot, views[i]!, `s${i}`, names, values)));
    if (item.gsi5pk === undefined) conditions.push('attribute_not_exists(gsi5pk)');
    else {
      conditions.push('gsi5pk = :curPk AND gsi5sk = :curSk');
      values[':curPk'] = item.gsi5pk;
      values[':curSk'] = item.gsi5sk;
    }
    let update: string;
    if (target.kind === 'out') update = 'REMOVE gsi5pk, gsi5sk';
    else {
      await this.work.touch(tenantId, [target.kind === 'dead' ? 'dead' : 'notify']);
      update = 'SET gsi5pk = :pk, gsi5sk = :sk';
      values[':pk'] = target.kind === 'dead' ? notifyDeadPk(tenantId) : pendingPk;
      values[':sk'] = notifySk(target.at, callId);
    }
    return updateCallHeld(this.table, tenantId, callId, expressionOf(update, conditions.join(' AND '), names, values));
  }

  /**
   * Puts a call's dead-lettered slots back to work, due now: `slot` alone, or every dead-lettered one. The webhook's
   * gets a fresh retry budget (its receivers dedupe). A `deliveries.<name>` slot gets a fresh run of failures that
   * counts one attempt made, so its transport looks for what an attempt of unknown outcome may have created before
   * it creates again. False when no such slot is dead-lettered.
   */
  async redrive(tenantId: string, callId: string, slot?: SlotId, now = this.clock().toISOString()): Promise<boolean> {
    const item = await this.read(tenantId, callId);
    if (!item) return false;
    const dead = (slot === undefined ? [NOTIFIED_SLOT, ...Object.keys(item.deliveries ?? {})] : [slot]).filter(
      (s) => viewOf(item, s).retry?.deadLetteredAt !== undefined,
    );
    if (dead.length === 0) return false;
    const names: Record<string, string> = { '#retry': 'retry', '#dead': 'deadLetteredAt' };
    const values: Record<string, unknown> = {
      ':pendingPk': notifyPendingPk(tenantId, callId, this.shards),
      ':dueSk': notifySk(now, callId),
    };
    const sets = ['gsi5pk = :pendingPk', 'gsi5sk = :dueSk'];
    const removes: string[] = [];
    const conditions: string[] = [];
    dead.forEach((s, i) => {
      const retry = viewOf(item, s).retry as NotifyState;
      values[`:dead${i}`] = retry.deadLetteredAt;
      if (s === NOTIFIED_SLOT) {
        names['#notify'] = 'notify';
        removes.push('#notify');
        conditions.push(`#notify.#dead = :dead${i}`);
        return;
      }
      names['#d'] = 'deliveries';
      names[`#n${i}`] = s;
      values[`:retry${i}`] = {
        attempts: 1,
        since: now,
        lastAttemptAt: retry.lastAttemptAt,
        nextAttemptAt: now,
        lastError: retry.lastError,
      };
      sets.push(`#d.#n${i}.#retry = :retry${i}`);
      conditions.push(`#d.#n${i}.#retry.#dead = :dead${i}`);
    });
    await this.work.touch(tenantId, ['notify']);
    const update = `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`;
    return updateCallHeld(this.table, tenantId, callId, expressionOf(update, conditions.join(' AND '), names, values));
  }

  private async read(tenantId: string, callId: string): Promise<Item | undefined> {
    const out = await this.table.doc.send(
      new GetCommand({
        TableName: this.table.name,
        Key: { pk: tenantPk(tenantId), sk: callSk(callId) },
        ConsistentRead: true,
        ProjectionExpression: 'events, #state, notified, #notify, deliveries, gsi5pk, gsi5sk',
        ExpressionAttributeNames: { '#state': 'state', '#notify': 'notify' },
      }),
    );
    return out.Item as Item | undefined;
  }
}

function viewOf(item: Item, slot: SlotId): SlotView {
  if (slot === NOTIFIED_SLOT) return { next: item.notified ?? 0, ...(item.notify ? { retry: item.notify } : {}) };
  return item.deliveries?.[slot] ?? { next: 0 };
}

/** Conditions that a slot is still as read: what its place in the index was computed from. */
function slotAsRead(slot: SlotId, view: SlotView, tag: string, names: Record<string, string>, values: Record<string, unknown>): string[] {
  const path = slot === NOTIFIED_SLOT ? '' : `#d.#${tag}`;
  const field = (name: string) => (path ? `${path}.#${name}` : `#${name}`);
  names['#next'] = 'next';
  names['#retry'] = 'retry';
  names['#nextAt'] = 'nextAttemptAt';
  names['#dead'] = 'deadLetteredAt';
  names['#startedAt'] = 'startedAt';
  const out: string[] = [];
  let retry: string;
  if (slot === NOTIFIED_SLOT) {
    names['#notified'] = 'notified';
    names['#notify'] = 'notify';
    values[`:${tag}next`] = view.next;
    out.push(view.next === 0 ? `(attribute_not_exists(#notified) OR #notified = :${tag}next)` : `#notified = :${tag}next`);
    retry = '#notify';
  } else {
    names['#d'] = 'deliveries';
    names[`#${tag}`] = slot;
    values[`:${tag}next`] = view.next;
    out.push(view.next === 0 ? `(attribute_not_exists(${path}) OR ${field('next')} = :${tag}next)` : `${field('next')} = :${tag}next`);
    retry = field('retry');
    if (view.startedAt === undefined) out.push(`attribute_not_exists(${field('startedAt')})`);
    else {
      values[`:${tag}started`] = view.startedAt;
      out.push(`${field('startedAt')} = :${tag}started`);
    }
  }
  if (!view.retry) out.push(`attribute_not_exists(${retry})`);
  else {
    values[`:${tag}nextAt`] = view.retry.nextAttemptAt;
    out.push(`${retry}.#nextAt = :${tag}nextAt`);
    if (view.retry.deadLetteredAt === undefined) out.push(`attribute_not_exists(${retry}.#dead)`);
    else {
      values[`:${tag}dead`] = view.retry.deadLetteredAt;
      out.push(`${retry}.#dead = :${tag}dead`);
    }
  }
  return out;
}
