import type { CallRepository, StoredCall } from '../store/calls';
import { deliverySlotOf, NOTIFIED_SLOT, type SlotId, type SlotRead } from '../store/calls/deliveries';
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
  /** An attempt started here and its outcome was never written (a crash, or one still under way): the receiver may have acted. */
  startedAt?: string;
  /** The store's own note of how the slot is stored (its first write creates it); the engine only hands it back. */
  fresh?: SlotRead['fresh'];
}

/**
 * One transport's progress marker on the call items, and its writes. Every write is conditional on the marker still
 * being as read (`from`): false means another deliverer moved on or a new event came; the engine re-reads and goes on.
 */
export interface DeliverySlot {
  /**
   * The webhook's slot while it is the only live one: its writes keep the outbox index, and with no target its
   * marker is still moved to the end (which takes the call out). Any other slot waits, unwritten, for a target.
   */
  readonly keepsIndex: boolean;
  stateOf(call: StoredCall): DeliveryState;
  /**
   * Records the start of an attempt before the transport acts, and answers the slot as it now is; undefined when
   * another deliverer moved on or started an attempt less than `staleBefore` ago. The webhook's slot records
   * nothing (its receivers dedupe on webhook-id): it answers `from`.
   */
  begin(key: CallKey, from: DeliveryState, at: string, staleBefore: string): Promise<DeliveryState | undefined>;
  /** `events[from.next]` was delivered (and those up to `to` passed over): the marker goes to `to`, the retry state is cleared, a remote id kept. `last`: the call also leaves the outbox, if no event came meanwhile and no other live slot is behind. */
  advance(key: CallKey, from: DeliveryState, to: number, last: boolean, remoteId?: string): Promise<boolean>;
  /** Nothing more to send (every event passed over, or no target): the marker goes to `eventCount`; the call leaves the outbox as with `advance`. */
  finish(key: CallKey, from: DeliveryState, eventCount: number): Promise<boolean>;
  /** A failed attempt: the retry state, and the call's due time in the outbox index. */
  retryLater(key: CallKey, from: DeliveryState, retry: RetryState): Promise<boolean>;
  /** Given up: the call moves to the dead index until a redrive (once no other live slot needs it in the outbox). */
  giveUp(key: CallKey, from: DeliveryState, retry: RetryState & { deadLetteredAt: string }): Promise<boolean>;
}

/** The notification outbox as lib/notify sees it: the calls due, and each transport's slot on a call. */
export interface OutboxStore {
  get(tenantId: string, callId: string): Promise<StoredCall | undefined>;
  /** Calls with deliveries due at or before `now`, fairly across tenants. */
  listDue(now: string, limit: number): Promise<CallKey[]>;
  /**
   * The slot of a transport. `live`: the transports with a target for the call's tenant. While the webhook is the
   * only one, its writes keep the outbox index themselves (as they always did); otherwise no slot write touches the
   * index, and {@link settle} files the call after the pass.
   */
  slot(transport: string, live: readonly string[]): DeliverySlot;
  /**
   * Files the call in the outbox index by every live slot (docs/design.md, "Adding a transport"): out when none is
   * behind, due at the earliest next attempt of those behind, dead once all of those are dead-lettered. Does nothing
   * while the webhook is the only live transport. `leaseMs`: how long a started attempt holds its slot.
   */
  settle(key: CallKey, live: readonly string[], now: Date, leaseMs: number): Promise<void>;
}

/**
 * What the outbox uses of the call repository: the one place lib/notify names the repository and its methods, so
 * that a move of the outbox's storage is re-pointed here.
 */
export type CallOutboxRepository = Pick<
  CallRepository,
  | 'get'
  | 'listNotifyDue'
  | 'advanceNotified'
  | 'skipNotifications'
  | 'recordNotifyFailure'
  | 'markNotifyDead'
  | 'deliveries'
  | 'outboxIndex'
>;

/** The name of the transport that owns the call items' first marker, `notified`: the webhook. */
export const WEBHOOK_TRANSPORT = 'webhook';

