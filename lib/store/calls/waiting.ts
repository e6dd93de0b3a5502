import { WAITING_STATES, type Routing, type Schedule, type WaitingState } from '../../model/call';
import { systemClock, type Clock } from '../../time/clock';
import type { Table } from '../client';
import { agentIndexSet } from '../call-index-keys';
import { dueCallSk, pendingCallSk, pendingCallsPk } from '../keys';
import type { WorkDirectory } from '../work-directory';
import type { FairBounds, WorkQueues } from '../work-queues';
import type { CallLedger } from './ledger';
import { eventOf, parseCallItem, type StoredCall } from './stored-call';
import { expirySet, OUTBOX_SET, outboxValues, updateCallIf } from './writes';

/**
 * Waiting calls (`scheduled`, `queued`: docs/design.md, "Teams, queued and scheduled calls"): the scheduler's due list
 * (gsi4 `DUE#<tenant>#<shard>`), its claim, a reschedule, a cancel, and the tenant's waiting slot. Each write is one
 * conditional update on the state and attempt the writer read: of a claim, a cancel and another run's claim, exactly
 * one holds, and only the claim's holder sends the GET.
 */
export class WaitingCalls {
  constructor(
    private readonly table: Table,
    private readonly ledger: CallLedger,
    private readonly work: WorkDirectory,
    private readonly queues: WorkQueues,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * Waiting calls due by `now` (ISO), each tenant's earliest first, interleaved tenant by tenant: the scheduler's work
   * list. The index holds whole items, so one query per shard is all the scheduler reads of a call before its claim.
   */
  async listDue(now: string, bounds: FairBounds): Promise<StoredCall[]> {
    // Every due key of `now` sorts before this: `now`, then '#' and the call id, and '~' is above '#'.
    return (await this.queues.fairly('due', `${now}~`, bounds)).map(parseCallItem);
  }

  /** One tenant's waiting calls due by `now`, earliest first (at most `limit`). */
  async listDueOf(tenantId: string, now: string, limit: number): Promise<StoredCall[]> {
    return (await this.queues.oldest('due', tenantId, `${now}~`, limit, true)).map(parseCallItem);
  }

  /** The tenant's waiting calls (`scheduled`, `queued`) counted exactly: what its waiting counter should hold. */
  async countWaiting(tenantId: string): Promise<number> {
    return this.queues.count('due', tenantId);
  }

  /**
   * A waiting call of the tenant left the waiting states (the scheduler's claim says so beside its GET; a transition
   * out of them says so itself). Best effort: a slot not given back is a drift the scheduler's recount corrects.
   */
  async leftWaiting(tenantId: string): Promise<void> {
    await this.work.giveWaitingSlotBack(tenantId).catch(() => undefined);
  }

  /**
   * The scheduler's claim: a waiting call goes to `dispatching` for the agent it was given, if, and only if, it is
   * still in `from` at `attempt`. Exactly one of any number of concurrent claims (two scheduler runs, a cancel)
   * holds, so only its holder may send the GET: the reservation argument of the ledger for waiting calls.
   */
  async claimWaiting(
    tenantId: string,
    callId: string,
    claim: {
      from: WaitingState;
      attempt: number;
      reservedBy: string;
      agent: StoredCall['agent'];
      crmUserId: string;
      routing: Routing | null;
      /** The call's creation time: its place in the agent's index, which a team call joins only now. */
      createdAt: string;
    },
  ): Promise<StoredCall | undefined> {
    const now = this.clock().toISOString();
    const expiry = expirySet('dispatching');
    // The ledger's mode: one stage writes one set of listing keys, whichever part of the store writes the call.
    const agentKeys = agentIndexSet(this.ledger.indexMode, { tenantId, callId, createdAt: claim.createdAt, crmUserId: claim.crmUserId });
    await this.work.touch(tenantId, ['notify', 'pending']);
    return updateCallIf(this.table, tenantId, callId, {
      expression: [
        'SET #state = :dispatching, attempt = :next, reservedBy = :token, #agent = :agent, crmUserId = :crmUserId, #routing = :routing',
        'updatedAt = :now, events = list_append(events, :event), gsi4pk = :pending, gsi4sk = :pendingSk',
        ...agentKeys.set,
        OUTBOX_SET,
        expiry.set,
      ].join(', '),
      condition: '#state = :from AND attempt = :attempt',
      names: { '#state': 'state', '#agent': 'agent', '#routing': 'routing', ...expiry.names },
      values: {
        ...expiry.values,
        ':dispatching': 'dispatching',
        ':from': claim.from,
        ':attempt': claim.attempt,
        ':next': claim.attempt + 1,
        ':token': claim.reservedBy,
        ':agent': claim.agent,
        ':crmUserId': claim.crmUserId,
        ':routing': claim.routing,
        ':now': now,
        ':event': [eventOf('dispatching', now, `agent ${claim.crmUserId}`)],
        ':pending': pendingCallsPk(tenantId, callId, this.ledger.workShards),
        ':pendingSk': pendingCallSk(now, callId),
        ...agentKeys.values,
        ...outboxValues(now, tenantId, callId, this.ledger.workShards),
      },
    });
  }

  /** Moves a scheduled call to a later time (the lead's hours closed meanwhile), if it is still scheduled at `attempt`. */
  async reschedule(tenantId: string, callId: string, attempt: number, schedule: Schedule): Promise<StoredCall | undefined> {
    const now = this.clock().toISOString();
    return updateCallIf(this.table, tenantId, callId, {
      expression: 'SET #schedule = :schedule, updatedAt = :now, gsi4sk = :dueSk',
      condition: '#state = :scheduled AND attempt = :attempt',
      names: { '#state': 'state', '#schedule': 'schedule' },
      values: {
        ':schedule': schedule,
        ':now': now,
        ':scheduled': 'scheduled',
        ':attempt': attempt,
        ':dueSk': dueCallSk(schedule.notBefore, callId),
      },
    });
  }

  /** Cancels a waiting call: the call, now `cancelled`, or undefined when it was no longer waiting. */
  async cancel(tenantId: string, callId: string, detail?: string): Promise<StoredCall | undefined> {
    return this.ledger.transition(tenantId, callId, { from: WAITING_STATES, to: 'cancelled', detail });
  }
}
