import { isWaiting } from '../model/call';
import type { Call } from '../model/call-resource';
import type { CallLedger, WaitingCalls } from '../store/calls';
import { toCallResource } from './resource';

const CALL_ID = /^c_[0-9A-Z]{26}$/;

/** What became of a cancel; functions/calls-cancel.ts maps it to HTTP (docs/api.md, "Cancel a call"). */
export type CancelOutcome =
  | { kind: 'cancelled'; call: Call }
  | { kind: 'not_found' }
  /** The call left the waiting states towards the PBX (it may be ringing): 409 already_dispatched. */
  | { kind: 'already_dispatched'; call: Call }
  /** The call ended without being sent (refused, never sent): there is nothing to cancel. */
  | { kind: 'not_cancellable'; call: Call };

/**
 * Cancels a `scheduled` or `queued` call. The cancel is one conditional update from the waiting states, the same
 * condition the scheduler's claim has: of a cancel and a claim racing, exactly one holds, so a call is either
 * cancelled and never dialled, or dialled and its cancel answered 409. Cancelling twice answers the cancelled call.
 */
export class CancelCall {
  constructor(private readonly deps: { calls: { ledger: Pick<CallLedger, 'get'>; waiting: Pick<WaitingCalls, 'cancel'> } }) {}

  async execute(tenantId: string, callId: string, by: string): Promise<CancelOutcome> {
    if (!CALL_ID.test(callId)) return { kind: 'not_found' };
    const cancelled = await this.deps.calls.waiting.cancel(tenantId, callId, by);
    if (cancelled) return { kind: 'cancelled', call: toCallResource(cancelled) };
    const current = await this.deps.calls.ledger.get(tenantId, callId);
    if (!current) return { kind: 'not_found' };
    const call = toCallResource(current);
    if (current.state === 'cancelled') return { kind: 'cancelled', call };
    // Still waiting here means the condition failed on a state we read as waiting: cannot happen with one item,
    // but if it did, the honest answer is to try again rather than to claim a cancel that did not happen.
    if (isWaiting(current.state)) throw new Error('Cancel refused on a waiting call');
    if (current.state === 'rejected' || current.state === 'not_sent') return { kind: 'not_cancellable', call };
    return { kind: 'already_dispatched', call };
  }
}
