import { getCountry } from 'countries-and-timezones';
import type { CallPolicy } from '../model/call-policy';
import { formatCallingHours, insideCallingHours, openingPhases } from './calling-hours';
import { checkLegalHours, legalOpeningPhases } from './legal-hours';
import type { NormalizedNumber } from './phone';

export interface PolicyRefusal {
  code: 'destination_not_allowed' | 'outside_calling_hours';
  detail: string;
}

/**
 * Where a tenant may call: the country list, the number types that cost the caller money or
 * serve toll fraud, and deny-listed prefixes. Pure: it reads nothing and writes nothing.
 */
export function checkDestination(number: NormalizedNumber, policy: CallPolicy, defaultCountry: string): PolicyRefusal | undefined {
  const allowed = policy.allowedCountries.length > 0 ? policy.allowedCountries : [defaultCountry];
  if (!number.country || !allowed.includes(number.country)) {
    return {
      code: 'destination_not_allowed',
      detail: `Calls to ${number.country ?? 'non-geographic numbers'} are not allowed for this tenant (allowed: ${allowed.join(', ')}).`,
    };
  }
  const denied = policy.denyPrefixes.find((prefix) => number.digits.startsWith(prefix));
  if (denied) return { code: 'destination_not_allowed', detail: `Numbers starting +${denied} are deny-listed for this tenant.` };
  if (number.type === 'PREMIUM_RATE' && !policy.allowPremiumRate) {
    return { code: 'destination_not_allowed', detail: 'Premium-rate numbers are not allowed for this tenant.' };
  }
  if (number.type === 'SHARED_COST' && !policy.allowSharedCost) {
    return { code: 'destination_not_allowed', detail: 'Shared-cost numbers are not allowed for this tenant.' };
  }
  if (number.type === undefined && !policy.allowUnknownType) {
    return { code: 'destination_not_allowed', detail: 'Numbers of unknown type are not allowed for this tenant.' };
  }
  return undefined;
}

function localDayAndMinute(timeZone: string, at: Date): { day: number; minute: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(get('weekday'));
  return { day, minute: Number(get('hour')) * 60 + Number(get('minute')) };
}

/**
 * Calling hours in the destination's time zone: inside any of the policy's windows. A number tells its country,
 * not its zone, so for a country that spans several zones the call must fall inside the hours in every one of
 * them: the lead is never rung at night, at the price of a shorter day in the widest countries. With
 * `legalCallingHours`, the law's hours for the country (lib/policy/legal-hours.ts) apply as well: a call must be
 * inside both, so the stricter wins.
 */
export function checkCallingHours(number: NormalizedNumber, policy: CallPolicy, at: Date): PolicyRefusal | undefined {
  if (!number.country) return undefined;
  const zones = getCountry(number.country)?.timezones ?? [];
  const own = checkOwnHours(number.country, zones, policy, at);
  if (own) return own;
  if (!policy.legalCallingHours) return undefined;
  const legal = checkLegalHours(number.country, zones, at);
  return legal ? { code: 'outside_calling_hours', detail: legal.detail } : undefined;
}

/** The tenant's own hours (`callingHours`), in every zone of the country. */
function checkOwnHours(country: string, zones: readonly string[], policy: CallPolicy, at: Date): PolicyRefusal | undefined {
  const hours = policy.callingHours;
  if (!hours) return undefined;
  for (const zone of zones.length > 0 ? zones : ['UTC']) {
    const { day, minute } = localDayAndMinute(zone, at);
    if (!insideCallingHours(hours, day, minute)) {
      return {
        code: 'outside_calling_hours',
        detail: `Calls to ${country} are allowed ${formatCallingHours(hours)} local time; it is outside those hours in ${zone}.`,
      };
    }
  }
  return undefined;
}

/** The farthest ahead the next opening of the calling hours is looked for. */
const OPENING_HORIZON_DAYS = 8;
const STEP_MS = 15 * 60_000;

/**
 * The first moment at or after `from` when {@link checkCallingHours} lets a call to `number` through: the time
 * a deferred call is scheduled for. Zone offsets are whole quarter hours, so an opening (a window's local start)
 * falls on a UTC minute congruent to that start's minute modulo 15: stepping by 15 minutes from each such minute
 * (the tenant's own windows', and the law's) meets every opening exactly. `undefined` when the hours never open within {@link OPENING_HORIZON_DAYS} days (no
 * day given, or zones whose hours never overlap).
 */
export function nextCallingOpening(number: NormalizedNumber, policy: CallPolicy, from: Date): Date | undefined {
  if (!checkCallingHours(number, policy, from)) return from;
  const phaseSet = new Set<number>(policy.callingHours ? openingPhases(policy.callingHours) : []);
  if (policy.legalCallingHours && number.country) for (const phase of legalOpeningPhases(number.country)) phaseSet.add(phase);
  const phases = phaseSet.size > 0 ? [...phaseSet].sort((a, b) => a - b) : [0];
  const start = new Date(from.getTime());
  start.setUTCSeconds(0, 0);
  // The 15-minute block after `from`'s minute, then each phase within each block, in time order.
  const block = start.getTime() - (start.getUTCMinutes() % 15) * 60_000;
  const end = from.getTime() + OPENING_HORIZON_DAYS * 86_400_000;
  for (let at = block; at <= end; at += STEP_MS) {
    for (const phase of phases) {
      const candidate = at + phase * 60_000;
      if (candidate > from.getTime() && candidate <= end && !checkCallingHours(number, policy, new Date(candidate)))
        return new Date(candidate);
    }
  }
  return undefined;
}
