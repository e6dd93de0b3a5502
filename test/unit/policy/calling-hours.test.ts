import { describe, expect, it } from 'vitest';
import { callPolicySchema } from '../../../lib/model/call-policy';
import { formatCallingHours, parseCallingHours } from '../../../lib/policy/calling-hours';
import { checkCallingHours, nextCallingOpening } from '../../../lib/policy/destination';
import { normalizeNumber } from '../../../lib/policy/phone';

const uk = normalizeNumber('+447766889900', undefined)!;
const policyOf = (text: string) => callPolicySchema.parse({ callingHours: parseCallingHours(text) });

describe('calling hours as an operator writes them', () => {
  it('reads several windows a day and different days, and writes them back the same', () => {
    const text = 'Mon-Fri 09:00-13:00,14:00-20:00; Sat 10:00-14:00';
    const hours = parseCallingHours(text);
    expect(hours.windows).toEqual([
      { days: [1, 2, 3, 4, 5], start: '09:00', end: '13:00' },
      { days: [1, 2, 3, 4, 5], start: '14:00', end: '20:00' },
      { days: [6], start: '10:00', end: '14:00' },
    ]);
    expect(formatCallingHours(hours)).toBe(text);
    expect(parseCallingHours('mon,wed,friday 08:30-12:00 ; Fri-Mon 18:00-21:00').windows).toEqual([
      { days: [1, 3, 5], start: '08:30', end: '12:00' },
      { days: [1, 5, 6, 0], start: '18:00', end: '21:00' },
    ]);
    expect(formatCallingHours(parseCallingHours('daily 22:00-02:00'))).toBe('Mon-Sun 22:00-02:00');
  });

  it.each(['', ' ; ', '09:00-10:00', 'Mon', 'Mon 9:00-10:00', 'Mon 09:00-09:00', 'Mon 09:00-24:00', 'Someday 09:00-10:00', 'Mon 09:00'])(
    'refuses %j',
    (text) => {
      expect(() => parseCallingHours(text)).toThrow();
    },
  );

  it('still reads the first shape, one window with its days', () => {
    expect(callPolicySchema.parse({ callingHours: { start: '09:00', end: '18:00' } }).callingHours).toEqual({
      windows: [{ days: [1, 2, 3, 4, 5], start: '09:00', end: '18:00' }],
    });
  });
});

describe('checkCallingHours over several windows', () => {
  const policy = policyOf('Mon-Fri 09:00-13:00,14:00-20:00; Sat 10:00-14:00');

  it('allows inside any window of the day, in the lead zone (London, GMT in November)', () => {
    expect(checkCallingHours(uk, policy, new Date('2026-11-25T09:30:00Z'))).toBeUndefined();
    expect(checkCallingHours(uk, policy, new Date('2026-11-25T19:59:00Z'))).toBeUndefined();
    expect(checkCallingHours(uk, policy, new Date('2026-11-28T11:00:00Z'))).toBeUndefined();
  });

  it('refuses over the lunch break, on Saturday afternoon and on Sunday, naming the hours', () => {
    const lunch = checkCallingHours(uk, policy, new Date('2026-11-25T13:30:00Z'));
    expect(lunch?.code).toBe('outside_calling_hours');
    expect(lunch?.detail).toContain('Mon-Fri 09:00-13:00,14:00-20:00; Sat 10:00-14:00');
    expect(checkCallingHours(uk, policy, new Date('2026-11-28T15:00:00Z'))?.code).toBe('outside_calling_hours');
    expect(checkCallingHours(uk, policy, new Date('2026-11-29T11:00:00Z'))?.code).toBe('outside_calling_hours');
  });

  it('gives the small hours of a window past midnight to the day it started on', () => {
    const night = policyOf('Fri 22:00-02:00');
    expect(checkCallingHours(uk, night, new Date('2026-11-28T01:00:00Z'))).toBeUndefined(); // Saturday 01:00
    expect(checkCallingHours(uk, night, new Date('2026-11-27T01:00:00Z'))?.code).toBe('outside_calling_hours'); // Friday 01:00
  });

  it('finds the next opening after the lunch break, at a window that opens on the half hour', () => {
    const halves = policyOf('Mon-Fri 09:00-13:00,14:30-20:00');
    expect(nextCallingOpening(uk, halves, new Date('2026-11-25T13:05:00Z'))?.toISOString()).toBe('2026-11-25T14:30:00.000Z');
    expect(nextCallingOpening(uk, halves, new Date('2026-11-27T20:10:00Z'))?.toISOString()).toBe('2026-11-30T09:00:00.000Z');
  });
});
