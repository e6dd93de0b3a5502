import { describe, expect, it } from 'vitest';
import { bodyOf, problemText, query } from '../../../lib/console/browser/logic/answer';
import {
  clock,
  count,
  dateTime,
  duration,
  errorText,
  pad,
  percent,
  rfc3339Local,
  seconds,
  utcOffset,
  when,
} from '../../../lib/console/browser/logic/format';
import type { Answer } from '../../../lib/console/browser/types';

/**
 * The console's pure formatting (lib/console/browser/logic/), run in Node without a DOM. Times are built from local
 * components, so every expectation holds in any time zone the tests run in.
 */

/** A local wall-clock time as the API would send it (UTC ISO). */
const local = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0) => new Date(y, mo - 1, d, h, mi, s, ms).toISOString();
const today = new Date();
const todayAt = (h: number, mi: number, s: number) => local(today.getFullYear(), today.getMonth() + 1, today.getDate(), h, mi, s);

describe('console formatting', () => {
  it.each([
    [5, undefined, '05'],
    [12, undefined, '12'],
    ['7', undefined, '07'],
    [3, 3, '003'],
    ['ab', 1, 'ab'],
  ] as const)('pad(%s, %s) is %s', (n, width, expected) => {
    expect(pad(n, width)).toBe(expected);
  });

  it.each([
    [local(2026, 3, 2, 9, 5, 7), '09:05:07', '2026-03-02 09:05:07'],
    [local(2025, 12, 31, 23, 59, 59), '23:59:59', '2025-12-31 23:59:59'],
    ['not a time', '', ''],
  ])('clock and dateTime of %s', (iso, expectedClock, expectedDateTime) => {
    expect(clock(iso)).toBe(expectedClock);
    expect(dateTime(iso)).toBe(expectedDateTime);
  });

  it.each([
    [null, ''],
    [undefined, ''],
    ['', ''],
    ['garbage', ''],
    [todayAt(8, 0, 0), '08:00:00'],
    [todayAt(23, 30, 5), '23:30:05'],
    [local(2030, 1, 15, 9, 0, 0), '2030-01-15 09:00:00'],
  ])('when(%s) is %j: the clock today, date and clock another day', (iso, expected) => {
    expect(when(iso)).toBe(expected);
  });

  it.each([
    [0, '+00:00'],
    [60, '+01:00'],
    [330, '+05:30'],
    [345, '+05:45'],
    [-300, '-05:00'],
    [-570, '-09:30'],
    [840, '+14:00'],
  ])('utcOffset(%i minutes) is %s', (minutes, expected) => {
    expect(utcOffset(minutes)).toBe(expected);
  });

  it.each([new Date(2026, 2, 2, 14, 30, 0), new Date(2026, 6, 1, 0, 0, 1), new Date(2025, 11, 31, 23, 59, 59)])(
    'rfc3339Local(%s) is local wall-clock time with its offset, the same instant',
    (d) => {
      const text = rfc3339Local(d);
      expect(text).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
      expect(text.slice(0, 19)).toBe(dateTime(d.toISOString()).replace(' ', 'T'));
      expect(Date.parse(text)).toBe(d.getTime());
    },
  );

  it.each([
    [0, '0 s'],
    [250, '0.25 s'],
    [1500, '1.5 s'],
    [2000, '2 s'],
    [9999, '10 s'],
    [10000, '10 s'],
    [12345, '12.3 s'],
    [100000, '100 s'],
  ])('seconds(%i ms) is %s', (ms, expected) => {
    expect(seconds(ms)).toBe(expected);
  });

  it.each([
    [null, '0 s'],
    [undefined, '0 s'],
    [59.4, '59 s'],
    [59.6, '1m 00s'],
    [60, '1m 00s'],
    [125, '2m 05s'],
    [3725, '1h 2m 05s'],
  ])('duration(%s s) is %s', (sec, expected) => {
    expect(duration(sec)).toBe(expected);
  });

  it.each([
    [0, '0%'],
    [0.5, '50%'],
    [0.666, '67%'],
    [1, '100%'],
    [NaN, '0%'],
  ])('percent(%s) is %s', (rate, expected) => {
    expect(percent(rate)).toBe(expected);
  });

  it.each([
    [0, '0 calls'],
    [1, '1 call'],
    [2, '2 calls'],
  ])('count(%i) is %s', (n, expected) => {
    expect(count(n, 'call', 'calls')).toBe(expected);
  });

  it('errorText reads an Error by its message, anything else as a string', () => {
    expect(errorText(new Error('Failed to fetch'))).toBe('Failed to fetch');
    expect(errorText('plain')).toBe('plain');
    expect(errorText(42)).toBe('42');
  });
});

describe('console answers and queries', () => {
  const answer = (status: number, body: unknown): Answer<unknown> => ({ status, ok: status < 400, body, headers: new Headers() });

  it.each([
    [{}, ''],
    [{ limit: 25 }, '?limit=25'],
    [{ limit: 0 }, '?limit=0'],
    [{ limit: 25, leadId: '', agent: undefined, state: 'queued' }, '?limit=25&state=queued'],
    [{ leadId: 'a b&c=d' }, '?leadId=a%20b%26c%3Dd'],
    [{ tz: 'Asia/Kolkata', from: '2026-03-01' }, '?tz=Asia%2FKolkata&from=2026-03-01'],
  ])('query(%j) is %s: empty values left out, the rest encoded', (params, expected) => {
    expect(query(params)).toBe(expected);
  });

  it.each([
    [answer(429, { title: 'Too Many Requests', detail: 'cap reached' }), 'Too Many Requests: cap reached'],
    [answer(401, { title: 'Unauthorized' }), 'Unauthorized'],
    [answer(500, null), 'HTTP 500'],
    [answer(502, 'Bad Gateway'), 'HTTP 502'],
    [answer(400, { detail: 'to: not a number' }), 'HTTP 400: to: not a number'],
  ])('problemText of a refused answer (%#) is %s', (refused, expected) => {
    expect(problemText(refused)).toBe(expected);
  });

  it('bodyOf returns an accepted body, and refuses a success without one', () => {
    expect(bodyOf(answer(200, { calls: [] }))).toEqual({ calls: [] });
    expect(() => bodyOf(answer(200, null))).toThrow('HTTP 200 without a JSON body');
  });
});