/** The store's slot of a transport: the webhook's `notified`, any other's `deliveries.<name>`. */
export function slotIdOf(transport: string, notifiedSlotOwner = WEBHOOK_TRANSPORT): SlotId {
  if (transport === notifiedSlotOwner) return NOTIFIED_SLOT;
  // A `#` would let a name pass for the webhook's marker; the names are the registry's constants.
  if (!/^[a-z][a-z0-9_:-]{0,62}$/.test(transport)) throw new Error(`No delivery slot can be named '${transport}'`);
  return transport;
}

/**
 * The outbox on the call items: the webhook's slot is `notified` (the marker) and `notify` (the retry state), as it
 * always was; every other transport has its own under `deliveries.<name>` (lib/store/calls/deliveries.ts), which keeps
 * its remote id and the start of an attempt. `notifiedSlotOwner`: which transport owns `notified` (tests hand it to
 * a fake).
 */
export function callOutbox(calls: CallOutboxRepository, notifiedSlotOwner = WEBHOOK_TRANSPORT): OutboxStore {
  const shared = (live: readonly string[]) => live.some((name) => name !== notifiedSlotOwner);
  const notifiedSlot = (ownsIndex: boolean): DeliverySlot => ({
    keepsIndex: ownsIndex,
    stateOf: (call) => ({ next: call.notified ?? 0, ...(call.notify ? { retry: call.notify } : {}) }),
    begin: (_key, from) => Promise.resolve(from),
    advance: async (key, from, to, last, remoteId) => {
      // The marker keeps no remote id: a transport that has one to keep needs a slot of its own.
      if (remoteId !== undefined) throw new Error('The notified slot keeps no remote id');
      // It moves one event at a time: passing over events a transport does not want costs a write each (the webhook wants all).
      for (let at = from.next; at < to; at++)
        if (!(await calls.advanceNotified(key.tenantId, key.callId, at, ownsIndex && last && at + 1 === to))) return false;
      return true;
    },
    finish: async (key, from, eventCount) => {
      // Shared, a marker already at the end has nothing to write: the index is settled after the pass.
      if (!ownsIndex && from.next === eventCount) return true;
      return calls.skipNotifications(key.tenantId, key.callId, from.next, eventCount, ownsIndex);
    },
    retryLater: (key, from, retry) => calls.recordNotifyFailure(key.tenantId, key.callId, from.next, retry, ownsIndex),
    giveUp: (key, from, retry) => calls.markNotifyDead(key.tenantId, key.callId, from.next, retry, ownsIndex),
  });
  const deliveriesSlot = (name: string): DeliverySlot => {
    const d = calls.deliveries;
    return {
      keepsIndex: false,
      stateOf: (call) => deliverySlotOf(call, name),
      begin: async (key, from, at, staleBefore) => {
        if (!(await d.begin(key.tenantId, key.callId, name, from, at, staleBefore))) return undefined;
        const { fresh: _created, ...rest } = from;
        return { ...rest, startedAt: at };
      },
      advance: (key, from, to, _last, remoteId) => d.advance(key.tenantId, key.callId, name, from, to, remoteId),
      finish: (key, from, eventCount) => d.finish(key.tenantId, key.callId, name, from, eventCount),
      retryLater: (key, from, retry) => d.retryLater(key.tenantId, key.callId, name, from, retry),
      giveUp: (key, from, retry) => d.retryLater(key.tenantId, key.callId, name, from, retry),
    };
  };
  return {
    get: (tenantId, callId) => calls.get(tenantId, callId),
    listDue: (now, limit) => calls.listNotifyDue(now, limit),
    slot: (transport, live) => {
      const id = slotIdOf(transport, notifiedSlotOwner);
      return id === NOTIFIED_SLOT ? notifiedSlot(!shared(live)) : deliveriesSlot(id);
    },
    settle: async (key, live, now, leaseMs) => {
      if (!shared(live)) return;
      const slots = live.map((name) => slotIdOf(name, notifiedSlotOwner));
      await calls.outboxIndex.settle(key.tenantId, key.callId, slots, now, leaseMs);
    },
  };
}
