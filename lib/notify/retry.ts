import type { FailedDelivery } from './transport';

/** The retry state of one transport's delivery of one call's next event; absent while nothing fails. */
export interface RetryState {
  attempts: number;
  /** First failure of the current run of failures: the max age counts from here. */
  since: string;
  lastAttemptAt: string;
  nextAttemptAt: string;
  lastError: string;
  deadLetteredAt?: string;
}

export interface RetrySettings {
  /** First retry after about this long; doubles per attempt (with jitter) up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A run of failures older than this is dead-lettered (measured from its first failure). */
  maxAgeMs: number;
  /** 0: unlimited attempts within `maxAgeMs`. */
  maxAttempts: number;
  /** A held delivery (credentials refused) is looked at again after this long. */
  heldRecheckMs: number;
}

/** What the engine does after a failed attempt. */
export type NextStep =
  | { kind: 'retry'; retry: RetryState }
  | { kind: 'held'; retry: RetryState }
  | { kind: 'dead'; retry: RetryState & { deadLetteredAt: string } };

/** The prefix of `lastError` that says a delivery is held, not failing: the doctor and the CLI show it as is. */
export const HELD_PREFIX = 'held: ';

/** Exponential, capped, with "equal jitter": between half and all of the step, so retries never bunch up at zero. */
export function backoffMs(attempts: number, settings: Pick<RetrySettings, 'baseDelayMs' | 'maxDelayMs'>, random: () => number): number {
  const step = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** Math.min(attempts - 1, 30));
  return Math.round(step / 2 + random() * (step / 2));
}

/**
 * The next attempt after a failed one: pure, from the outcome, the retry state so far and the clock.
 * - retry: after the backoff, or after the receiver's Retry-After when that is later; dead-lettered once the run of
 *   failures is `maxAgeMs` old (or `maxAttempts` long).
 * - held: looked at again after `heldRecheckMs`, never dead-lettered; the run of failures restarts, so the max age
 *   counts only time in which delivery could have worked.
 * - dead: dead-lettered at once.
 */
export function nextStep(
  outcome: FailedDelivery,
  previous: RetryState | undefined,
  now: Date,
  settings: RetrySettings,
  random: () => number,
): NextStep {
  const at = now.toISOString();
  const attempts = (previous?.attempts ?? 0) + 1;
  if (outcome.kind === 'held') {
    const nextAttemptAt = new Date(now.getTime() + settings.heldRecheckMs).toISOString();
    return { kind: 'held', retry: { attempts, since: at, lastAttemptAt: at, nextAttemptAt, lastError: `${HELD_PREFIX}${outcome.error}` } };
  }
  const since = previous?.since ?? at;
  const base = { attempts, since, lastAttemptAt: at, lastError: outcome.error };
  const expired =
    outcome.kind === 'dead' ||
    now.getTime() - Date.parse(since) >= settings.maxAgeMs ||
    (settings.maxAttempts > 0 && attempts >= settings.maxAttempts);
  if (expired) return { kind: 'dead', retry: { ...base, nextAttemptAt: at, deadLetteredAt: at } };
  const delay = Math.max(backoffMs(attempts, settings, random), outcome.retryAfterMs ?? 0);
  return { kind: 'retry', retry: { ...base, nextAttemptAt: new Date(now.getTime() + delay).toISOString() } };
}
