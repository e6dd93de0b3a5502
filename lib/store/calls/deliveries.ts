import type { Table } from '../client';
import type { DeliverySlotState, NotifyState, StoredCall } from './stored-call';
import { updateCallHeld } from './writes';

/**
 * The call items' progress markers of the transports other than the webhook: `deliveries.<name>` (docs/design.md,
 * "Adding a transport"). The webhook keeps its own, `notified` and `notify` (outbox.ts): no data moves.
 */

/** The store's name of the webhook's marker (`notified`/`notify`) among the slots; no transport's name can be it. */
export const NOTIFIED_SLOT = '#notified';
/** A marker on the call item: {@link NOTIFIED_SLOT}, or the name of a `deliveries.<name>` slot. */
export type SlotId = string;

/**
 * A `deliveries.<name>` slot as a deliverer read it: every write is conditioned on it. `fresh` says the call item has
 * no such slot yet (`no-slot`), or no `deliveries` map at all (`no-map`): the first write creates it whole.
 */
export interface SlotRead {
  next: number;
  fresh?: 'no-map' | 'no-slot';
}

/** A slot's state on a call as read, with the hint its first write needs. */
export function deliverySlotOf(call: Pick<StoredCall, 'deliveries'>, name: string): DeliverySlotState & Pick<SlotRead, 'fresh'> {
  const slot = call.deliveries?.[name];
  if (slot) return slot;
  return { next: 0, fresh: call.deliveries ? 'no-slot' : 'no-map' };
}

/** What a write changes in a slot: fields set, fields removed. */
interface SlotChange {
  set: Partial<DeliverySlotState>;
  remove: ReadonlyArray<keyof DeliverySlotState>;
  /** More conditions: on the stored slot (`$slot` is its path), and on the item (`size(events)`, ...). */
  onSlot?: string;
  onItem?: string;
  values?: Record<string, unknown>;
}

/**
 * The writes of one `deliveries.<name>` slot. Each is conditioned on the slot being as the deliverer read it (its
 * `next`, or its absence): false means another deliverer moved on, or a new event came; re-read and go on. None of
 * them touches the outbox index: with a transport of this kind live, the engine files the call after its pass
 * (outbox-index.ts).
 */
export class CallDeliveries {
  constructor(private readonly table: Table) {}

  /**
   * Records the start of an attempt before the transport acts (a create): a later pass that finds it without an
   * outcome knows the receiver may have acted. Refused while another deliverer's start is younger than
   * `staleBefore` (two deliveries racing never both create) or the slot is dead-lettered.
   */
  begin(tenantId: string, callId: string, name: string, from: SlotRead, at: string, staleBefore: string): Promise<boolean> {
    return this.write(tenantId, callId, name, from, {
      set: { startedAt: at },
      remove: [],
      onSlot: '(attribute_not_exists($slot.#startedAt) OR $slot.#startedAt <= :staleBefore) AND attribute_not_exists($slot.#retry.#dead)',
      values: { ':staleBefore': staleBefore },
    });
  }

  /** `events[from.next]` delivered (and those up to `to` passed over): the marker moves, the remote id is kept. */
  advance(tenantId: string, callId: string, name: string, from: SlotRead, to: number, remoteId?: string): Promise<boolean> {
    return this.write(tenantId, callId, name, from, {
      set: { next: to, ...(remoteId !== undefined ? { remoteId } : {}) },
      remove: ['retry', 'startedAt'],
    });
  }

  /** Nothing more to send: the marker goes to `eventCount`, on condition that no event came meanwhile. */
  finish(tenantId: string, callId: string, name: string, from: SlotRead, eventCount: number): Promise<boolean> {
    if (!from.fresh && from.next === eventCount) return Promise.resolve(true);
    return this.write(tenantId, callId, name, from, {
      set: { next: eventCount },
      remove: ['retry', 'startedAt'],
      onItem: 'size(events) = :eventCount',
      values: { ':eventCount': eventCount },
    });
  }

  /** A failed attempt (or one given up on: `retry.deadLetteredAt`): its retry state; the outcome is known, the start is cleared. */
  retryLater(tenantId: string, callId: string, name: string, from: SlotRead, retry: NotifyState): Promise<boolean> {
    return this.write(tenantId, callId, name, from, {
      set: { retry },
      remove: ['startedAt'],
      onSlot: 'attribute_not_exists($slot.#retry.#dead)',
    });
  }

  private write(tenantId: string, callId: string, name: string, from: SlotRead, change: SlotChange): Promise<boolean> {
    const names: Record<string, string> = { '#d': 'deliveries', '#n': name };
    const values: Record<string, unknown> = { ...change.values };
    const onItem = change.onItem ? ` AND ${change.onItem}` : '';
    if (from.fresh) {
      // The first write of the slot creates it whole (a nested SET needs its parent map to exist).
      const whole: DeliverySlotState = { next: from.next, ...change.set };
      values[':whole'] = from.fresh === 'no-map' ? { [name]: whole } : whole;
      const update = from.fresh === 'no-map' ? 'SET #d = :whole' : 'SET #d.#n = :whole';
      const absent = from.fresh === 'no-map' ? 'attribute_not_exists(#d)' : 'attribute_exists(#d) AND attribute_not_exists(#d.#n)';
      return updateCallHeld(
        this.table,
        tenantId,
        callId,
        expressionOf(update, `attribute_exists(pk) AND ${absent}${onItem}`, names, values),
      );
    }
    const sets: string[] = [];
    for (const [field, value] of Object.entries(change.set)) {
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      sets.push(`#d.#n.#${field} = :${field}`);
    }
    for (const field of change.remove) names[`#${field}`] = field;
    const slotPath = '#d.#n';
    const onSlot = change.onSlot ? ` AND ${change.onSlot.replaceAll('$slot', slotPath)}` : '';
    Object.assign(names, { '#retry': 'retry', '#dead': 'deadLetteredAt', '#startedAt': 'startedAt', '#next': 'next' });
    values[':from'] = from.next;
    const removes = change.remove.map((field) => `#d.#n.#${field}`);
    const update = `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`;
    return updateCallHeld(this.table, tenantId, callId, expressionOf(update, `#d.#n.#next = :from${onSlot}${onItem}`, names, values));
  }
}

/**
 * An update's expressions with only the names and values they use (DynamoDB refuses an unused one): the slots'
 * writes assemble their conditions field by field.
 */
export function expressionOf(update: string, condition: string, names: Record<string, string>, values: Record<string, unknown>) {
  const text = `${update} ${condition}`;
  const uses = (token: string) => new RegExp(`${token}(?![A-Za-z0-9_])`).test(text);
  const usedValues = Object.fromEntries(Object.entries(values).filter(([k]) => uses(k)));
  return {
    UpdateExpression: update,
    ConditionExpression: condition,
    ExpressionAttributeNames: Object.fromEntries(Object.entries(names).filter(([k]) => uses(k))),
    ...(Object.keys(usedValues).length ? { ExpressionAttributeValues: usedValues } : {}),
  };
}
