import { randomUUID } from 'node:crypto';
import type { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { Agent } from '../model/agent';
import type { CallState, Queue, WaitingState } from '../model/call';
import type { Tenant } from '../model/tenant';
import type { CallCaps, CapAdmission } from '../policy/caps';
import { checkCallingHours, checkDestination, nextCallingOpening } from '../policy/destination';
import { normalizeNumber, type NormalizedNumber } from '../policy/phone';
import type { AgentRepository } from '../store/agents';
import type { AgentPresenceRepository } from '../store/agent-presence';
import type { CallRepository, StoredCall } from '../store/calls';
import type { DoNotCallRepository } from '../store/do-not-call';
import { CorruptItemError } from '../store/errors';
import type { FairBounds } from '../store/work-queues';
import { systemClock, type Clock } from '../time/clock';
import type { CallDispatch } from './dispatch';
import { TeamRouter } from './route-team';

/** How long a scheduled call that finds no agent free at its time waits in the queue, when the request set no wait. */
export const DEFAULT_WAIT_SEC = 300;
/**
 * Due calls read per run: 2,000 in all, each tenant's share of them among the tenants with due calls (at least 4, at
 * most 200), from at most 500 tenants (the next run starts with the tenants this one left). A run that has more
 * leaves the rest to the next. One tenant's full queue therefore takes at most its share of a run, never another's.
 */
export const DUE_BOUNDS: FairBounds = { total: 2000, perTenant: { min: 4, max: 200 }, maxTenants: 500 };
/** Groups (one agent's or one team's calls) served side by side. */
const CONCURRENCY = 8;

/** Points where a test may kill the scheduler, to prove that a crash never leads to a second dial. */
export type SchedulerFaultPoint = 'after_claim';

export interface DispatchDueDeps {
  /** The scheduler's due list and claim (`waiting`), and the transitions that end a waiting call (`ledger`). */
  calls: Pick<CallRepository, 'ledger' | 'waiting'>;
  agents: AgentRepository;
  presence: AgentPresenceRepository;
  caps: CallCaps;
  sender: Pick<CallDispatch, 'send'>;
  getTenant: (tenantId: string) => Promise<Tenant | undefined>;
  /** The tenant's do-not-call list, read again at dispatch: a number listed while its call waited is never dialled. */
  dnc: Pick<DoNotCallRepository, 'isListed'>;
  pbxTimeoutMs: number;
  logger: Pick<PowertoolsLogger, 'info' | 'warn'>;
  now?: Clock;
  faultHook?: (point: SchedulerFaultPoint) => void;
  /** How much one run reads (default DUE_BOUNDS). */
  bounds?: FairBounds;
}

/** What one run did, call by call. */
export interface DispatchReport {
  /** Due calls looked at. */
  due: number;
  /** Claimed and handed to the PBX (whatever the PBX answered). */
  sent: number;
  /** Scheduled calls that found nobody free at their time: now `queued`. */
  queued: number;
  /** Still waiting: no agent free yet, or a cap that will lift. */
  waiting: number;
  /** Moved to the next opening of the lead's calling hours. */
  rescheduled: number;
  /** Ended without a GET: refused by the checks at dispatch, or the wait ran out. */
  ended: number;
  /** Claimed by someone else first (another run, a cancel): nothing sent by this run. */
  lost: number;
  /** Left for the next run after an error (the call stays waiting; nothing was sent). */
  failed: number;
}

type Step = keyof Omit<DispatchReport, 'due'>;

/**
 * The scheduler: dispatches due `scheduled` calls and `queued` calls whose team has an agent free, at most once.
 *
 * Every check of the request path runs again at dispatch (tenant, number, destination, do-not-call list, calling hours,
 * agent, caps),
 * then the call is claimed: one conditional update from the waiting state it was read in, at the attempt it was
 * read at, to `dispatching`. Only the claim's winner sends the GET, so two runs that read the same call, or a
 * cancel racing a run, end one way: a run that loses the claim gives back the agent it took and sends nothing. A
 * run that crashes after its claim leaves the call `dispatching`, where no claim can take it again: the reconciler
 * settles it, as it does a request that crashed after its reservation (docs/design.md).
 */
export class DispatchDue {
  private readonly now: Clock;
  private readonly router: TeamRouter;

  constructor(private readonly deps: DispatchDueDeps) {
    this.now = deps.now ?? systemClock;
    this.router = new TeamRouter({ agents: deps.agents, presence: deps.presence, caps: deps.caps, now: () => this.now().getTime() });
  }

  async runOnce(): Promise<DispatchReport> {
    const report: DispatchReport = { due: 0, sent: 0, queued: 0, waiting: 0, rescheduled: 0, ended: 0, lost: 0, failed: 0 };
    // Round robin by tenant: every tenant's earliest due call comes before any tenant's second (lib/store/work-queues.ts).
    const due = await this.deps.calls.waiting.listDue(this.now().toISOString(), this.deps.bounds ?? DUE_BOUNDS);
    report.due = due.length;
    // One group per agent or team, in due order: first come, first served within a team; teams side by side, in the
    // order of the fair list, so that each tenant's first group starts before any tenant's second.
    const groups = new Map<string, StoredCall[]>();
    for (const call of due) {
      const key = `${call.tenantId}#${call.team ? `team#${call.team}` : `agent#${call.crmUserId ?? JSON.stringify(call.agent)}`}`;
      groups.set(key, [...(groups.get(key) ?? []), call]);
    }
    const tenants = new Map<string, Promise<Tenant | undefined>>();
    const tenantOf = (id: string) => {
      if (!tenants.has(id)) tenants.set(id, this.deps.getTenant(id));
      return tenants.get(id)!;
    };
    const queue = [...groups.values()];
    const worker = async () => {
      for (let group = queue.shift(); group; group = queue.shift()) {
        let full = false;
        for (const call of group) {
          let step: Step;
          try {
            step = await this.dispatchOne(call, await tenantOf(call.tenantId), full);
          } catch (error) {
            step = 'failed';
            this.deps.logger.warn('Scheduler could not dispatch a due call: it stays waiting', {
              callId: call.callId,
              errorName: error instanceof Error ? error.name : typeof error,
            });
          }
          report[step]++;
          // Nobody of this team (or this agent) is free: the calls behind only check whether their wait ran out.
          if (step === 'waiting' || step === 'queued') full = true;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, worker));
    if (report.due > 0) this.deps.logger.info('Scheduler run', { ...report });
    return report;
  }

  /** One due call: checked again, then routed, claimed and sent; or moved on without a GET. */
  private async dispatchOne(call: StoredCall, tenant: Tenant | undefined, full: boolean): Promise<Step> {
    const state = call.state as WaitingState;
    const now = this.now();
    if (!tenant || tenant.status !== 'active') return this.end(call, 'not_sent', 'tenant_inactive');
    if (state === 'queued' && call.queue?.until && call.queue.until <= now.toISOString()) {
      return this.end(call, 'not_sent', 'no_agent_available');
    }
    if (full) return 'waiting';

    const number = normalizeNumber(call.to, tenant.defaultCountry);
    if (!number) return this.end(call, 'rejected', 'invalid_number');
    const destination = checkDestination(number, tenant.policy, tenant.defaultCountry);
    if (destination) return this.end(call, 'rejected', destination.code);
    if (await this.deps.dnc.isListed(tenant.tenantId, number.e164)) return this.end(call, 'rejected', 'do_not_call');
    if (checkCallingHours(number, tenant.policy, now)) return this.outsideHours(call, tenant, number, now);

    const holder = `${call.callId}:${randomUUID()}`;
    const leaseSec = Math.ceil((tenant.pbx.timeoutMs ?? this.deps.pbxTimeoutMs) / 1000) + 5;
    let agent: Agent;
    let caps: CapAdmission;
    let routing = call.routing ?? null;
    if (call.team) {
      const route = await this.router.route({
        tenant,
        team: call.team,
        callId: call.callId,
        holder,
        destination: number.digits,
        leaseSec,
        attempts: call.routing?.attempts,
      });
      if (route.kind === 'no_team') return this.end(call, 'rejected', 'team_not_found');
      if (route.kind !== 'routed') return this.wait(call, route.routing);
      ({ agent, caps } = route);
      routing = route.routing;
    } else {
      const found = await this.agentOf(call);
      if (!found) return this.end(call, 'rejected', 'agent_not_found');
      agent = found;
      caps = await this.deps.caps.admit(tenant.policy, {
        tenantId: tenant.tenantId,
        callId: call.callId,
        crmUserId: agent.crmUserId,
        destination: number.digits,
        leaseSec,
        holder,
      });
      if (caps.refusal) {
        await caps.release();
        // Another run took the agent for this very call (its holder names the call): that run claims it, not us.
        if (caps.heldBy?.startsWith(`${call.callId}:`)) return 'lost';
        return this.wait(call, routing);
      }
    }

    let claimed: StoredCall | undefined;
    try {
      claimed = await this.deps.calls.waiting.claimWaiting(call.tenantId, call.callId, {
        from: state,
        attempt: call.attempt,
        reservedBy: holder,
        agent: { ...call.agent, crmUserId: agent.crmUserId, extension: agent.extension },
        crmUserId: agent.crmUserId,
        routing,
        createdAt: call.createdAt,
      });
    } catch (error) {
      await caps.release().catch(() => undefined);
      throw error;
    }
    if (!claimed) {
      // Cancelled, or another run claimed it: the agent was taken in this run's own name, so giving it back
      // can never free the winner's.
      await caps.release();
      return 'lost';
    }
    this.deps.faultHook?.('after_claim');
    // The call left the waiting states: its tenant's waiting slot is given back beside the GET, never before it.
    await Promise.all([this.deps.sender.send(tenant, claimed, agent, caps.release), this.deps.calls.waiting.leftWaiting(call.tenantId)]);
    return 'sent';
  }

  /** No agent (or no capacity) now: a scheduled call joins the queue, a queued one keeps waiting. */
  private async wait(call: StoredCall, routing: StoredCall['routing']): Promise<Step> {
    if (call.state === 'queued') return 'waiting';
    const now = this.now();
    const maxWaitSec = call.queue?.maxWaitSec ?? DEFAULT_WAIT_SEC;
    const queue: Queue = { maxWaitSec, since: now.toISOString(), until: new Date(now.getTime() + maxWaitSec * 1000).toISOString() };
    const moved = await this.deps.calls.ledger.transition(call.tenantId, call.callId, {
      from: ['scheduled'],
      to: 'queued',
      attempt: call.attempt,
      changes: { queue, routing: routing ?? null },
      detail: `until ${queue.until}`,
    });
    return moved ? 'queued' : 'lost';
  }

  /** The lead's hours are closed now: a scheduled call moves to their next opening, a queued one ends. */
  private async outsideHours(call: StoredCall, tenant: Tenant, number: NormalizedNumber, now: Date): Promise<Step> {
    const opening = call.state === 'scheduled' ? nextCallingOpening(number, tenant.policy, now) : undefined;
    if (!opening) return this.end(call, 'rejected', 'outside_calling_hours');
    const moved = await this.deps.calls.waiting.reschedule(call.tenantId, call.callId, call.attempt, {
      notBefore: opening.toISOString(),
      reason: 'calling_hours',
    });
    return moved ? 'rescheduled' : 'lost';
  }

  /** Ends a waiting call without a GET, if it is still waiting as it was read. */
  private async end(call: StoredCall, to: Extract<CallState, 'rejected' | 'not_sent'>, reason: string): Promise<Step> {
    const moved = await this.deps.calls.ledger.transition(call.tenantId, call.callId, {
      from: [call.state],
      to,
      attempt: call.attempt,
      changes: { reason, ...(call.routing ? { routing: call.routing } : {}) },
      detail: reason,
    });
    return moved ? 'ended' : 'lost';
  }

  /** The agent a named call asked for, read again: it may have been deleted or changed since the request. */
  private async agentOf(call: StoredCall): Promise<Agent | undefined> {
    try {
      if (call.crmUserId) return await this.deps.agents.get(call.tenantId, call.crmUserId);
      const { crmUserId, email, extension } = call.agent;
      const ref = crmUserId ? { crmUserId } : email ? { email } : extension ? { extension } : undefined;
      return ref ? await this.deps.agents.find(call.tenantId, ref) : undefined;
    } catch (error) {
      if (error instanceof CorruptItemError) return undefined;
      throw error;
    }
  }
}
