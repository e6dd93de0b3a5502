import { availabilityOf, type Agent, type AgentPresence } from '../model/agent';
import type { Routing } from '../model/call';
import type { Tenant } from '../model/tenant';
import type { CallCaps, CapAdmission, CapRefusal } from '../policy/caps';
import type { AgentPresenceRepository } from '../store/agent-presence';
import type { AgentRepository, TeamMember } from '../store/agents';

/** Members the router tries to take, one after another, before it says no agent is free. */
const MAX_TAKES = 5;
/** Retry-After of a 429 no_agent_available when no member's call has a known end. */
const DEFAULT_RETRY_AFTER_SEC = 5;

export interface TeamRouteRequest {
  tenant: Tenant;
  team: string;
  callId: string;
  /** A token of this attempt: the lock is taken in its name, so no other attempt can give it back. */
  holder: string;
  /** E.164 digits of the destination: its cap is checked with the chosen agent's. */
  destination: string;
  leaseSec: number;
  /** The team's members, when the caller read them already. */
  members?: TeamMember[];
  /** How many times the call was routed before (a queued call's earlier tries). */
  attempts?: number;
}

export type TeamRoute =
  /** An agent was taken: its lock is held for `holder`, the caps admitted this call. */
  | { kind: 'routed'; agent: Agent; routing: Routing; caps: CapAdmission }
  /** Every member is busy, away or over its own cap. */
  | { kind: 'none_free'; routing: Routing; retryAfterSec: number }
  /** A cap that no other agent would change (the destination's, the tenant's). */
  | { kind: 'capped'; refusal: CapRefusal; routing: Routing }
  | { kind: 'no_team' };

export interface TeamRouterDeps {
  agents: Pick<AgentRepository, 'listTeam' | 'get'>;
  presence: Pick<AgentPresenceRepository, 'getMany'>;
  caps: Pick<CallCaps, 'takeAgent' | 'admitDestination'>;
  now: () => number;
}

/**
 * Picks an available agent of a team: not placing a call, not on one, not away, not over its per-minute cap; the
 * longest idle first. The presence read only orders the candidates: the take is one conditional write that checks
 * all of it again, so two routers racing for one agent never both get it, and the loser moves on to the next.
 */
export class TeamRouter {
  constructor(private readonly deps: TeamRouterDeps) {}

  async route(request: TeamRouteRequest): Promise<TeamRoute> {
    const { tenant, team } = request;
    const members = request.members ?? (await this.deps.agents.listTeam(tenant.tenantId, team));
    if (members.length === 0) return { kind: 'no_team' };
    const nowMs = this.deps.now();
    const nowSec = Math.floor(nowMs / 1000);
    const presence = await this.deps.presence.getMany(
      tenant.tenantId,
      members.map((m) => m.crmUserId),
    );
    const passedOver: Routing['passedOver'] = [];
    const candidates: TeamMember[] = [];
    for (const member of members) {
      const state = availabilityOf(presence.get(member.crmUserId), nowSec);
      if (state === 'available') candidates.push(member);
      else passedOver.push({ crmUserId: member.crmUserId, reason: state });
    }
    candidates.sort(
      (a, b) => idleOf(presence.get(a.crmUserId)) - idleOf(presence.get(b.crmUserId)) || a.crmUserId.localeCompare(b.crmUserId),
    );
    const routing = (chosen: string | null): Routing => ({
      team,
      chosen,
      decidedAt: chosen ? new Date(nowMs).toISOString() : null,
      passedOver: [...passedOver],
      attempts: (request.attempts ?? 0) + 1,
    });

    for (const [i, member] of candidates.entries()) {
      if (i >= MAX_TAKES) break;
      // One conditional write: free (no lock, not on a call, not away) and under its per-minute cap.
      const agentCaps = await this.deps.caps.takeAgent(tenant.policy, {
        tenantId: tenant.tenantId,
        crmUserId: member.crmUserId,
        holder: request.holder,
        member: request.callId,
        leaseSec: request.leaseSec,
        requireFree: true,
      });
      if (agentCaps.refusal) {
        const why = agentCaps.why === 'unknown_agent' || agentCaps.why === undefined ? 'incomplete' : agentCaps.why;
        passedOver.push({ crmUserId: member.crmUserId, reason: why });
        continue;
      }
      const [agent, destination] = await Promise.all([
        this.deps.agents.get(tenant.tenantId, member.crmUserId).catch(() => undefined),
        this.deps.caps.admitDestination(tenant.policy, {
          tenantId: tenant.tenantId,
          callId: request.callId,
          destination: request.destination,
        }),
      ]);
      // The team index may lag the agent item (a crash between the two writes): the agent item is the truth.
      const usable = agent && (agent.teams ?? []).includes(team) ? agent : undefined;
      if (!usable || destination.refusal) {
        await Promise.all([agentCaps.giveBack(), destination.giveBack()]);
        // The destination's cap: no other agent would change it.
        if (destination.refusal) return { kind: 'capped', refusal: destination.refusal, routing: routing(null) };
        passedOver.push({ crmUserId: member.crmUserId, reason: 'incomplete' });
        continue;
      }
      // Members free but not chosen: another had been idle longer.
      for (const other of candidates.slice(i + 1)) passedOver.push({ crmUserId: other.crmUserId, reason: 'shorter_idle' });
      return { kind: 'routed', agent: usable, routing: routing(usable.crmUserId), caps: { release: agentCaps.release } };
    }
    return { kind: 'none_free', routing: routing(null), retryAfterSec: retryAfterOf(members, presence, nowSec) };
  }
}

/** Never-seen agents (no presence yet) count as idle the longest. */
const idleOf = (presence: AgentPresence | undefined) => presence?.idleSince ?? 0;

/** When a member is likely free again: the earliest end of a lock, ring or away span, within 1 to 60 s. */
function retryAfterOf(members: TeamMember[], presence: Map<string, AgentPresence>, nowSec: number): number {
  let soonest = Infinity;
  for (const member of members) {
    const p = presence.get(member.crmUserId);
    for (const until of [p?.lockedUntil, p?.busyUntil, p?.awayUntil]) {
      if (until !== undefined && until >= nowSec) soonest = Math.min(soonest, until - nowSec + 1);
    }
  }
  return Number.isFinite(soonest) ? Math.max(1, Math.min(60, soonest)) : DEFAULT_RETRY_AFTER_SEC;
}
