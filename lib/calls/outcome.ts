import type { CapRefusal } from '../policy/caps';
import type { Call } from '../model/call';

/** What became of a call request; `lib/calls/respond.ts` turns it into an HTTP answer. */
export type PlaceCallOutcome =
  | { kind: 'call'; status: 200 | 201 | 202; call: Call }
  | { kind: 'refused'; status: 409 | 422 | 429 | 503; code: string; detail: string; retryAfterSec?: number; call?: Call };

/** Seconds a caller should wait before retrying a call that never left us. */
export const NOT_SENT_RETRY_AFTER_SEC = 5;

/** A cap said no: 429 with when to come back, and the call as it stands when one was written. */
export function capRefused(refusal: CapRefusal, call?: Call): PlaceCallOutcome {
  return { kind: 'refused', status: 429, code: refusal.code, detail: refusal.detail, retryAfterSec: refusal.retryAfterSec, call };
}
