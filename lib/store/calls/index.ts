import { systemClock, type Clock } from '../../time/clock';
import type { CallIndexMode } from '../call-index-keys';
import type { Table } from '../client';
import { DEFAULT_WORK_SHARDS, type WorkShards } from '../keys';
import { processCursorCodec, type CursorCodec } from '../pagination';
import { WorkDirectory } from '../work-directory';
import { WorkQueues } from '../work-queues';
import { CallLedger } from './ledger';
import { CallDeliveries } from './deliveries';
import { NotificationOutbox } from './outbox';
import { OutboxIndex } from './outbox-index';
import { PbxLinks } from './pbx-links';
import { CallQueries } from './queries';
import { WaitingCalls } from './waiting';

export { CallLedger } from './ledger';
export { CallDeliveries, deliverySlotOf, NOTIFIED_SLOT, type SlotId, type SlotRead } from './deliveries';
export { NotificationOutbox } from './outbox';
export { indexTargetOf, OutboxIndex, PARKED_RECHECK_MS, type IndexTarget, type SlotView } from './outbox-index';
export { PbxLinks } from './pbx-links';
export { CallQueries, MAX_LIST_READS, type CallForReport, type ListCallsFilter } from './queries';
export {
  dueAtOf,
  parseCallItem,
  storedCallSchema,
  type CallChanges,
  type CallKeys,
  type DeliverySlotState,
  type NotifyState,
  type StoredCall,
} from './stored-call';
export { WaitingCalls } from './waiting';

/**
 * The call store, one part per thing it guards, built on one work directory (a container's cache of which tenants have
 * work): `ledger` (the reservation and the state transitions), `waiting` (the scheduler's due calls and its claim),
 * `links` (PBX unique_ids), `outbox` (the notification outbox; `deliveries` and `outboxIndex` for
 * the transports besides the webhook) and `queries` (the listings and reports). Callers use
 * the part they need; the few methods below are the ledger's and the outbox's that the call path and the deliverer
 * call on the store as a whole, passed on unchanged.
 */
export class CallRepository {
  /** Which tenants have work of each kind (lib/store/work-directory.ts), shared by every part that writes work. */
  readonly work: WorkDirectory;
  readonly ledger: CallLedger;
  readonly waiting: WaitingCalls;
  readonly links: PbxLinks;
  readonly outbox: NotificationOutbox;
  /** The transports' slots besides the webhook's (`deliveries.<name>`), and the outbox index filed by all of them. */
  readonly deliveries: CallDeliveries;
  readonly outboxIndex: OutboxIndex;
  readonly queries: CallQueries;

  constructor(
    table: Table,
    clock: Clock = systemClock,
    /** Signs and checks the cursors of `queries.list`: a stage's own (lib/compose/shared.ts); this process's by default. */
    cursors: CursorCodec = processCursorCodec(),
    /** Which listing keys the calls carry and which indexes the listings read: the stage's CALL_INDEXES. */
    indexMode: CallIndexMode = 'narrow',
    /** How many shards the calls' writes spread the work lists over (lib/store/keys.ts): the stage's WORK_SHARDS. */
    workShards: WorkShards = DEFAULT_WORK_SHARDS,
  ) {
    this.work = new WorkDirectory(table, clock);
    const queues = new WorkQueues(table, this.work, clock);
    this.ledger = new CallLedger(table, this.work, clock, indexMode, workShards);
    this.waiting = new WaitingCalls(table, this.ledger, this.work, queues, clock);
    this.links = new PbxLinks(table, this.ledger);
    this.outboxIndex = new OutboxIndex(table, this.work, clock, workShards);
    this.deliveries = new CallDeliveries(table);
    this.outbox = new NotificationOutbox(table, this.work, queues, this.outboxIndex, clock, workShards);
    this.queries = new CallQueries(table, this.work, queues, cursors, indexMode);
  }

  reserve(...args: Parameters<CallLedger['reserve']>) {
    return this.ledger.reserve(...args);
  }

  get(...args: Parameters<CallLedger['get']>) {
    return this.ledger.get(...args);
  }

  transition(...args: Parameters<CallLedger['transition']>) {
    return this.ledger.transition(...args);
  }

  redispatch(...args: Parameters<CallLedger['redispatch']>) {
    return this.ledger.redispatch(...args);
  }

  patch(...args: Parameters<CallLedger['patch']>) {
    return this.ledger.patch(...args);
  }

  listNotifyDue(...args: Parameters<NotificationOutbox['listNotifyDue']>) {
    return this.outbox.listNotifyDue(...args);
  }

  advanceNotified(...args: Parameters<NotificationOutbox['advanceNotified']>) {
    return this.outbox.advanceNotified(...args);
  }

  skipNotifications(...args: Parameters<NotificationOutbox['skipNotifications']>) {
    return this.outbox.skipNotifications(...args);
  }

  recordNotifyFailure(...args: Parameters<NotificationOutbox['recordNotifyFailure']>) {
    return this.outbox.recordNotifyFailure(...args);
  }

  markNotifyDead(...args: Parameters<NotificationOutbox['markNotifyDead']>) {
    return this.outbox.markNotifyDead(...args);
  }
}
