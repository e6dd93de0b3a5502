import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { callPolicySchema, type CallPolicy } from '../../../lib/model/call-policy';
import { checkCallingHours, nextCallingOpening } from '../../../lib/policy/destination';
import { easterSunday, holidaysOf, LEGAL_HOURS } from '../../../lib/policy/legal-hours';
import { normalizeNumber } from '../../../lib/policy/phone';

const policy = (overrides: Partial<CallPolicy> = {}): CallPolicy => callPolicySchema.parse({ legalCallingHours: true, ...overrides });
const NUMBERS: Record<string, string> = {
  US: '+12125550123',
  CA: '+14165550123',
  FR: '+33612345678',
  ES: '+34612345678',
  IT: '+393123456789',
  AU: '+61412345678',
  GB: '+447766889900',
};
const numberOf = (country: string) => normalizeNumber(NUMBERS[country]!, undefined)!;
const allowed = (country: string, at: string, p = policy()) => checkCallingHours(numberOf(country), p, new Date(at)) === undefined;

describe('calling hours set by law, per country (times in UTC; the local time in the comment)', () => {
  const cases: Array<[country: string, at: string, local: string, expected: boolean]> = [
    // US, 08:00-21:00 every day, in every zone from New York to Honolulu (and Adak).
    ['US', '2026-11-25T20:00:00Z', 'Wed 15:00 New York, 10:00 Honolulu', true],
    ['US', '2026-11-29T20:00:00Z', 'Sun 15:00 New York, 10:00 Honolulu: the TCPA sets no day', true],
    ['US', '2026-11-25T14:00:00Z', 'Wed 09:00 New York, 06:00 Los Angeles', false],
    ['US', '2026-11-26T02:30:00Z', 'Wed 21:30 New York', false],
    // Canada, weekdays 09:00-21:30, weekends 10:00-18:00, St John's to Vancouver.
    ['CA', '2026-11-25T18:00:00Z', 'Wed 10:00 Vancouver, 14:30 St Johns', true],
    ['CA', '2026-11-25T16:30:00Z', 'Wed 08:30 Vancouver', false],
    ['CA', '2026-11-28T18:00:00Z', 'Sat 10:00 Vancouver, 14:30 St Johns', true],
    ['CA', '2026-11-28T21:30:00Z', 'Sat 13:30 Vancouver, 18:00 St Johns', false],
    // France, weekdays 10:00-13:00 and 14:00-20:00, no weekend, no public holiday (Paris: UTC+1 in winter, +2 in summer).
    ['FR', '2026-11-25T10:30:00Z', 'Wed 11:30', true],
    ['FR', '2026-11-25T08:59:00Z', 'Wed 09:59', false],
    ['FR', '2026-11-25T12:30:00Z', 'Wed 13:30, the lunch break', false],
    ['FR', '2026-11-25T13:00:00Z', 'Wed 14:00', true],
    ['FR', '2026-11-25T18:59:00Z', 'Wed 19:59', true],
    ['FR', '2026-11-25T19:00:00Z', 'Wed 20:00', false],
    ['FR', '2026-11-28T10:30:00Z', 'Sat 11:30', false],
    ['FR', '2026-11-29T10:30:00Z', 'Sun 11:30', false],
    ['FR', '2026-11-11T10:30:00Z', 'Wed 11:30, Armistice Day', false],
    ['FR', '2026-04-06T09:00:00Z', 'Mon 11:00, Easter Monday', false],
    ['FR', '2026-04-07T09:00:00Z', 'Tue 11:00', true],
    ['FR', '2026-05-14T09:00:00Z', 'Thu 11:00, Ascension', false],
    ['FR', '2026-05-25T09:00:00Z', 'Mon 11:00, Whit Monday', false],
    ['FR', '2026-05-26T09:00:00Z', 'Tue 11:00', true],
    ['FR', '2026-07-14T09:00:00Z', 'Tue 11:00, Bastille Day', false],
    // Spain, weekdays 09:00-21:00, no weekend, no national holiday; Madrid and the Canaries (an hour behind).
    ['ES', '2026-11-25T09:00:00Z', 'Wed 10:00 Madrid, 09:00 Canaries', true],
    ['ES', '2026-11-25T07:30:00Z', 'Wed 08:30 Madrid', false],
    ['ES', '2026-11-25T20:30:00Z', 'Wed 21:30 Madrid', false],
    ['ES', '2026-04-03T10:00:00Z', 'Fri 12:00, Good Friday', false],
    ['ES', '2026-10-12T10:00:00Z', 'Mon 12:00, Fiesta Nacional', false],
    ['ES', '2026-11-28T10:00:00Z', 'Sat 11:00', false],
    // Italy, weekdays 09:00-20:00, Saturdays and the eve of a holiday 10:00-19:00, no Sunday, no holiday.
    ['IT', '2026-11-25T08:30:00Z', 'Wed 09:30', true],
    ['IT', '2026-11-28T08:30:00Z', 'Sat 09:30', false],
    ['IT', '2026-11-28T09:30:00Z', 'Sat 10:30', true],
    ['IT', '2026-11-28T18:30:00Z', 'Sat 19:30', false],
    ['IT', '2026-12-07T08:30:00Z', 'Mon 09:30, the eve of 8 December', false],
    ['IT', '2026-12-07T09:30:00Z', 'Mon 10:30, the eve of 8 December', true],
    ['IT', '2026-12-08T10:00:00Z', 'Tue 11:00, Immaculate Conception', false],
    ['IT', '2026-11-29T10:00:00Z', 'Sun 11:00', false],
    ['IT', '2026-04-06T09:00:00Z', 'Mon 11:00, Easter Monday', false],
    // Australia, weekdays 09:00-20:00, Saturdays 09:00-17:00, no Sunday, no national public holiday; Perth to Sydney.
    ['AU', '2026-11-25T03:00:00Z', 'Wed 11:00 Perth, 14:00 Sydney', true],
    ['AU', '2026-11-25T00:30:00Z', 'Wed 08:30 Perth', false],
    ['AU', '2026-11-28T03:00:00Z', 'Sat 11:00 Perth, 14:00 Sydney', true],
    ['AU', '2026-11-28T07:00:00Z', 'Sat 18:00 Sydney', false],
    ['AU', '2026-11-29T03:00:00Z', 'Sun', false],
    ['AU', '2026-01-26T03:00:00Z', 'Mon, Australia Day', false],
    ['AU', '2026-04-03T03:00:00Z', 'Fri, Good Friday', false],
    // The UK has no statutory calling hours: no row, so only the tenant's own hours apply (none here).
    ['GB', '2026-11-29T03:00:00Z', 'Sun 03:00', true],
  ];

  it.each(cases)('%s at %s (%s): allowed %s', (country, at, _local, expected) => {
    expect(allowed(country, at)).toBe(expected);
  });

  it('applies only when the policy asks for it', () => {
    expect(allowed('FR', '2026-11-28T10:30:00Z', policy({ legalCallingHours: false }))).toBe(true);
    expect(callPolicySchema.parse({}).legalCallingHours).toBe(false);
  });

  it('names the law and the day in its refusal', () => {
    const refusal = checkCallingHours(numberOf('FR'), policy(), new Date('2026-05-14T09:00:00Z'));
    expect(refusal?.code).toBe('outside_calling_hours');
    expect(refusal?.detail).toContain('D223-9');
    expect(refusal?.detail).toContain('public holiday');
  });
});

