import { describe, expect, it } from 'vitest';
import { backoffMs, HELD_PREFIX, nextStep, type RetrySettings, type RetryState } from '../../../lib/notify/retry';
import type { FailedDelivery } from '../../../lib/notify/transport';

const SETTINGS: RetrySettings = {
  baseDelayMs: 5_000,
  maxDelayMs: 300_000,
  maxAgeMs: 24 * 3600_000,
  maxAttempts: 0,
  heldRecheckMs: 900_000,
};
const NOW = new Date('2026-03-01T12:00:00.000Z');
const at = (ms: number) => new Date(NOW.getTime() + ms).toISOString();
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();
/** The retry state after `attempts` failures, the first `sinceMs` ago. */
const failing = (attempts: number, sinceMs: number): RetryState => ({
  attempts,
  since: ago(sinceMs),
  lastAttemptAt: ago(1_000),
  nextAttemptAt: ago(0),
  lastError: 'HTTP 503',
});
const retry = (error: string, retryAfterMs?: number): FailedDelivery => ({
  kind: 'retry',
  error,
  ...(retryAfterMs ? { retryAfterMs } : {}),
});
const max = () => 0.999999;

describe('the next attempt after a failed delivery', () => {
  it.each([
    // name, outcome, previous state, settings, kind, attempts, next attempt (ms from now), since (ms ago)
    ['a first failure: the first backoff step', retry('HTTP 503'), undefined, {}, 'retry', 1, 5_000, 0],
    ['the fourth failure: the step has doubled three times', retry('timeout'), failing(3, 60_000), {}, 'retry', 4, 40_000, 60_000],
    ['many failures: capped at the max delay', retry('HTTP 500'), failing(40, 3_600_000), {}, 'retry', 41, 300_000, 3_600_000],
    ['a Retry-After later than the backoff is honoured', retry('HTTP 429', 120_000), undefined, {}, 'retry', 1, 120_000, 0],
    [
      'a Retry-After sooner than the backoff waits for the backoff',
      retry('HTTP 429', 1_000),
      failing(2, 30_000),
      {},
      'retry',
      3,
      20_000,
      30_000,
    ],
    ['a run of failures 24 h old is dead-lettered', retry('HTTP 503'), failing(200, 24 * 3600_000), {}, 'dead', 201, 0, 24 * 3600_000],
    [
      'a Retry-After does not keep a run past its max age alive',
      retry('HTTP 429', 60_000),
      failing(9, 24 * 3600_000),
      {},
      'dead',
      10,
      0,
      24 * 3600_000,
    ],
    ['limited attempts: the last one is dead-lettered', retry('HTTP 503'), failing(2, 60_000), { maxAttempts: 3 }, 'dead', 3, 0, 60_000],
    ['a permanent failure is dead-lettered at once', { kind: 'dead', error: 'HTTP 422' }, undefined, {}, 'dead', 1, 0, 0],
    ['credentials refused: held, looked at again later', { kind: 'held', error: 'HTTP 401' }, undefined, {}, 'held', 1, 900_000, 0],
    [
      'held past the max age: still held, never dead',
      { kind: 'held', error: 'HTTP 403' },
      failing(90, 48 * 3600_000),
      {},
      'held',
      91,
      900_000,
      0,
    ],
  ] as const)('%s', (_name, outcome, previous, settings, kind, attempts, nextInMs, sinceMs) => {
    const step = nextStep(outcome, previous, NOW, { ...SETTINGS, ...settings }, max);
    expect(step.kind).toBe(kind);
    expect(step.retry).toMatchObject({ attempts, since: ago(sinceMs), lastAttemptAt: NOW.toISOString(), nextAttemptAt: at(nextInMs) });
    expect(step.retry.deadLetteredAt).toBe(kind === 'dead' ? NOW.toISOString() : undefined);
  });

  it('keeps the error for the operator, marking a hold as one', () => {
    expect(nextStep(retry('HTTP 503'), undefined, NOW, SETTINGS, max).retry.lastError).toBe('HTTP 503');
    expect(nextStep({ kind: 'held', error: 'HTTP 401' }, undefined, NOW, SETTINGS, max).retry.lastError).toBe(`${HELD_PREFIX}HTTP 401`);
  });

  it('after a hold, the max age counts from the hold, not from the first failure before it', () => {
    const held = nextStep({ kind: 'held', error: 'HTTP 401' }, failing(5, 23 * 3600_000), NOW, SETTINGS, max);
    const later = new Date(NOW.getTime() + 3600_000);
    expect(nextStep(retry('HTTP 503'), held.retry, later, SETTINGS, max).kind).toBe('retry');
  });
});

describe('backoff', () => {
  it.each([
    [1, 0, 2_500],
    [1, 0.999999, 5_000],
    [2, 0, 5_000],
    [4, 0.999999, 40_000],
    [7, 0.999999, 300_000],
    [10_000, 0, 150_000],
  ])('attempt %i with jitter %d waits %i ms', (attempts, jitter, ms) => {
    expect(backoffMs(attempts, SETTINGS, () => jitter)).toBe(ms);
  });
});
