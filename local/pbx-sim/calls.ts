/** The calls the simulator placed, and where each one is in its playout: what the console's simulator panel shows. */

import type { PlacedCall } from './cdr';
import type { CallPlan, PlayoutOutcome } from './playout';

/** Where a placed call is now: ringing, answered and talking, or over. */
export type SimCallPhase = 'ringing' | 'answered' | 'ended';

/** One placed call as `GET /_sim/calls` shows it. */
export interface SimCallView {
  uniqueId: string;
  /** Our call id, from the Click2Call custom data (`c2c_call_id`), when the request carried it. */
  callId: string | null;
  /** The agent's extension (`leg_a`). */
  extension: string;
  /** The dialled number, prefix included. */
  destination: string;
  placedAt: string;
  phase: SimCallPhase;
  /** How the call plays out (known from the start: the simulator planned it). */
  outcome: PlayoutOutcome;
  /** Absent when the call is never answered. */
  answerAt?: string;
  endAt: string;
  durationSec: number;
  billSec: number;
  hangupCause: string;
}

/** The phase of a call placed at `placedAt` following `plan`, at `now`. */
export function phaseAt(plan: CallPlan, placedAt: Date, now: Date): SimCallPhase {
  const elapsed = now.getTime() - placedAt.getTime();
  if (elapsed >= plan.endAfterMs) return 'ended';
  if (plan.answerAfterMs !== undefined && elapsed >= plan.answerAfterMs) return 'answered';
  return 'ringing';
}

const CAPACITY = 1000;

/** The most recent placed calls (bounded), newest first on read. */
export class PlacedCallLog {
  #calls: Array<{ call: PlacedCall; plan: CallPlan }> = [];

  add(call: PlacedCall, plan: CallPlan): void {
    this.#calls.push({ call, plan });
    if (this.#calls.length > CAPACITY + 100) this.#calls = this.#calls.slice(-CAPACITY);
  }

  clear(): void {
    this.#calls = [];
  }

  /** The `limit` most recent calls, newest first, with their phase at `now`. */
  recent(limit: number, now = new Date()): SimCallView[] {
    return this.#calls
      .slice(-limit)
      .reverse()
      .map(({ call, plan }) => {
        const at = (ms: number) => new Date(call.placedAt.getTime() + ms).toISOString();
        return {
          uniqueId: call.uniqueId,
          callId: call.customFields.c2c_call_id ?? null,
          extension: call.legA,
          destination: `${call.prefix ?? ''}${call.legB}`,
          placedAt: call.placedAt.toISOString(),
          phase: phaseAt(plan, call.placedAt, now),
          outcome: plan.outcome,
          ...(plan.answerAfterMs !== undefined && { answerAt: at(plan.answerAfterMs) }),
          endAt: at(plan.endAfterMs),
          durationSec: plan.durationSec,
          billSec: plan.billSec,
          hangupCause: plan.hangupCause,
        };
      });
  }
}

const LOOPBACK_ORIGIN = /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d{1,5})?$/;

/**
 * Whether a browser page of this origin may read the simulator's `/_sim/*` answers: a page served from
 * this machine only (the local stack's console). The simulator listens on loopback, so this opens nothing
 * that `curl` on the same machine could not already read.
 */
export function isLoopbackOrigin(origin: string | undefined): origin is string {
  return origin !== undefined && LOOPBACK_ORIGIN.test(origin);
}