describe("the tenant's own hours on top: a call must be inside both", () => {
  const mornings = policy({ callingHours: { windows: [{ days: [1, 2, 3, 4, 5], start: '09:00', end: '12:00' }] } });
  const always = policy({ callingHours: { windows: [{ days: [0, 1, 2, 3, 4, 5, 6], start: '07:00', end: '23:00' }] } });

  it.each([
    ['inside both', mornings, '2026-11-25T10:30:00Z', true],
    ['inside the own hours, before the law opens (09:30 Paris)', mornings, '2026-11-25T08:30:00Z', false],
    ['inside the law, after the own hours close (14:30 Paris)', mornings, '2026-11-25T13:30:00Z', false],
    ['own hours every day, the law refuses a Saturday', always, '2026-11-28T10:30:00Z', false],
    ['own hours every day, the law refuses a holiday', always, '2026-11-11T10:30:00Z', false],
  ] as const)('%s', (_name, p, at, expected) => {
    expect(allowed('FR', at, p)).toBe(expected);
  });
});

describe('the next opening honours the law', () => {
  const next = (country: string, from: string, p = policy()) => nextCallingOpening(numberOf(country), p, new Date(from))?.toISOString();

  it.each([
    ['FR', '2026-11-27T19:30:00Z', 'Fri 20:30 Paris: Monday 10:00', '2026-11-30T09:00:00.000Z'],
    ['FR', '2026-11-25T12:30:00Z', 'Wed 13:30 Paris: 14:00 the same day', '2026-11-25T13:00:00.000Z'],
    ['FR', '2026-04-04T10:00:00Z', 'Sat before Easter Monday: Tuesday 10:00', '2026-04-07T08:00:00.000Z'],
    ['FR', '2026-05-13T18:30:00Z', 'Wed 20:30 before Ascension: Friday 10:00', '2026-05-15T08:00:00.000Z'],
    ['US', '2026-11-25T14:00:00Z', 'Wed 09:00 New York: 08:00 in Honolulu', '2026-11-25T18:00:00.000Z'],
    ['IT', '2026-12-07T08:00:00Z', 'Mon 09:00, the eve of a holiday: 10:00', '2026-12-07T09:00:00.000Z'],
  ])('%s from %s (%s)', (country, from, _why, expected) => {
    expect(next(country, from)).toBe(expected);
  });

  it("meets the law's opening exactly when the tenant's own hours open on another minute", () => {
    // Own hours from 09:05, open since 08:05 UTC; the law opens at 10:00 Paris (09:00 UTC), not 09:05.
    const own = policy({ callingHours: { windows: [{ days: [1, 2, 3, 4, 5], start: '09:05', end: '18:00' }] } });
    expect(next('FR', '2026-11-25T07:00:00Z', own)).toBe('2026-11-25T09:00:00.000Z');
  });
});

