import { normalizeNumber, type NormalizedNumber } from '../../policy/phone';
import { dedupeSubject, type CallTarget, type NormalizedCallRequest } from '../request';
import type { CallAgent, PlaceCallInput } from './context';
import { notBeforeOf, numberVerdict, type NumberVerdict } from './timing';

/** A call request as read before any I/O: who it asks for, the number, the ledger's view of it and the number's verdict. */
export interface CallAsk {
  target: CallTarget;
  /** Undefined when `to` is not a valid number (the call is then refused). */
  number?: NormalizedNumber;
  normalized: NormalizedCallRequest;
  /** The keyless subject of the request as spelt, before its agent is resolved. */
  subject: string;
  /** What the tenant's per-second cap counts: the key, or the keyless subject, so copies of one request count once. */
  identity: string;
  verdict: NumberVerdict;
}

/**
 * Reads a call request: no I/O.
 *
 * @throws {DomainError} `invalid_request` naming `notBefore` when it lies too far ahead
 */
export function readAsk(input: Pick<PlaceCallInput, 'tenant' | 'request' | 'idempotencyKey' | 'outsideCallingHours'>, now: Date): CallAsk {
  const { tenant, request } = input;
  const number = normalizeNumber(request.to, request.defaultCountry ?? tenant.defaultCountry);
  const target: CallTarget = request.team !== undefined ? { team: request.team } : request.agent!;
  const notBefore = notBeforeOf(request, now);
  const normalized: NormalizedCallRequest = {
    agent: target,
    to: number?.e164 ?? request.to.trim(),
    prefix: request.prefix,
    leadId: request.lead?.id,
    leadType: request.lead?.type,
    customData: request.customData ?? {},
    notBefore: request.notBefore === undefined ? undefined : new Date(request.notBefore).toISOString(),
    maxWaitSec: request.maxWaitSec,
  };
  const subject = dedupeSubject(normalized);
  const outsideHours = input.outsideCallingHours ?? tenant.policy.outsideCallingHours;
  return {
    target,
    number,
    normalized,
    subject,
    identity: input.idempotencyKey ?? `auto:${subject}`,
    verdict: numberVerdict(tenant, number, now, notBefore, outsideHours),
  };
}

/**
 * The request as the ledger names it. Without a key, by the agent it resolved to: one agent named by id, e-mail or
 * extension is one subject and one request, so a copy spelt with another reference joins the same window and call.
 */
export function namedRequest(ask: CallAsk, agent: CallAgent | undefined, idempotencyKey: string | undefined): NormalizedCallRequest {
  return idempotencyKey === undefined && agent ? { ...ask.normalized, agent: { crmUserId: agent.crmUserId } } : ask.normalized;
}
