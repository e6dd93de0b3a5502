import { describe, expect, it } from 'vitest';
import { clock } from '../../../lib/console/browser/logic/format';
import { attemptText } from '../../../lib/console/browser/logic/subscriptions';
import type { DeliveryAttempt } from '../../../lib/console/browser/types';

const at = '2026-11-26T10:00:00.000Z';
const attempt = (overrides: Partial<DeliveryAttempt>): DeliveryAttempt => ({
  event: 'call.completed',
  callId: 'c_1',
  attempt: 1,
  status: 'delivered',
  responseCode: 200,
  latencyMs: 42,
  error: null,
  attemptedAt: at,
  nextAttemptAt: null,
  ...overrides,
});

describe('the subscriptions panel', () => {
  it('says of each attempt what, how it went and what comes next', () => {
    expect(attemptText(attempt({}))).toBe(`${clock(at)} call.completed delivered 200 \u00b7 42 ms`);
    expect(attemptText(attempt({ status: 'failed', responseCode: 503, attempt: 3, error: 'HTTP 503', nextAttemptAt: at }))).toBe(
      `${clock(at)} call.completed failed 503 \u00b7 42 ms \u00b7 try 3 \u00b7 HTTP 503 \u00b7 next ${clock(at)}`,
    );
    expect(
      attemptText(attempt({ event: 'ping', status: 'failed', responseCode: null, latencyMs: null, error: 'no answer within 5000 ms' })),
    ).toBe(`${clock(at)} ping failed \u00b7 no answer within 5000 ms`);
  });
});
