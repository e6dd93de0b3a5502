import { randomUUID } from 'node:crypto';
import type { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { DialOutcome, DialRequest, PbxSettings } from '../pbx/click2call';
import type { CallMetrics } from '../observability/metrics';
import type { AgentAdmission, CallCaps, CapAdmission } from '../policy/caps';
import { checkCallingHours, checkDestination, nextCallingOpening } from '../policy/destination';
import { maskNumber, normalizeNumber, type NormalizedNumber } from '../policy/phone';
import type { Agent, AgentRef } from '../model/agent';
import type { AgentRepository, TeamMember } from '../store/agents';
import type { AgentPresenceRepository } from '../store/agent-presence';
import type { DedupeWindowRepository } from '../store/dedupe-windows';
import { toCallResource } from './resource';
import type { CallRepository, StoredCall } from '../store/calls';
import { CorruptItemError } from '../store/errors';
import type { Tenant } from '../model/tenant';
import { invalidRequest } from '../model/domain-error';
import { assertDialUrlFits } from './dial-url';
import { emptyOutcome, type RejectionReason, type Routing, type Schedule } from '../model/call';
import type { CallPolicy } from '../model/call-policy';
import { callExpiry } from '../policy/retention';
import {
  callIdFor,
  dedupeSubject,
  MAX_SCHEDULE_AHEAD_DAYS,
  requestHash,
  windowIdempotencyKey,
  type CallRequest,
  type CallTarget,
  type NormalizedCallRequest,
} from './request';
import { systemClock, type Clock } from '../time/clock';
import { CallDispatch, type FaultPoint } from './dispatch';
import { capRefused, NOT_SENT_RETRY_AFTER_SEC, type PlaceCallOutcome } from './outcome';
import { TeamRouter } from './route-team';

export type { PlaceCallOutcome } from './outcome';
export type { FaultPoint } from './dispatch';

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
  /** A webhook source's own choice for calls outside the calling hours (else the tenant's policy). */
  outsideCallingHours?: CallPolicy['outsideCallingHours'];
  /** Who asked: `api`, or a webhook source. */
  source: string;
}

type Logger = Pick<PowertoolsLogger, 'info' | 'warn'> & Partial<Pick<PowertoolsLogger, 'appendKeys'>>;

export interface PlaceCallDeps {
  calls: CallRepository;
  agents: AgentRepository;
  caps: CallCaps;
  /** Agents' presence: needed by team calls only (the router's reads and takes). */
  presence?: AgentPresenceRepository;
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

/** What a call needs of its agent: who, and the extension its Click2Call URL rings first. */
type CallAgent = Pick<Agent, 'crmUserId' | 'extension'>;

/** A call's refusal before anything was sent: the reason stored with it and the words of the answer. */
interface Refusal {
  reason: RejectionReason;
  detail: string;
}

/** Retry-After of a 429 waiting_limit: slots free up as the scheduler dials waiting calls, or their waits run out. */
const WAITING_LIMIT_RETRY_AFTER_SEC = 60;

/** The longest extension a team's calls may carry in their URL, for the length check before a member is chosen. */
const longestExtension = (members: TeamMember[]) => members.reduce((a, m) => (m.extension.length > a.length ? m.extension : a), '');

/**
 * The call request use case: the at-most-once ledger of docs/design.md around one Click2Call GET.
 *
 * Sequential round trips before the GET: the agent read (tenant and key come cached from auth),
 * then one parallel group of conditional writes: the reservation and the caps. The reservation is
 * written straight in `dispatching`: the checks that could refuse the call ran before it, so the
 * winner of that one conditional put is the only one who may send.
 *
 * A team call takes its agent first (the router's conditional take), then reserves the call for that agent; a
 * call that must wait (a time asked for, calling hours closed with defer, no agent free with a wait allowed) is
 * reserved in `scheduled` or `queued` instead, and only the scheduler's claim moves it on (lib/calls/dispatch-due.ts).
 */
export class PlaceCall {
  private readonly now: Clock;
  private readonly sender: CallDispatch;
  private readonly router?: TeamRouter;

