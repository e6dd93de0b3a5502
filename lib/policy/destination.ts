import { getCountry } from 'countries-and-timezones';
import type { CallPolicy } from '../model/call-policy';
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

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

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
 * Calling hours in the destination's time zone. A number tells its country, not its zone, so for
 * a country that spans several zones the call must fall inside the hours in every one of them:
 * the lead is never rung at night, at the price of a shorter day in the widest countries. With
 * `legalCallingHours`, the law's hours for the country (lib/policy/legal-hours.ts) apply as well: a call
 * must be inside both, so the stricter wins.
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
  const start = minutesOf(hours.start);
  const end = minutesOf(hours.end);
  for (const zone of zones.length > 0 ? zones : ['UTC']) {
    const { day, minute } = localDayAndMinute(zone, at);
    const inside = start <= end ? minute >= start && minute < end : minute >= start || minute < end;
    if (!hours.days.includes(day) || !inside) {
      return {
        code: 'outside_calling_hours',
        detail: `Calls to ${country} are allowed ${hours.start}-${hours.end} local time on days ${hours.days.join(',')} (0 = Sunday); it is outside those hours in ${zone}.`,
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
 * a deferred call is scheduled for. Zone offsets are whole quarter hours, so an opening (a local HH:MM) falls on
 * a UTC minute congruent to the opening's minute modulo 15: stepping by 15 minutes from each minute on which some
 * window opens (the tenant's own, the law's) meets the first opening exactly.
 * `undefined` when the hours never open within {@link OPENING_HORIZON_DAYS} days (no day in `days`, or zones
 * whose hours never overlap).
 */
export function nextCallingOpening(number: NormalizedNumber, policy: CallPolicy, from: Date): Date | undefined {
  if (!checkCallingHours(number, policy, from)) return from;
  const phases = new Set<number>();
  if (policy.callingHours) phases.add(minutesOf(policy.callingHours.start) % 15);
  if (policy.legalCallingHours && number.country) for (const phase of legalOpeningPhases(number.country)) phases.add(phase);
  const ordered = phases.size > 0 ? [...phases].sort((a, b) => a - b) : [0];
  // The quarter hour (UTC) `from` falls in; each phase is a minute of it.
  const base = Math.floor(from.getTime() / STEP_MS) * STEP_MS;
  const end = from.getTime() + OPENING_HORIZON_DAYS * 86_400_000;
  for (let quarter = base; quarter <= end; quarter += STEP_MS) {
    for (const phase of ordered) {
      const at = quarter + phase * 60_000;
      if (at > from.getTime() && at <= end && !checkCallingHours(number, policy, new Date(at))) return new Date(at);
    }
  }
  return undefined;
}
