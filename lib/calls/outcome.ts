import type { CapRefusal } from '../policy/caps';
import type { Call } from '../model/call-resource';
import { isProblemCode, PROBLEM_KINDS, type ProblemCode, type ProblemKind } from '../model/domain-error';

/**
 * How far a call request got, in the words of docs/api.md ("Place a call"). Only lib/http/call-answers.ts knows
 * which status each one is answered with.
 */
export type CallProgress =
  /** The PBX accepted this request's GET: the agent's phone rings (the call may already be past `dialing`). */
  | 'dialled'
  /** A replay of a call that has its answer already (`dialing` or any later state, or `cancelled`): nothing was sent. */
  | 'replayed'
  /** Not dialled yet (scheduled, queued, or another copy's to send), or dialled and its outcome not known yet. */
  | 'pending';

/**
 * What became of a call request, in the domain's words. A refusal carries the problem code of docs/api.md; what it
 * means over HTTP (status, Retry-After) follows from the code's kind (lib/model/domain-error.ts).
 */
export type PlaceCallOutcome =
  | { kind: 'call'; progress: CallProgress; call: Call }
  | { kind: 'refused'; code: ProblemCode; detail: string; retryAfterSec?: number; call?: Call };

export type CallRefused = Extract<PlaceCallOutcome, { kind: 'refused' }>;

/** Seconds a caller should wait before retrying a call that never left us. */
export const NOT_SENT_RETRY_AFTER_SEC = 5;

/** A cap said no: too many, with when to come back, and the call as it stands when one was written. */
export function capRefused(refusal: CapRefusal, call?: Call): CallRefused {
  return { kind: 'refused', code: refusal.code, detail: refusal.detail, retryAfterSec: refusal.retryAfterSec, call };
}

/** A stored reason as a code of one of `kinds`, or `fallback`: a replay answers with the reason its call was kept with. */
export function storedReasonCode(reason: string | null | undefined, kinds: readonly ProblemKind[], fallback: ProblemCode): ProblemCode {
  return reason && isProblemCode(reason) && kinds.includes(PROBLEM_KINDS[reason]) ? reason : fallback;
}

/**
 * The number is on the tenant's do-not-call list: refused before anything is written, so no call is kept and nothing of
 * the number reaches a log line or the table (docs/api.md, "Do-not-call list").
 */
export function doNotCallRefused(): CallRefused {
  return { kind: 'refused', code: 'do_not_call', detail: "The number is on this tenant's do-not-call list: nothing was dialled." };
}
