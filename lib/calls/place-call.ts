import { randomUUID } from 'node:crypto';
import { callIdFor, dedupeSubject, requestHash } from './request';
import { systemClock, type Clock } from '../time/clock';
import { CallDispatch } from './dispatch';
import { assertDialUrlFits } from './dial-url';
import { capRefused, doNotCallRefused, type PlaceCallOutcome } from './outcome';
import { TeamRouter } from './route-team';
import { namedRequest, readAsk, type CallAsk } from './place/ask';
import { bestEffort, type PlaceCallDeps, type PlaceCallInput, type PlaceContext } from './place/context';
import { dialAgent } from './place/dial-agent';
import { dialTeam } from './place/dial-team';
import { keyOfWindow } from './place/keyless';
import { planCall, type CallPlan } from './place/plan';
import { keepNotSent, refuseCall } from './place/refuse';
import { agentOf, resolveTarget, type Found } from './place/resolve';
import { scheduleCall } from './place/waiting';
import type { AgentAdmission } from '../policy/caps';

export type { PlaceCallOutcome } from './outcome';
export type { FaultPoint } from './dispatch';
export type { PlaceCallDeps, PlaceCallInput } from './place/context';

/** The longest extension a team's calls may carry in their URL, for the length check before a member is chosen. */
const longestExtension = (members: { extension: string }[]) =>
  members.reduce((a, m) => (m.extension.length > a.length ? m.extension : a), '');

/**
 * The call request use case: the at-most-once ledger of docs/design.md around one Click2Call GET.
 *
 * In steps: the request is read (lib/calls/place/ask.ts, no I/O); its agent or team is resolved beside the tenant's cap
 * (resolve.ts, the first stage of DynamoDB requests); a keyless request finds its key (keyless.ts); then a plan is
 * computed with no I/O (plan.ts: refuse, keep not sent, schedule, dial an agent, dial a team) and carried out by its
 * one executor. A dial's reservation is written straight in `dispatching`: the checks that could refuse the call ran
 * before it, so the winner of that one conditional put is the only one who may send.
 *
 * A team call takes its agent first (the router's conditional take), then reserves the call for that agent; a
 * call that must wait (a time asked for, calling hours closed with defer, no agent free with a wait allowed) is
 * reserved in `scheduled` or `queued` instead, and only the scheduler's claim moves it on (lib/calls/dispatch-due.ts).
 */
export class PlaceCall {
  private readonly now: Clock;
  private readonly ctx: PlaceContext;

  constructor(private readonly deps: PlaceCallDeps) {
    this.now = deps.now ?? systemClock;
    const router = deps.presence
      ? new TeamRouter({ agents: deps.agents, presence: deps.presence, caps: deps.caps, now: () => this.now().getTime() })
      : undefined;
    this.ctx = {
      deps,
      sender: new CallDispatch(deps),
      router: () => {
        if (!router) throw new Error('PlaceCall was built without agent presence: team calls need it');
        return router;
      },
    };
  }

  async execute(input: PlaceCallInput): Promise<PlaceCallOutcome> {
    const outcome = await this.decide(input);
    const state = outcome.call?.duplicate ? 'duplicate' : (outcome.call?.state ?? 'refused');
    this.deps.metrics?.callOutcome(state, outcome.kind === 'refused' ? outcome.code : null, input.source);
    return outcome;
  }

  private async decide(input: PlaceCallInput): Promise<PlaceCallOutcome> {
    const now = this.now();
    const ask = readAsk(input, now);
    // Every request counts against the tenant's per-second cap before anything is written, refused ones included: a
    // key holder or a webhook sender cannot fill the table with refusals. Copies of one request count once.
    const resolved = await resolveTarget(this.ctx, input.tenant, ask);
    if (resolved.kind === 'capped') return capRefused(resolved.refusal);
    if (resolved.kind === 'do_not_call') return doNotCallRefused();
    const { found, taken } = resolved;
    await this.assertFits(input, ask, found, taken);
    const named = namedRequest(ask, agentOf(found), input.idempotencyKey);
    const idempotencyKey = input.idempotencyKey ?? (await keyOfWindow(this.ctx, input, dedupeSubject(named), now.getTime()));
    const plan = planCall({ input, ask, found, taken, idempotencyKey, hash: requestHash(named), now, reservedBy: randomUUID() });
    // Every later line of this request carries the call id (the HTTP stack resets keys per request).
    this.deps.logger.appendKeys?.({ callId: plan.call.callId });
    return this.carryOut(plan);
  }

  /**
   * A request whose Click2Call URL would be too long is the caller's mistake: refused before anything is written (an
   * agent taken in the first stage is given back). Every call id has the same length, so the subject's stands in for a
   * keyless one.
   */
  private async assertFits(input: PlaceCallInput, ask: CallAsk, found: Found, taken: AgentAdmission | undefined): Promise<void> {
    try {
      assertDialUrlFits(input.tenant, {
        callId: callIdFor(input.tenant.tenantId, input.idempotencyKey ?? ask.subject),
        request: input.request,
        legA: Array.isArray(found) ? longestExtension(found) : agentOf(found)?.extension,
        legB: ask.number?.digits,
      });
    } catch (error) {
      if (taken && !taken.refusal) await bestEffort(this.ctx, 'give the agent back', taken.giveBack);
      throw error;
    }
  }

  /** Each plan has its one executor (lib/calls/place/). */
  private carryOut(plan: CallPlan): Promise<PlaceCallOutcome> {
    switch (plan.kind) {
      case 'refuse':
        return refuseCall(this.ctx, plan);
      case 'keep_not_sent':
        return keepNotSent(this.ctx, plan);
      case 'schedule':
        return scheduleCall(this.ctx, plan);
      case 'dial_agent':
        return dialAgent(this.ctx, plan);
      case 'dial_team':
        return dialTeam(this.ctx, plan);
    }
  }
}
