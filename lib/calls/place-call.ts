import { randomUUID } from 'node:crypto';
import type { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { DialOutcome, DialRequest, PbxSettings } from '../pbx/click2call';
import type { CallMetrics } from '../observability/metrics';
import { PbxError } from '../pbx/errors';
import type { CallCaps, CapRefusal } from '../policy/caps';
import { checkCallingHours, checkDestination } from '../policy/destination';
import { maskNumber, normalizeNumber, type NormalizedNumber } from '../policy/phone';
import type { Agent } from '../model/agent';
import type { AgentRepository } from '../store/agents';
import type { DedupeWindowRepository } from '../store/dedupe-windows';
import { toCallResource } from './resource';
import type { CallRepository, StoredCall } from '../store/calls';
import { CorruptItemError } from '../store/errors';
import type { Tenant } from '../model/tenant';
import { isStoreUnavailable } from '../store/unavailable';
import { assertDialUrlFits, dialQueryOf, pbxSettingsOf } from './dial-url';
import { emptyOutcome, type Call, type RejectionReason } from '../model/call';
import { callExpiry } from './retention';
import { callIdFor, dedupeSubject, requestHash, windowIdempotencyKey, type CallRequest, type NormalizedCallRequest } from './request';
import { systemClock, type Clock } from '../time/clock';

/** What became of a call request; `lib/calls/respond.ts` turns it into an HTTP answer. */
export type PlaceCallOutcome =
  | { kind: 'call'; status: 200 | 201 | 202; call: Call }
  | { kind: 'refused'; status: 409 | 422 | 429 | 503; code: string; detail: string; retryAfterSec?: number; call?: Call };

export interface PlaceCallInput {
  tenant: Tenant;
  request: CallRequest;
  /** From the caller (`Idempotency-Key`, a webhook's delivery id); when absent, the dedupe window decides. */
  idempotencyKey?: string;
  /**
   * For a keyless request that is a signed delivery: what identifies this very delivery (its
   * signature) and how long a copy of it can still pass verification. Every copy then resolves to
   * the same call, even after the dedupe window has closed.
   */
  delivery?: { id: string; validForSec: number };
  /** For a keyless request: the dedupe window, when the source sets its own (else the tenant's policy). */
  dedupeWindowSec?: number;
  /** Who asked: `api`, or a webhook source. */
  source: string;
}

type Logger = Pick<PowertoolsLogger, 'info' | 'warn'> & Partial<Pick<PowertoolsLogger, 'appendKeys'>>;

/** Points where a test may kill the invocation, to prove that a crash never leads to a second dial. */
export type FaultPoint = 'after_reserve' | 'after_dial';

export interface PlaceCallDeps {
  calls: CallRepository;
  agents: AgentRepository;
  caps: CallCaps;
  /** Dedupe windows of keyless requests. */
  windows: Pick<DedupeWindowRepository, 'claim'>;
  pbx: { dial(settings: PbxSettings, request: DialRequest): Promise<DialOutcome> };
  pbxTimeoutMs: number;
  logger: Logger;
  metrics?: CallMetrics;
  now?: Clock;
  faultHook?: (point: FaultPoint) => void;
}

const INCOMPLETE_AGENT = {
  reason: 'agent_not_found' as RejectionReason,
  detail: "The agent's record is incomplete (no valid extension): put it again with PUT /v1/agents/{crmUserId}.",
};

/** Seconds a caller should wait before retrying a call that never left us. */
const NOT_SENT_RETRY_AFTER_SEC = 5;

/** A cap said no: 429 with when to come back, and the call as it stands when one was written. */
function capRefused(refusal: CapRefusal, call?: Call): PlaceCallOutcome {
  return { kind: 'refused', status: 429, code: refusal.code, detail: refusal.detail, retryAfterSec: refusal.retryAfterSec, call };
}

/**
 * The call request use case: the at-most-once ledger of docs/design.md around one Click2Call GET.
 *
 * Sequential round trips before the GET: the agent read (tenant and key come cached from auth),
 * then one parallel group of conditional writes: the reservation and the caps. The reservation is
 * written straight in `dispatching`: the checks that could refuse the call ran before it, so the
 * winner of that one conditional put is the only one who may send.
 */
export class PlaceCall {
  private readonly now: Clock;

  constructor(private readonly deps: PlaceCallDeps) {
    this.now = deps.now ?? systemClock;
  }

  async execute(input: PlaceCallInput): Promise<PlaceCallOutcome> {
    const outcome = await this.decide(input);
    const state = outcome.call?.duplicate ? 'duplicate' : (outcome.call?.state ?? 'refused');
    this.deps.metrics?.callOutcome(state, outcome.kind === 'refused' ? outcome.code : null, input.source);
    return outcome;
  }

  private async decide(input: PlaceCallInput): Promise<PlaceCallOutcome> {
    const { tenant, request } = input;
    const now = this.now();
    const number = normalizeNumber(request.to, request.defaultCountry ?? tenant.defaultCountry);
    const normalized: NormalizedCallRequest = {
      agent: request.agent,
      to: number?.e164 ?? request.to.trim(),
      prefix: request.prefix,
      leadId: request.lead?.id,
      customData: request.customData ?? {},
    };
    const hash = requestHash(normalized);
    const subject = dedupeSubject(normalized);

    // Every request counts against the tenant's per-second cap before anything is written, refused
    // ones included: a key holder or a webhook sender cannot fill the table with refusals. Copies
    // of one request count once (the counter is a set of request identities).
    const [found, admitted] = await Promise.all([
      this.findAgent(tenant.tenantId, request.agent),
      this.deps.caps.admitRequest(tenant.tenantId, tenant.policy, input.idempotencyKey ?? `auto:${subject}`),
    ]);
    if (admitted.refusal) return capRefused(admitted.refusal);
    const agent = found === 'incomplete' ? undefined : found;
    // A request whose Click2Call URL would be too long is the caller's mistake: refused before anything
    // is written. Every call id has the same length, so the subject's stands in for a keyless one.
    assertDialUrlFits(tenant, {
      callId: callIdFor(tenant.tenantId, input.idempotencyKey ?? subject),
      request,
      legA: agent?.extension,
      legB: number?.digits,
    });

    const idempotencyKey = input.idempotencyKey ?? (await this.keyOfWindow(input, subject, now.getTime()));
    const callId = callIdFor(tenant.tenantId, idempotencyKey);
    // Every later line of this request carries the call id (the HTTP stack resets keys per request).
    this.deps.logger.appendKeys?.({ callId });

    const refusal = found === 'incomplete' ? INCOMPLETE_AGENT : this.refusalOf(tenant, agent, number, now);
    const at = now.toISOString();
    const call: StoredCall = {
      callId,
      tenantId: tenant.tenantId,
      state: refusal ? 'rejected' : 'dispatching',
      reason: refusal?.reason ?? null,
      agent: { ...request.agent, ...(agent ? { crmUserId: agent.crmUserId, extension: agent.extension } : {}) },
      crmUserId: agent?.crmUserId,
      to: normalized.to,
      legB: number?.digits ?? null,
      prefix: request.prefix ?? null,
      lead: request.lead ? { id: request.lead.id } : null,
      customData: normalized.customData,
      pbx: null,
      outcome: emptyOutcome(),
      events: [{ at, state: 'accepted' }, refusal ? { at, state: 'rejected', detail: refusal.reason } : { at, state: 'dispatching' }],
      source: input.source,
      idempotencyKey,
      duplicate: false,
      createdAt: at,
      updatedAt: at,
      requestHash: hash,
      attempt: refusal ? 0 : 1,
      reservedBy: randomUUID(),
      expiry: callExpiry(tenant.policy, now),
    };

    if (refusal || !agent || !number) {
      const reservation = await this.deps.calls.reserve(call);
      if (!reservation.reserved) return this.replay(reservation.existing, hash, tenant, agent, number);
      this.deps.logger.info('Call refused', { callId, reason: call.reason, to: maskNumber(call.to) });
      return { kind: 'refused', status: 422, code: call.reason!, detail: refusal!.detail, call: toCallResource(call) };
    }

    const [reserved, admittedCaps] = await Promise.allSettled([
      this.deps.calls.reserve(call),
      this.deps.caps.admit(tenant.policy, this.capRequest(tenant, callId, agent, number)),
    ]);
    if (reserved.status === 'rejected' || admittedCaps.status === 'rejected') {
      // The store failed before the GET: nothing was sent, and the caller gets a 503 to retry. The
      // reservation may be in the table all the same (a write that landed though its answer was lost).
      if (admittedCaps.status === 'fulfilled') await this.bestEffort('release the caps', admittedCaps.value.release);
      if (reserved.status === 'rejected' || reserved.value.reserved) await this.giveBack(call);
      throw reserved.status === 'rejected' ? reserved.reason : (admittedCaps as PromiseRejectedResult).reason;
    }
    const reservation = reserved.value;
    const caps = admittedCaps.value;
    if (!reservation.reserved) {
      // Our cap entries carry the same call id as the winner's, so they cost nothing; but a lock
      // taken after the winner let go would block the agent until its lease ends.
      if (reservation.existing.state !== 'dispatching') await caps.release();
      return this.replay(reservation.existing, hash, tenant, agent, number);
    }
    this.deps.faultHook?.('after_reserve');
    if (caps.refusal) {
      const [notSent] = await Promise.all([
        this.deps.calls.transition(tenant.tenantId, callId, {
          from: ['dispatching'],
          to: 'not_sent',
          attempt: call.attempt,
          changes: { reason: caps.refusal.code },
          detail: caps.refusal.code,
        }),
        caps.release(),
      ]);
      return capRefused(caps.refusal, notSent ? toCallResource(notSent) : undefined);
    }
    return this.dispatch(tenant, call, agent, caps.release);
  }

  /**
   * Moves our own reservation, if it is in the table, from `dispatching` to `not_sent`, so that a
   * retry with the same key may dial: nothing was sent. Conditioned on this invocation's token, so it
   * can never touch a concurrent winner's reservation, which may be dialling. If the store still
   * fails, the call stays `dispatching` and the reconciler flags it: a lost call, never a second ring.
   */
  private async giveBack(call: StoredCall): Promise<void> {
    await this.bestEffort('give back the reservation', () =>
      this.deps.calls.transition(call.tenantId, call.callId, {
        from: ['dispatching'],
        to: 'not_sent',
        attempt: call.attempt,
        reservedBy: call.reservedBy,
        changes: { reason: 'store_unavailable' },
        detail: 'store_unavailable',
      }),
    );
  }

  private async bestEffort(what: string, write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
    } catch (error) {
      this.deps.logger.warn(`Could not ${what} after a store fault`, { error: error instanceof Error ? error.name : 'unknown' });
    }
  }

  /**
   * The idempotency key of a keyless request: the one of the window it falls into, or, when the
   * window of its subject has closed (or never opened), a new key that opens one from now. The
   * window slides with the requests' own times, not with the clock's minutes.
   */
  private async keyOfWindow(input: PlaceCallInput, subject: string, nowMs: number): Promise<string> {
    const { tenantId } = input.tenant;
    const windowSec = input.dedupeWindowSec ?? input.tenant.policy.dedupeWindowSec;
    const claim = await this.deps.windows.claim(tenantId, subject, windowIdempotencyKey(subject, nowMs), nowMs, windowSec * 1000);
    if (!input.delivery) return claim.key;
    // The first copy of a delivery binds it to the key it resolved to; later copies take that key
    // whatever the content window says by then (closed, or reopened by another request).
    const bound = await this.deps.windows.claim(
      tenantId,
      `delivery#${input.delivery.id}`,
      claim.key,
      nowMs,
      input.delivery.validForSec * 1000,
    );
    return bound.key;
  }

  /**
   * The agent, or 'incomplete' for a stored agent that does not pass its schema (written around the API, e.g.
   * without an extension): a refusal the operator can act on, not a 500.
   */
  private async findAgent(tenantId: string, ref: CallRequest['agent']): Promise<Agent | undefined | 'incomplete'> {
    try {
      return await this.deps.agents.find(tenantId, ref);
    } catch (error) {
      if (error instanceof CorruptItemError) {
        this.deps.logger.warn('Agent record does not match its schema', { tenantId });
        return 'incomplete';
      }
      throw error;
    }
  }

  private refusalOf(tenant: Tenant, agent: Agent | undefined, number: NormalizedNumber | undefined, now: Date) {
    if (!agent) return { reason: 'agent_not_found' as RejectionReason, detail: 'No agent of this tenant matches the request.' };
    if (!number)
      return { reason: 'invalid_number' as RejectionReason, detail: 'The destination is not a valid phone number for its country.' };
    const policy = checkDestination(number, tenant.policy, tenant.defaultCountry) ?? checkCallingHours(number, tenant.policy, now);
    return policy ? { reason: policy.code as RejectionReason, detail: policy.detail } : undefined;
  }

  private capRequest(tenant: Tenant, callId: string, agent: Agent, number: NormalizedNumber) {
    const timeoutMs = tenant.pbx.timeoutMs ?? this.deps.pbxTimeoutMs;
    return {
      tenantId: tenant.tenantId,
      callId,
      crmUserId: agent.crmUserId,
      destination: number.digits,
      leaseSec: Math.ceil(timeoutMs / 1000) + 5,
    };
  }

  /** A second delivery of a key: answer from the ledger; dial again only after `not_sent`. */
  private async replay(
    existing: StoredCall,
    hash: string,
    tenant: Tenant,
    agent: Agent | undefined,
    number: NormalizedNumber | undefined,
  ): Promise<PlaceCallOutcome> {
    if (existing.requestHash !== hash) {
      return {
        kind: 'refused',
        status: 409,
        code: 'idempotency_key_reused',
        detail: 'This idempotency key was used for a different request.',
      };
    }
    if (existing.state === 'not_sent' && agent && number) return this.retryNotSent(existing, tenant, agent, number);
    const call = toCallResource(existing, true);
    switch (existing.state) {
      case 'rejected':
        return { kind: 'refused', status: 422, code: existing.reason ?? 'rejected', detail: 'This request was refused before.', call };
      case 'not_sent':
        return {
          kind: 'refused',
          status: existing.reason?.endsWith('rate_limited') || existing.reason === 'agent_busy' ? 429 : 503,
          code: existing.reason ?? 'pbx_unreachable',
          detail: 'The call has not been sent yet.',
          retryAfterSec: NOT_SENT_RETRY_AFTER_SEC,
          call,
        };
      case 'accepted':
      case 'dispatching':
      case 'unknown':
        return { kind: 'call', status: 202, call };
      default:
        return { kind: 'call', status: 200, call };
    }
  }

  private async retryNotSent(existing: StoredCall, tenant: Tenant, agent: Agent, number: NormalizedNumber): Promise<PlaceCallOutcome> {
    const caps = await this.deps.caps.admit(tenant.policy, this.capRequest(tenant, existing.callId, agent, number));
    if (caps.refusal) {
      await caps.release();
      return capRefused(caps.refusal, toCallResource(existing, true));
    }
    let claimed: StoredCall | undefined;
    try {
      claimed = await this.deps.calls.redispatch(tenant.tenantId, existing.callId, existing.requestHash, existing.attempt);
    } catch (error) {
      // Nothing was sent: give the agent back now rather than at the end of the lease, and let the
      // error answer 503 (a retry may dial, from `not_sent`, or finds `dispatching` if the claim landed).
      await caps.release().catch(() => undefined);
      throw error;
    }
    if (!claimed) {
      // Another retry claimed it first: it is that one's to send.
      const current = await this.deps.calls.get(tenant.tenantId, existing.callId);
      if (current?.state !== 'dispatching') await caps.release();
      return { kind: 'call', status: 202, call: toCallResource(current ?? existing, true) };
    }
    return this.dispatch(tenant, claimed, agent, caps.release);
  }

  /** A write after the GET failed: worth a warning (the reconciler or a lease repairs it), never an error answer. */
  private warnAfterDial(message: string, call: StoredCall, error: unknown) {
    this.deps.logger.warn(message, {
      callId: call.callId,
      attempt: call.attempt,
      errorName: error instanceof Error ? error.name : typeof error,
      storeUnavailable: isStoreUnavailable(error),
    });
  }

  /** The one GET, then its answer into the ledger. Called only by the holder of `dispatching`. */
  private async dispatch(tenant: Tenant, call: StoredCall, agent: Agent, releaseLock: () => Promise<void>): Promise<PlaceCallOutcome> {
    // The same builders as the length check before the reservation: what was measured is what is sent.
    const settings = pbxSettingsOf(tenant, this.deps.pbxTimeoutMs);
    const query = dialQueryOf({ callId: call.callId, customData: call.customData, leadId: call.lead?.id });
    let outcome: DialOutcome;
    try {
      outcome = await this.deps.pbx.dial(settings, { legA: agent.extension, legB: call.legB!, prefix: call.prefix ?? undefined, query });
    } catch (error) {
      // The client refuses bad settings before any I/O: nothing left, so the ledger must say so.
      if (!(error instanceof PbxError)) throw error;
      outcome = { kind: 'not_sent', code: 'invalid_pbx_request', detail: error.message, latencyMs: 0 };
    }
    this.deps.faultHook?.('after_dial');
    this.deps.metrics?.pbxAnswer(outcome.kind, outcome.latencyMs);
    const recorded = this.recordOf(outcome);
    // From here on the GET has been sent: a failing write must neither become an error answer (the
    // caller would retry) nor lose the call. Each write is settled on its own, none cancels another.
    const [transitioned, released, linked] = await Promise.allSettled([
      this.deps.calls.transition(tenant.tenantId, call.callId, {
        from: ['dispatching'],
        to: recorded.state,
        attempt: call.attempt,
        changes: { reason: recorded.reason, pbx: recorded.pbx },
        detail: recorded.detail,
      }),
      releaseLock(),
      outcome.kind === 'accepted'
        ? this.deps.calls.linkPbxUniqueId(tenant.tenantId, outcome.uniqueId, call.callId, call.expiry?.full)
        : undefined,
    ]);
    this.deps.logger.info('Call dispatched', {
      callId: call.callId,
      outcome: outcome.kind,
      state: recorded.state,
      to: maskNumber(call.to),
      pbxLatencyMs: Math.round(outcome.latencyMs),
      attempt: call.attempt,
    });
    if (released.status === 'rejected') {
      this.warnAfterDial('Agent lock not released: its lease frees the agent', call, released.reason);
    }
    if (linked.status === 'rejected') {
      this.warnAfterDial("PBX unique_id not linked: the PBX's events still find the call by its call id", call, linked.reason);
    }
    if (transitioned.status === 'rejected') {
      // The call item says `dispatching` (written before the GET), so it stays findable and the
      // reconciler settles it from the PBX's CDRs; a retry of the key is answered 202 and never dials.
      this.warnAfterDial("The PBX's answer was not recorded: the call stays dispatching for the reconciler", call, transitioned.reason);
      return { kind: 'call', status: 202, call: toCallResource(call) };
    }
    let final = transitioned.value;
    if (!final) {
      // A PBX webhook moved the call on before we wrote the answer: keep its state, add the PBX's ids.
      try {
        if (recorded.pbx) await this.deps.calls.patch(tenant.tenantId, call.callId, { pbx: recorded.pbx });
        final = await this.deps.calls.get(tenant.tenantId, call.callId);
      } catch (error) {
        this.warnAfterDial('Call moved on by a PBX event; reading it back failed', call, error);
      }
      // Unreadable for now: answer what is known for sure, that the call was sent and is in flight.
      if (!final) return { kind: 'call', status: 202, call: toCallResource(call) };
    }
    const resource = toCallResource(final);
    switch (outcome.kind) {
      case 'accepted':
        return { kind: 'call', status: 201, call: resource };
      case 'unknown':
        return { kind: 'call', status: 202, call: resource };
      case 'refused':
        return {
          kind: 'refused',
          status: 422,
          code: 'pbx_rejected',
          detail: `The PBX refused the call: ${outcome.message}`,
          call: resource,
        };
      case 'not_allowlisted':
        return {
          kind: 'refused',
          status: 422,
          code: 'pbx_not_allowlisted',
          detail: "The PBX answered 404, its answer to an address outside its allowlist: add this service's egress IP to the PBX's IP ACL.",
          call: resource,
        };
      case 'not_sent':
        return {
          kind: 'refused',
          status: 503,
          code: 'pbx_unreachable',
          detail: `The PBX could not be reached (${outcome.code}); nothing was sent. A retry with the same key may dial.`,
          retryAfterSec: NOT_SENT_RETRY_AFTER_SEC,
          call: resource,
        };
    }
  }

  private recordOf(outcome: DialOutcome): { state: StoredCall['state']; reason: string | null; pbx: StoredCall['pbx']; detail?: string } {
    switch (outcome.kind) {
      case 'accepted':
        return {
          state: 'dialing',
          reason: null,
          pbx: { uniqueId: outcome.uniqueId, message: outcome.message, host: outcome.pbxHost || null },
        };
      case 'refused':
        return {
          state: 'rejected',
          reason: 'pbx_rejected',
          pbx: { uniqueId: outcome.uniqueId ?? null, message: outcome.message, host: outcome.pbxHost ?? null },
          detail: outcome.message,
        };
      case 'not_allowlisted':
        return { state: 'rejected', reason: 'pbx_not_allowlisted', pbx: null, detail: 'HTTP 404' };
      case 'not_sent':
        return { state: 'not_sent', reason: 'pbx_unreachable', pbx: null, detail: outcome.code };
      case 'unknown':
        return {
          state: 'unknown',
          reason: `pbx_${outcome.code}`,
          pbx: null,
          detail: outcome.httpStatus ? `${outcome.code} (HTTP ${outcome.httpStatus})` : outcome.code,
        };
    }
  }
}
