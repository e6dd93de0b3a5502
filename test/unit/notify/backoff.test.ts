import { describe, expect, it } from 'vitest';
import { DEFAULT_NOTIFY_SETTINGS, NotificationDeliverer, webhookIdOf } from '../../../lib/notify/deliver';

const deliverer = (random: () => number) =>
  new NotificationDeliverer({
    calls: {} as never,
    getTenant: () => Promise.resolve(undefined),
    sink: { send: () => Promise.resolve(undefined) },
    settings: DEFAULT_NOTIFY_SETTINGS,
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    random,
  });

describe('notification backoff', () => {
  it('doubles from the base, with jitter between half and all of each step', () => {
    const low = deliverer(() => 0);
    const high = deliverer(() => 0.999999);
    expect([1, 2, 3, 4].map((a) => low.backoffMs(a))).toEqual([2_500, 5_000, 10_000, 20_000]);
    expect([1, 2, 3, 4].map((a) => high.backoffMs(a))).toEqual([5_000, 10_000, 20_000, 40_000]);
  });

  it('is capped at the max delay, however many attempts', () => {
    expect(deliverer(() => 0.999999).backoffMs(10)).toBe(DEFAULT_NOTIFY_SETTINGS.maxDelayMs);
    expect(deliverer(() => 0.5).backoffMs(10_000)).toBeLessThanOrEqual(DEFAULT_NOTIFY_SETTINGS.maxDelayMs);
  });

  it('names each event of a call with a stable webhook-id', () => {
    expect(webhookIdOf('c_01J', 3)).toBe('c_01J.3');
  });
});
