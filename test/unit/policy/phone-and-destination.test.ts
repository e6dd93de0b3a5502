import { describe, expect, it } from 'vitest';
import { checkCallingHours, checkDestination } from '../../../lib/policy/destination';
import { maskNumber, normalizeNumber } from '../../../lib/policy/phone';
import { callPolicySchema } from '../../../lib/model/call-policy';

const policy = (overrides: Record<string, unknown> = {}) => callPolicySchema.parse({ allowedCountries: ['GB', 'US', 'DE'], ...overrides });

describe('normalizeNumber', () => {
  it('reads human formats into E.164', () => {
    expect(normalizeNumber('+44 7766 889900', undefined)).toMatchObject({
      e164: '+447766889900',
      digits: '447766889900',
      country: 'GB',
      type: 'MOBILE',
    });
    expect(normalizeNumber('07766 889900', 'GB')?.e164).toBe('+447766889900');
    expect(normalizeNumber('(212) 555-0123', 'US')?.country).toBe('US');
    expect(normalizeNumber('+44 (0) 7766-889900', undefined)?.e164).toBe('+447766889900');
    expect(normalizeNumber('07766.889.900', 'GB')?.e164).toBe('+447766889900');
  });

  it.each([
    '+..44 7766 889900',
    '+44 7766..889900',
    '+44 7766 -.889900',
    '+44 () 7766 889900',
    '1-800-FLOWERS',
    '+44 12',
    '',
    '+44 7766 889900 ext 5',
    '+44/7766889900',
    '+447766889900#',
    '../+447766889900',
  ])('refuses %j', (raw) => {
    expect(normalizeNumber(raw, 'GB')).toBeUndefined();
  });
});

describe('maskNumber', () => {
  it('keeps the country code and last three digits only', () => {
    expect(maskNumber('+447766889900')).toBe('+44*******900');
    expect(maskNumber('+447766889900')).not.toContain('7766889');
  });
});

describe('checkDestination', () => {
  it('allows a mobile in an allowed country', () => {
    expect(checkDestination(normalizeNumber('+447766889900', undefined)!, policy(), 'GB')).toBeUndefined();
  });

  it('refuses a country outside the list', () => {
    expect(checkDestination(normalizeNumber('+33612345678', undefined)!, policy(), 'GB')?.code).toBe('destination_not_allowed');
  });

  it('refuses UK premium-rate (09) unless the tenant allows it', () => {
    const premium = normalizeNumber('+449098790000', undefined)!;
    expect(premium.type).toBe('PREMIUM_RATE');
    expect(checkDestination(premium, policy(), 'GB')?.detail).toMatch(/Premium-rate/);
    expect(checkDestination(premium, policy({ allowPremiumRate: true }), 'GB')).toBeUndefined();
  });

  it('refuses German shared-cost (0180) unless the tenant allows it', () => {
    const shared = normalizeNumber('+49180212345', undefined)!;
    expect(shared.type).toBe('SHARED_COST');
    expect(checkDestination(shared, policy(), 'GB')?.detail).toMatch(/Shared-cost/);
    expect(checkDestination(shared, policy({ allowSharedCost: true }), 'GB')).toBeUndefined();
  });

  it('refuses deny-listed prefixes', () => {
    expect(checkDestination(normalizeNumber('+447766889900', undefined)!, policy({ denyPrefixes: ['4477'] }), 'GB')?.detail).toMatch(
      /\+4477/,
    );
  });

  it('defaults the allowed countries to the tenant country', () => {
    expect(checkDestination(normalizeNumber('+12125550123', undefined)!, callPolicySchema.parse({}), 'GB')?.code).toBe(
      'destination_not_allowed',
    );
  });
});

describe('checkCallingHours', () => {
  const hours = policy({ callingHours: { start: '09:00', end: '18:00', days: [1, 2, 3, 4, 5] } });
  const uk = normalizeNumber('+447766889900', undefined)!;

  it('allows a weekday afternoon in the destination zone', () => {
    expect(checkCallingHours(uk, hours, new Date('2026-11-25T14:00:00Z'))).toBeUndefined();
  });

  it('refuses at night and on Sunday', () => {
    expect(checkCallingHours(uk, hours, new Date('2026-11-25T22:00:00Z'))?.code).toBe('outside_calling_hours');
    expect(checkCallingHours(uk, hours, new Date('2026-11-29T14:00:00Z'))?.code).toBe('outside_calling_hours');
  });

  it('requires the hours in every zone of a country that spans several', () => {
    const us = normalizeNumber('+12125550123', undefined)!;
    // 14:00 UTC is 09:00 in New York but 04:00 in Honolulu and 06:00 in Los Angeles.
    expect(checkCallingHours(us, hours, new Date('2026-11-25T14:00:00Z'))?.code).toBe('outside_calling_hours');
  });

  it('is off when the tenant sets no hours', () => {
    expect(checkCallingHours(uk, policy(), new Date('2026-11-25T03:00:00Z'))).toBeUndefined();
  });
});