describe('public holidays: data and Easter, per year', () => {
  it.each([
    [2019, '04-21'],
    [2020, '04-12'],
    [2021, '04-04'],
    [2022, '04-17'],
    [2023, '04-09'],
    [2024, '03-31'],
    [2025, '04-20'],
    [2026, '04-05'],
    [2027, '03-28'],
    [2028, '04-16'],
    [2029, '04-01'],
    [2030, '04-21'],
    [2038, '04-25'],
    [2285, '03-22'],
  ])('Easter Sunday %i is %s', (year, date) => {
    expect(easterSunday(year)).toBe(date);
  });

  const fixed = ['01-01', '05-01', '05-08', '07-14', '08-15', '11-01', '11-11', '12-25'];
  it.each([
    [2024, ['04-01', '05-09', '05-20']],
    [2025, ['04-21', '05-29', '06-09']],
    [2026, ['04-06', '05-14', '05-25']],
    // Ascension on 1 May: one day, not two.
    [2008, ['03-24', '05-12']],
  ])("France's holidays in %i: the fixed dates, Easter Monday, Ascension, Whit Monday", (year, moving) => {
    expect(holidaysOf(LEGAL_HOURS.FR!.holidays!, year)).toEqual([...new Set([...fixed, ...moving])].sort());
  });
});

describe('the docs cite every row of the table', () => {
  const api = readFileSync(new URL('../../../docs/api.md', import.meta.url), 'utf8');
  const section = api.slice(api.indexOf('### Calling hours set by law'));

  it.each(Object.values(LEGAL_HOURS).map((rule) => [rule.country, rule.source]))('%s: %s', (country, source) => {
    expect(section).toContain(`| ${country} `);
    expect(section).toContain(source);
  });
});
