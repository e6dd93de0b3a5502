import { describe, expect, it } from 'vitest';
import { isTimeZone, localDate, nextDate, startOfLocalDay, zonedTimeToUtc } from '../../../lib/time/zone';

describe('time zones with Intl only', () => {
  it('knows zones and refuses nonsense', () => {
    expect(isTimeZone('Europe/London')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
  });

  it('finds the local day of an instant', () => {
    expect(localDate('Europe/London', new Date('2026-07-01T23:30:00Z'))).toBe('2026-07-02');
    expect(localDate('America/New_York', new Date('2026-07-01T02:00:00Z'))).toBe('2026-06-30');
    expect(localDate('UTC', new Date('2026-07-01T23:30:00Z'))).toBe('2026-07-01');
  });

  it('finds the instant a local day starts, on both sides of DST', () => {
    expect(startOfLocalDay('2026-07-01', 'Europe/London').toISOString()).toBe('2026-06-30T23:00:00.000Z');
    expect(startOfLocalDay('2026-01-01', 'Europe/London').toISOString()).toBe('2026-01-01T00:00:00.000Z');
    // Clocks go forward at 01:00 on 29 March 2026 in London: that day is 23 hours long.
    expect(startOfLocalDay('2026-03-30', 'Europe/London').getTime() - startOfLocalDay('2026-03-29', 'Europe/London').getTime()).toBe(
      23 * 3600_000,
    );
  });

  it('lands a wall time in the skipped hour just after it', () => {
    expect(zonedTimeToUtc({ year: 2026, month: 3, day: 29, hour: 1, minute: 30 }, 'Europe/London').toISOString()).toBe(
      '2026-03-29T01:30:00.000Z',
    );
  });

  it('steps calendar dates over month and year ends', () => {
    expect(nextDate('2026-02-28')).toBe('2026-03-01');
    expect(nextDate('2026-12-31')).toBe('2027-01-01');
  });
});
