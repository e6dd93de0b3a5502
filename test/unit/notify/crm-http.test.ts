import { describe, expect, it } from 'vitest';
import { ForbiddenAddressError } from '../../../lib/net/outbound';
import { OutboundTimeoutError, ResponseTooLargeError } from '../../../lib/net/request';
import { describeRequestError, failedOutcome, isNoAnswer, retryAfterMsOf, type CrmAnswer } from '../../../lib/notify/transports/crm-http';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const answer = (status: number, headers: CrmAnswer['headers'] = {}): CrmAnswer => ({ status, headers, body: undefined });

describe("failedOutcome: a CRM's refusal in the engine's words", () => {
  it.each([
    [401, 'held'],
    [403, 'held'],
    [429, 'retry'],
    [503, 'retry'],
    [400, 'dead'],
    [404, 'dead'],
    [409, 'dead'],
    [422, 'dead'],
    [500, 'retry'],
    [502, 'retry'],
    [504, 'retry'],
    [408, 'retry'],
  ] as const)('HTTP %i is %s', (status, kind) => {
    expect(failedOutcome(answer(status), 'the CRM said no', NOW)).toEqual({ kind, error: `HTTP ${status}: the CRM said no` });
  });

  it("carries a 429's and a 503's Retry-After, and only theirs", () => {
    expect(failedOutcome(answer(429, { 'retry-after': '10' }), 'rate limited', NOW)).toEqual({
      kind: 'retry',
      error: 'HTTP 429: rate limited',
      retryAfterMs: 10_000,
    });
    expect(failedOutcome(answer(503, { 'retry-after': 'Sun, 01 Mar 2026 12:01:00 GMT' }), 'down', NOW)).toMatchObject({
      retryAfterMs: 60_000,
    });
    expect(failedOutcome(answer(500, { 'retry-after': '10' }), 'oops', NOW)).not.toHaveProperty('retryAfterMs');
  });

  it("cuts the CRM's words short", () => {
    const outcome = failedOutcome(answer(400), 'x'.repeat(1000), NOW);
    expect(outcome.error).toHaveLength(300);
    expect(outcome.error.startsWith('HTTP 400: xxx')).toBe(true);
  });
});

describe('retryAfterMsOf (RFC 9110, 10.2.3)', () => {
  it.each([
    ['seconds', '120', 120_000],
    ['seconds with spaces', ' 5 ', 5_000],
    ['zero', '0', 0],
    ['an HTTP date ahead', 'Sun, 01 Mar 2026 12:00:30 GMT', 30_000],
    ['an HTTP date past', 'Sun, 01 Mar 2026 11:00:00 GMT', 0],
    ['the obsolete RFC 850 date', 'Sunday, 01-Mar-26 12:00:10 GMT', 10_000],
    ['the obsolete asctime date', 'Sun Mar  1 12:00:20 2026', 20_000],
    ['the first of several values', ['7', '9'], 7_000],
  ] as const)('reads %s', (_name, value, ms) => {
    expect(retryAfterMsOf(value as string | string[], NOW)).toBe(ms);
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['blank', '   '],
    ['garbage', 'soon'],
    ['a negative number', '-5'],
    ['a fraction', '1.5'],
    ['a month without a time', 'Mar 2026'],
  ] as const)('ignores %s', (_name, value) => {
    expect(retryAfterMsOf(value, NOW)).toBeUndefined();
  });
});

describe('describeRequestError and isNoAnswer', () => {
  it('say why there was no answer without a URL or token', () => {
    expect(describeRequestError(new OutboundTimeoutError(5000))).toBe('timeout');
    expect(describeRequestError(new ResponseTooLargeError(1024))).toBe('answer too large');
    expect(describeRequestError(new ForbiddenAddressError('crm.test', '10.0.0.1', '10.0.0.0/8'))).toMatch(/^refused: /);
    expect(describeRequestError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe('network: ECONNREFUSED');
    expect(describeRequestError(new Error('x'.repeat(500)))).toHaveLength(200);
    expect(isNoAnswer({ kind: 'retry', error: 'timeout' })).toBe(true);
    expect(isNoAnswer(answer(200))).toBe(false);
  });
});