  constructor(private readonly deps: PlaceCallDeps) {
    this.now = deps.now ?? systemClock;
    this.sender = new CallDispatch(deps);
    if (deps.presence) {
      this.router = new TeamRouter({ agents: deps.agents, presence: deps.presence, caps: deps.caps, now: () => this.now().getTime() });
    }
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
    const target: CallTarget = request.team !== undefined ? { team: request.team } : request.agent!;
    const notBefore = this.notBeforeOf(request, now);
    const normalized: NormalizedCallRequest = {
      agent: target,
      to: number?.e164 ?? request.to.trim(),
      prefix: request.prefix,
      leadId: request.lead?.id,
      customData: request.customData ?? {},
      notBefore: request.notBefore === undefined ? undefined : new Date(request.notBefore).toISOString(),
      maxWaitSec: request.maxWaitSec,
    };
    const subject = dedupeSubject(normalized);

    // Every request counts against the tenant's per-second cap before anything is written, refused
    // ones included: a key holder or a webhook sender cannot fill the table with refusals. Copies
    // of one request count once (the counter is a set of request identities).
    const identity = input.idempotencyKey ?? `auto:${subject}`;
    const outsideHours = input.outsideCallingHours ?? tenant.policy.outsideCallingHours;
    const numberTiming = number
      ? (this.numberRefusal(tenant, number) ?? this.whenToCall(tenant, number, now, notBefore, outsideHours))
      : undefined;
    let found: CallAgent | TeamMember[] | 'incomplete' | undefined;
    let taken: AgentAdmission | undefined;
    const dialsNow = numberTiming !== undefined && !('reason' in numberTiming) && !numberTiming.schedule && !numberTiming.refusal;
    // The tenant's markers in the work directory, for the lists the reservation will put the call on: beside the first
    // stage, so they add no round trip, and cached, so a warm container sends nothing (docs/design.md, "Work lists").
    const directory = this.deps.calls.work.touch(tenant.tenantId, dialsNow ? ['notify', 'pending'] : ['notify']).catch(() => undefined);
    if ('crmUserId' in target && dialsNow) {
      // A call that will dial now and names its agent by id: the agent's lock, its per-minute cap and its
      // extension in one write, beside the tenant's cap (docs/design.md, "Requests per call").
      const [take, admitted] = await Promise.all([
        this.deps.caps.takeAgent(tenant.policy, {
          tenantId: tenant.tenantId,
          crmUserId: target.crmUserId,
          holder: identity,
          member: identity,
          leaseSec: this.leaseSecOf(tenant),
          requireAgent: true,
        }),
        this.deps.caps.admitRequest(tenant.tenantId, tenant.policy, identity),
        directory,
      ]);
      if (admitted.refusal) {
        if (!take.refusal) await this.bestEffort('give the agent back', take.giveBack);
        return capRefused(admitted.refusal);
      }
      if (take.why === 'unknown_agent') {
        // Not on the presence item: no such agent, or one written before the item carried extensions.
        found = await this.findAgent(tenant.tenantId, target);
      } else if (take.refusal || take.extension === undefined) {
        // Busy or over its cap: the refused call is kept with the agent as the directory has it (a read on refusals only).
        found = await this.findAgent(tenant.tenantId, target);
        if (found && found !== 'incomplete' && take.refusal) taken = take;
        else if (!take.refusal) await this.bestEffort('give the agent back', take.giveBack);
      } else {
        found = { crmUserId: target.crmUserId, extension: take.extension };
        taken = take;
      }
    } else {
      const [looked, admitted] = await Promise.all([
        'team' in target ? this.deps.agents.listTeam(tenant.tenantId, target.team) : this.findAgent(tenant.tenantId, target),
        this.deps.caps.admitRequest(tenant.tenantId, tenant.policy, identity),
        directory,
      ]);
      if (admitted.refusal) return capRefused(admitted.refusal);
      found = looked;
    }
    const members = Array.isArray(found) ? found : undefined;
    const agent = found === 'incomplete' || Array.isArray(found) ? undefined : found;
    // A request whose Click2Call URL would be too long is the caller's mistake: refused before anything
    // is written. Every call id has the same length, so the subject's stands in for a keyless one.
    try {
      assertDialUrlFits(tenant, {
        callId: callIdFor(tenant.tenantId, input.idempotencyKey ?? subject),
        request,
        legA: members ? longestExtension(members) : agent?.extension,
        legB: number?.digits,
      });
    } catch (error) {
      if (taken && !taken.refusal) await this.bestEffort('give the agent back', taken.giveBack);
      throw error;
    }

    // Without a key, the request is named by the agent it resolved to: one agent named by id, e-mail or extension is
    // one subject and one request, so a copy spelt with another reference joins the same window and the same call.
    const named = input.idempotencyKey === undefined && agent ? { ...normalized, agent: { crmUserId: agent.crmUserId } } : normalized;
    const hash = requestHash(named);
    const idempotencyKey = input.idempotencyKey ?? (await this.keyOfWindow(input, dedupeSubject(named), now.getTime()));
    const callId = callIdFor(tenant.tenantId, idempotencyKey);
    // Every later line of this request carries the call id (the HTTP stack resets keys per request).
    this.deps.logger.appendKeys?.({ callId });

    const targetRefusal: Refusal | undefined =
      found === 'incomplete'
        ? INCOMPLETE_AGENT
        : members
          ? members.length === 0
            ? { reason: 'team_not_found', detail: `The team ${request.team} has no agent: PUT /v1/agents/{crmUserId} with "teams".` }
            : undefined
          : agent
            ? undefined
            : { reason: 'agent_not_found', detail: 'No agent of this tenant matches the request.' };
    const { refusal, schedule } = targetRefusal
      ? { refusal: targetRefusal, schedule: undefined }
      : number
        ? numberTiming && 'reason' in numberTiming
          ? { refusal: numberTiming, schedule: undefined }
          : (numberTiming ?? {})
        : { refusal: this.numberRefusal(tenant, number), schedule: undefined };
    const at = now.toISOString();
    const waiting = schedule ? 'scheduled' : undefined;
    const call: StoredCall = {
      callId,
      tenantId: tenant.tenantId,
      state: refusal ? 'rejected' : (waiting ?? 'dispatching'),
      reason: refusal?.reason ?? null,
      agent: 'team' in target ? {} : { ...target, ...(agent ? { crmUserId: agent.crmUserId, extension: agent.extension } : {}) },
      crmUserId: agent?.crmUserId,
      ...('team' in target
        ? { team: target.team, queue: request.maxWaitSec ? { maxWaitSec: request.maxWaitSec, since: null, until: null } : null }
        : {}),
      schedule: schedule ?? null,
      to: normalized.to,
      legB: number?.digits ?? null,
      prefix: request.prefix ?? null,
      lead: request.lead ? { id: request.lead.id } : null,
      customData: normalized.customData,
      pbx: null,
      outcome: emptyOutcome(),
      events: [
        { at, state: 'accepted' },
        refusal
          ? { at, state: 'rejected', detail: refusal.reason }
          : schedule
            ? { at, state: 'scheduled', detail: `${schedule.reason} ${schedule.notBefore}` }
            : { at, state: 'dispatching' },
      ],
      source: input.source,
      idempotencyKey,
      duplicate: false,
      createdAt: at,
      updatedAt: at,
      requestHash: hash,
      attempt: refusal || schedule ? 0 : 1,
      reservedBy: randomUUID(),
      expiry: callExpiry(tenant.policy, now),
    };

    if (refusal || !number) {
      const reservation = await this.deps.calls.reserve(call);
      if (!reservation.reserved) return this.replay(reservation.existing, hash, tenant, agent, number);
      this.deps.logger.info('Call refused', { callId, reason: call.reason, to: maskNumber(call.to) });
      return { kind: 'refused', status: 422, code: call.reason!, detail: refusal!.detail, call: toCallResource(call) };
    }
    if (schedule) {
      const refused = await this.reserveWaiting(tenant, call, hash, agent, number);
      if (refused) return refused;
      this.deps.logger.info('Call scheduled', { callId, notBefore: schedule.notBefore, why: schedule.reason });
      return { kind: 'call', status: 202, call: toCallResource(call) };
    }
    if (members) return this.placeTeamCall(tenant, call, members, number, hash);
    return this.placeAgentCall(tenant, call, agent!, number, hash, taken);
  }

