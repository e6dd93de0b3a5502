import type { CallRepository, StoredCall } from '../store/calls';
import type { RetryState } from './retry';

export interface CallKey {
  tenantId: string;
  callId: string;
}

/** How far one transport got with one call: `events[0..next)` are delivered (or passed over), and its retry state. */
export interface DeliveryState {
  next: number;
  retry?: RetryState;
  /** What the receiver created for this call (a CRM's activity id): kept so that a retry updates it, never re-creates. */
  remoteId?: string;
}

/**
 * One transport's progress marker on the call items, and its writes. Every write is conditional on the marker still
 * being at `from`: false means another deliverer moved on or a new event came; the engine re-reads and goes on.
 */
export interface DeliverySlot {
  stateOf(call: StoredCall): DeliveryState;
  /** `events[from]` was delivered (and those up to `to` passed over): the marker goes to `to`, the retry state is cleared. `last`: the call also leaves the outbox, if no event came meanwhile. */
  advance(key: CallKey, from: number, to: number, last: boolean, remoteId?: string): Promise<boolean>;
  /** Nothing more to send (every event passed over, or no target): the marker goes to `eventCount`, the call leaves the outbox. */
  finish(key: CallKey, from: number, eventCount: number): Promise<boolean>;
  /** A failed attempt: the retry state, and the call's due time in the outbox index. */
  retryLater(key: CallKey, from: number, retry: RetryState): Promise<boolean>;
  /** Given up: the call moves to the dead index until a redrive. */
  giveUp(key: CallKey, from: number, retry: RetryState & { deadLetteredAt: string }): Promise<boolean>;
}

/** The notification outbox as lib/notify sees it: the calls due, and each transport's slot on a call. */
export interface OutboxStore {
  get(tenantId: string, callId: string): Promise<StoredCall | undefined>;
  /** Calls with deliveries due at or before `now`, fairly across tenants. */
  listDue(now: string, limit: number): Promise<CallKey[]>;
  /** The slot of a transport; throws for a transport the call items keep no state for. */
  slot(transport: string): DeliverySlot;
}

/**
 * What the outbox uses of the call repository: the one place lib/notify names the repository and its methods, so
 * that a move of the outbox's storage is re-pointed here.
 */
export type CallOutboxRepository = Pick<
  CallRepository,
  'get' | 'listNotifyDue' | 'advanceNotified' | 'skipNotifications' | 'recordNotifyFailure' | 'markNotifyDead'
>;

/**
 * The outbox on the call items as they are stored today: one slot, `notified` (the marker) and `notify` (the retry
 * state), which belongs to one transport, the webhook's. A second transport gets a slot of its own on the call
 * (docs/design.md, "Adding a transport"); until then asking for it is a bug, and says so.
 */
export function callOutbox(calls: CallOutboxRepository, notifiedSlotOwner = 'webhook'): OutboxStore {
  const notifiedSlot: DeliverySlot = {
    stateOf: (call) => ({ next: call.notified ?? 0, ...(call.notify ? { retry: call.notify } : {}) }),
    advance: async (key, from, to, last, remoteId) => {
      // The marker keeps no remote id: a transport that has one to keep needs a slot of its own.
      if (remoteId !== undefined) throw new Error('The notified slot keeps no remote id');
      // It moves one event at a time: passing over events a transport does not want costs a write each (the webhook wants all).
      for (let at = from; at < to; at++)
        if (!(await calls.advanceNotified(key.tenantId, key.callId, at, last && at + 1 === to))) return false;
      return true;
    },
    finish: (key, from, eventCount) => calls.skipNotifications(key.tenantId, key.callId, from, eventCount),
    retryLater: (key, from, retry) => calls.recordNotifyFailure(key.tenantId, key.callId, from, retry),
    giveUp: (key, from, retry) => calls.markNotifyDead(key.tenantId, key.callId, from, retry),
  };
  return {
    get: (tenantId, callId) => calls.get(tenantId, callId),
    listDue: (now, limit) => calls.listNotifyDue(now, limit),
    slot: (transport) => {
      if (transport === notifiedSlotOwner) return notifiedSlot;
      throw new Error(`No delivery state is stored for transport '${transport}' (docs/design.md, "Adding a transport")`);
    },
  };
}
