import type { CallPolicy } from '../../model/call-policy';
import type { RejectionReason, Schedule } from '../../model/call';
import { invalidRequest } from '../../model/domain-error';
import type { Tenant } from '../../model/tenant';
import { checkCallingHours, checkDestination, nextCallingOpening } from '../../policy/destination';
import type { NormalizedNumber } from '../../policy/phone';
import { MAX_SCHEDULE_AHEAD_DAYS, type CallRequest } from '../request';

/** A call's refusal before anything was sent: the reason stored with it and the words of the answer. */
export interface Refusal {
  reason: RejectionReason;
  detail: string;
}

/** What the number and the clock say of a call, before its agent is known: refused, to wait, or to dial now. */
export type NumberVerdict =
  | { kind: 'refuse'; refusal: Refusal }
  | { kind: 'schedule'; schedule: Schedule; number: NormalizedNumber }
  | { kind: 'now'; number: NormalizedNumber };

/**
 * The request's `notBefore` as a time; a past time means now.
 *
 * @throws {DomainError} `invalid_request` naming `notBefore` when it lies more than MAX_SCHEDULE_AHEAD_DAYS ahead
 */
export function notBeforeOf(request: Pick<CallRequest, 'notBefore'>, now: Date): Date | undefined {
  if (request.notBefore === undefined) return undefined;
  const at = new Date(request.notBefore);
  if (at.getTime() - now.getTime() > MAX_SCHEDULE_AHEAD_DAYS * 86_400_000) {
    throw invalidRequest(`A call may be scheduled at most ${MAX_SCHEDULE_AHEAD_DAYS} days ahead.`, [
      { path: 'notBefore', message: `at most ${MAX_SCHEDULE_AHEAD_DAYS} days ahead` },
    ]);
  }
  return at.getTime() > now.getTime() ? at : undefined;
}

const INVALID_NUMBER: Refusal = { reason: 'invalid_number', detail: 'The destination is not a valid phone number for its country.' };

/** A valid number's refusal by the tenant's destination policy (countries, types, denied prefixes). */
function destinationRefusal(tenant: Tenant, number: NormalizedNumber): Refusal | undefined {
  const policy = checkDestination(number, tenant.policy, tenant.defaultCountry);
  return policy ? { reason: policy.code, detail: policy.detail } : undefined;
}

/**
 * When the call may dial: now, at a time asked for, or at the next opening of the lead's calling hours when they are
 * closed then and the policy defers; or a refusal when they are closed and it refuses, or do not open within 8 days.
 */
function whenToCall(
  tenant: Tenant,
  number: NormalizedNumber,
  now: Date,
  notBefore: Date | undefined,
  outsideHours: CallPolicy['outsideCallingHours'],
): NumberVerdict {
  const at = notBefore ?? now;
  const closed = checkCallingHours(number, tenant.policy, at);
  if (!closed) {
    return notBefore
      ? { kind: 'schedule', schedule: { notBefore: notBefore.toISOString(), reason: 'requested' }, number }
      : { kind: 'now', number };
  }
  if (outsideHours !== 'defer') return { kind: 'refuse', refusal: { reason: 'outside_calling_hours', detail: closed.detail } };
  const opening = nextCallingOpening(number, tenant.policy, at);
  if (!opening) {
    const detail = `${closed.detail} They do not open within the next 8 days.`;
    return { kind: 'refuse', refusal: { reason: 'outside_calling_hours', detail } };
  }
  return { kind: 'schedule', schedule: { notBefore: opening.toISOString(), reason: 'calling_hours' }, number };
}

/** The number's verdict: its own refusal first (invalid, not allowed), then the calling hours and the time asked for. */
export function numberVerdict(
  tenant: Tenant,
  number: NormalizedNumber | undefined,
  now: Date,
  notBefore: Date | undefined,
  outsideHours: CallPolicy['outsideCallingHours'],
): NumberVerdict {
  if (!number) return { kind: 'refuse', refusal: INVALID_NUMBER };
  const refusal = destinationRefusal(tenant, number);
  if (refusal) return { kind: 'refuse', refusal };
  return whenToCall(tenant, number, now, notBefore, outsideHours);
}