  /**
   * A named agent's call: the reservation and the caps in one parallel group, then the GET. `taken`: the agent was
   * taken beside the tenant's cap already (lock, per-minute cap and extension in one write: docs/design.md,
   * "Requests per call"), so only the destination's cap is left beside the reservation.
   */
  private async placeAgentCall(
    tenant: Tenant,
    call: StoredCall,
    agent: CallAgent,
    number: NormalizedNumber,
    hash: string,
    taken?: AgentAdmission,
  ): Promise<PlaceCallOutcome> {
    const { callId } = call;
    if (taken?.refusal) {
      // The agent is busy or over its cap: the call is kept as not sent, so a retry with the key may dial.
      const notSent: StoredCall = {
        ...call,
        state: 'not_sent',
        reason: taken.refusal.code,
        events: [call.events[0]!, { at: call.createdAt, state: 'not_sent', detail: taken.refusal.code }],
      };
      const reservation = await this.deps.calls.reserve(notSent);
      if (!reservation.reserved) return this.replay(reservation.existing, hash, tenant, agent, number);
      return capRefused(taken.refusal, toCallResource(notSent));
    }
    const [reserved, admittedCaps] = await Promise.allSettled([
      this.deps.calls.reserve(call),
      taken
        ? this.destinationBeside(tenant, call, number, taken)
        : this.deps.caps.admit(tenant.policy, this.capRequest(tenant, callId, agent, number)),
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
    return this.sender.send(tenant, call, agent, caps.release);
  }

  /**
   * A team's call: the router takes a free agent in this request's own name, then the call is reserved for that
   * agent. No agent free: 429 with nothing written, or, when the request allows a wait, the call is reserved
   * `queued` for the scheduler. A lost reservation (a copy of this request won) gives the agent straight back.
   */
  private async placeTeamCall(
    tenant: Tenant,
    call: StoredCall,
    members: TeamMember[],
    number: NormalizedNumber,
    hash: string,
  ): Promise<PlaceCallOutcome> {
    const route = await this.routerOf().route({
      tenant,
      team: call.team!,
      callId: call.callId,
      holder: `${call.callId}:${call.reservedBy}`,
      destination: number.digits,
      leaseSec: this.leaseSecOf(tenant),
      members,
    });
    if (route.kind === 'capped') return capRefused(route.refusal);
    if (route.kind === 'no_team') {
      return { kind: 'refused', status: 422, code: 'team_not_found', detail: `The team ${call.team} has no agent.` };
    }
    if (route.kind === 'none_free') {
      if (!call.queue) {
        return {
          kind: 'refused',
          status: 429,
          code: 'no_agent_available',
          detail: `No agent of the team ${call.team} is free (${summary(route.routing)}). Send maxWaitSec to wait for one instead.`,
          retryAfterSec: route.retryAfterSec,
        };
      }
      const since = call.createdAt;
      const until = new Date(new Date(since).getTime() + call.queue.maxWaitSec * 1000).toISOString();
      const queued: StoredCall = {
        ...call,
        state: 'queued',
        attempt: 0,
        queue: { ...call.queue, since, until },
        routing: route.routing,
        events: [call.events[0]!, { at: since, state: 'queued', detail: `until ${until}` }],
      };
      const refused = await this.reserveWaiting(tenant, queued, hash, undefined, number);
      if (refused) return refused;
      this.deps.logger.info('Call queued', { callId: call.callId, team: call.team, until });
      return { kind: 'call', status: 202, call: toCallResource(queued) };
    }
    const agent = route.agent;
    const routed: StoredCall = {
      ...call,
      agent: { crmUserId: agent.crmUserId, extension: agent.extension },
      crmUserId: agent.crmUserId,
      routing: route.routing,
      events: [call.events[0]!, { at: call.createdAt, state: 'dispatching', detail: `agent ${agent.crmUserId}` }],
    };
    let reservation: Awaited<ReturnType<CallRepository['reserve']>>;
    try {
      reservation = await this.deps.calls.reserve(routed);
    } catch (error) {
      await this.bestEffort('release the agent', route.caps.release);
      await this.giveBack(routed);
      throw error;
    }
    if (!reservation.reserved) {
      // The lock was taken in this request's own name: giving it back can never free another's.
      await route.caps.release();
      return this.replay(reservation.existing, hash, tenant, undefined, number);
    }
    this.deps.faultHook?.('after_reserve');
    return this.sender.send(tenant, routed, agent, route.caps.release);
  }

  /**
   * Reserves a waiting call (`scheduled`, `queued`) within the tenant's `maxWaitingCalls`: a slot is taken first, in
   * the write that refreshes the tenant's due marker, and given back when the reservation turns out to be a copy's or
   * fails. A copy of a call already reserved is answered as a replay even at the limit, and never counts twice.
   * Undefined: reserved. At the limit nothing is written: 429 waiting_limit.
   */
  private async reserveWaiting(
    tenant: Tenant,
    call: StoredCall,
    hash: string,
    agent: CallAgent | undefined,
    number: NormalizedNumber,
  ): Promise<PlaceCallOutcome | undefined> {
    const { tenantId } = tenant;
    const giveBack = () => this.bestEffort('give the waiting slot back', () => this.deps.calls.work.giveWaitingSlotBack(tenantId));
    if (!(await this.deps.calls.work.takeWaitingSlot(tenantId, tenant.policy.maxWaitingCalls))) {
      const existing = await this.deps.calls.get(tenantId, call.callId);
      if (existing) return this.replay(existing, hash, tenant, agent, number);
      return {
        kind: 'refused',
        status: 429,
        code: 'waiting_limit',
        detail: `The tenant has ${tenant.policy.maxWaitingCalls} scheduled or queued calls waiting (policy maxWaitingCalls): wait for some to be dialled, or cancel some.`,
        retryAfterSec: WAITING_LIMIT_RETRY_AFTER_SEC,
      };
    }
    let reservation: Awaited<ReturnType<CallRepository['reserve']>>;
    try {
      reservation = await this.deps.calls.reserve(call);
    } catch (error) {
      await giveBack();
      throw error;
    }
    if (!reservation.reserved) {
      await giveBack();
      return this.replay(reservation.existing, hash, tenant, agent, number);
    }
    return undefined;
  }

  /** The destination's cap for a call whose agent is taken already; a refusal or a fault gives the agent back too. */
  private async destinationBeside(
    tenant: Tenant,
    call: StoredCall,
    number: NormalizedNumber,
    taken: AgentAdmission,
  ): Promise<CapAdmission> {
    let destination: Awaited<ReturnType<CallCaps['admitDestination']>>;
    try {
      destination = await this.deps.caps.admitDestination(tenant.policy, {
        tenantId: tenant.tenantId,
        callId: call.callId,
        destination: number.digits,
      });
    } catch (error) {
      await this.bestEffort('give the agent back', taken.giveBack);
      throw error;
    }
    if (!destination.refusal) return { release: taken.release };
    const refusal = destination.refusal;
    return { refusal, release: async () => void (await Promise.all([taken.giveBack(), destination.giveBack()])) };
  }

  private routerOf(): TeamRouter {
    if (!this.router) throw new Error('PlaceCall was built without agent presence: team calls need it');
    return this.router;
  }

  /** The request's `notBefore` as a time, refused when it lies too far ahead; a past time means now. */
  private notBeforeOf(request: CallRequest, now: Date): Date | undefined {
    if (request.notBefore === undefined) return undefined;
    const at = new Date(request.notBefore);
    if (at.getTime() - now.getTime() > MAX_SCHEDULE_AHEAD_DAYS * 86_400_000) {
      throw invalidRequest(`A call may be scheduled at most ${MAX_SCHEDULE_AHEAD_DAYS} days ahead.`, [
        { path: 'notBefore', message: `at most ${MAX_SCHEDULE_AHEAD_DAYS} days ahead` },
      ]);
    }
    return at.getTime() > now.getTime() ? at : undefined;
  }

  /**
   * When the call may dial: now (no schedule), at a time asked for, or at the next opening of the lead's calling
   * hours when they are closed then and the policy defers; or a refusal when they are closed and it refuses.
   */
  private whenToCall(
    tenant: Tenant,
    number: NormalizedNumber,
    now: Date,
    notBefore: Date | undefined,
    outsideHours: CallPolicy['outsideCallingHours'],
  ): { refusal?: Refusal; schedule?: Schedule } {
    const at = notBefore ?? now;
    const requested: Schedule | undefined = notBefore ? { notBefore: notBefore.toISOString(), reason: 'requested' } : undefined;
    const closed = checkCallingHours(number, tenant.policy, at);
    if (!closed) return { schedule: requested };
    if (outsideHours !== 'defer') return { refusal: { reason: 'outside_calling_hours', detail: closed.detail } };
    const opening = nextCallingOpening(number, tenant.policy, at);
    if (!opening) {
      return { refusal: { reason: 'outside_calling_hours', detail: `${closed.detail} They do not open within the next 8 days.` } };
    }
    return { schedule: { notBefore: opening.toISOString(), reason: 'calling_hours' } };
  }

  private leaseSecOf(tenant: Tenant): number {
    return Math.ceil((tenant.pbx.timeoutMs ?? this.deps.pbxTimeoutMs) / 1000) + 5;
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
  private async findAgent(tenantId: string, ref: AgentRef): Promise<Agent | undefined | 'incomplete'> {
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

  /** The number's own refusal: not a valid number, or a destination the tenant's policy does not allow. */
  private numberRefusal(tenant: Tenant, number: NormalizedNumber | undefined): Refusal | undefined {
    if (!number) return { reason: 'invalid_number', detail: 'The destination is not a valid phone number for its country.' };
    const policy = checkDestination(number, tenant.policy, tenant.defaultCountry);
    return policy ? { reason: policy.code, detail: policy.detail } : undefined;
  }

  private capRequest(tenant: Tenant, callId: string, agent: CallAgent, number: NormalizedNumber) {
    return { tenantId: tenant.tenantId, callId, crmUserId: agent.crmUserId, destination: number.digits, leaseSec: this.leaseSecOf(tenant) };
  }

  /** A second delivery of a key: answer from the ledger; dial again only after `not_sent`. */
  private async replay(
    existing: StoredCall,
    hash: string,
    tenant: Tenant,
    agent: CallAgent | undefined,
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
    if (existing.state === 'not_sent' && number && existing.team) return this.retryTeamNotSent(existing, tenant, number);
    if (existing.state === 'not_sent' && agent && number) return this.retryNotSent(existing, tenant, agent, number);
    const call = toCallResource(existing, true);
    switch (existing.state) {
      case 'rejected':
        return { kind: 'refused', status: 422, code: existing.reason ?? 'rejected', detail: 'This request was refused before.', call };
      case 'not_sent':
        return {
          kind: 'refused',
          status:
            existing.reason?.endsWith('rate_limited') || existing.reason === 'agent_busy' || existing.reason === 'no_agent_available'
              ? 429
              : 503,
          code: existing.reason ?? 'pbx_unreachable',
          detail: 'The call has not been sent yet.',
          retryAfterSec: NOT_SENT_RETRY_AFTER_SEC,
          call,
        };
      case 'accepted':
      case 'scheduled':
      case 'queued':
      case 'dispatching':
      case 'unknown':
        return { kind: 'call', status: 202, call };
      default:
        return { kind: 'call', status: 200, call };
    }
  }

  private async retryNotSent(existing: StoredCall, tenant: Tenant, agent: CallAgent, number: NormalizedNumber): Promise<PlaceCallOutcome> {
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
    return this.sender.send(tenant, claimed, agent, caps.release);
  }

  /**
   * A retry of a team call that was never sent: routed again (the agent of the first attempt may be busy by now),
   * then the same conditional move out of `not_sent` as a named call's retry, carrying the new agent.
   */
  private async retryTeamNotSent(existing: StoredCall, tenant: Tenant, number: NormalizedNumber): Promise<PlaceCallOutcome> {
    const holder = `${existing.callId}:${randomUUID()}`;
    const route = await this.routerOf().route({
      tenant,
      team: existing.team!,
      callId: existing.callId,
      holder,
      destination: number.digits,
      leaseSec: this.leaseSecOf(tenant),
      attempts: existing.routing?.attempts,
    });
    if (route.kind === 'capped') return capRefused(route.refusal, toCallResource(existing, true));
    if (route.kind !== 'routed') {
      return {
        kind: 'refused',
        status: route.kind === 'no_team' ? 422 : 429,
        code: route.kind === 'no_team' ? 'team_not_found' : 'no_agent_available',
        detail: `No agent of the team ${existing.team} is free.`,
        retryAfterSec: route.kind === 'none_free' ? route.retryAfterSec : undefined,
        call: toCallResource(existing, true),
      };
    }
    const agent = route.agent;
    let claimed: StoredCall | undefined;
    try {
      claimed = await this.deps.calls.redispatch(tenant.tenantId, existing.callId, existing.requestHash, existing.attempt, {
        agent: { crmUserId: agent.crmUserId, extension: agent.extension },
        crmUserId: agent.crmUserId,
        routing: route.routing,
        createdAt: existing.createdAt,
      });
    } catch (error) {
      await route.caps.release().catch(() => undefined);
      throw error;
    }
    if (!claimed) {
      await route.caps.release();
      const current = await this.deps.calls.get(tenant.tenantId, existing.callId);
      return { kind: 'call', status: 202, call: toCallResource(current ?? existing, true) };
    }
    return this.sender.send(tenant, claimed, agent, route.caps.release);
  }
}

/** "a: on_call, b: away" for the words of a 429. */
function summary(routing: Routing): string {
  return routing.passedOver.map((p) => `${p.crmUserId}: ${p.reason}`).join(', ') || 'none';
}
