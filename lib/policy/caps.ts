import { AgentPresenceRepository, type TakeRefusalReason } from '../store/agent-presence';
import type { RateLimitRepository } from '../store/rate-limits';
import type { CallPolicy } from '../model/call-policy';

export type CapCode = 'agent_busy' | 'agent_rate_limited' | 'destination_rate_limited' | 'tenant_rate_limited';

export interface CapRefusal {
  code: CapCode;
  detail: string;
  retryAfterSec: number;
}

export interface CapRequest {
  tenantId: string;
  callId: string;
  crmUserId: string;
  /** E.164 digits of the destination. */
  destination: string;
  /** How long the agent lock may be held before it expires by itself (the PBX timeout and a margin). */
  leaseSec: number;
  /** Who holds the agent lock: the call id unless given (copies of one request share it). */
  holder?: string;
}

/** What the caps said: a refusal, or nothing; `release` gives back what was taken either way. */
export interface CapAdmission {
  refusal?: CapRefusal;
  /** Who holds the agent's lock, when a live lock refused the call. */
  heldBy?: string;
  /** Gives back the agent lock (and, on a refusal, the counters); `busy` marks the agent on that call from now. */
  release: (busy?: { callId: string; until: number }) => Promise<void>;
}

/**
 * The per-tenant caps of the call policy, checked all at once: every counter is one conditional
 * write, and they run in parallel with the ledger's reservation, so caps add no round trip.
 */
export class CallCaps {
  private readonly presence: AgentPresenceRepository;

  constructor(
    private readonly repo: RateLimitRepository,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.presence = new AgentPresenceRepository(repo.table);
  }

  /**
   * The tenant's per-second cap, counted for every request before anything else is written, refused
   * ones included. `requestId` identifies the request (its idempotency key): copies count once.
   * Never given back: a refused request has used the capacity it asked for.
   */
  async admitRequest(tenantId: string, policy: CallPolicy, requestId: string): Promise<{ refusal?: CapRefusal }> {
    const nowSec = Math.floor(this.now() / 1000);
    const max = policy.caps.perTenantPerSecond;
    if (await this.repo.admit(tenantId, 'tenant', nowSec, 1, max, requestId)) return {};
    return { refusal: { code: 'tenant_rate_limited', detail: `At most ${max} requests a second for this tenant.`, retryAfterSec: 1 } };
  }

  /**
   * The agent's lock and its per-minute cap, in one conditional write of the agent's presence item
   * (lib/store/agent-presence.ts). `requireAgent` also refuses an agent the store does not know, and answers with
   * its extension: a call naming its agent by crmUserId reads the agent in this same write.
   */
  async takeAgent(policy: CallPolicy, request: AgentTakeRequest): Promise<AgentAdmission> {
    const nowSec = Math.floor(this.now() / 1000);
    const window = { start: nowSec - (nowSec % 60), max: policy.caps.perAgentPerMinute, member: request.member };
    const taken = await this.presence.take(
      request.tenantId,
      request.crmUserId,
      request.holder,
      nowSec + request.leaseSec,
      nowSec,
      request.requireFree,
      {
        requireAgent: request.requireAgent,
        window,
      },
    );
    if (!taken.taken) {
      const refusal: CapRefusal =
        taken.why === 'rate_limited'
          ? {
              code: 'agent_rate_limited',
              detail: `At most ${policy.caps.perAgentPerMinute} calls a minute per agent.`,
              retryAfterSec: window.start + 60 - nowSec,
            }
          : { code: 'agent_busy', detail: "The agent's previous call is still being placed.", retryAfterSec: 2 };
      return { refusal, why: taken.why, heldBy: taken.heldBy, release: nothing, giveBack: nothing };
    }
    const { tenantId, crmUserId, holder } = request;
    return {
      extension: taken.extension,
      // After the GET: the lock goes, the counter keeps the call, and past minutes' windows are cleaned up.
      release: (busy) => this.presence.release(tenantId, crmUserId, holder, busy, { stale: taken.stale }),
      // Refused after all (another cap, a lost reservation): the lock goes and the minute's slot comes back.
      giveBack: () => this.presence.release(tenantId, crmUserId, holder, undefined, { giveBack: window, stale: taken.stale }),
    };
  }

  /** The destination's cap: a string set of call ids per window, so copies of one call count once. */
  async admitDestination(
    policy: CallPolicy,
    request: { tenantId: string; callId: string; destination: string },
  ): Promise<DestinationAdmission> {
    const nowSec = Math.floor(this.now() / 1000);
    const { max, windowSec } = policy.caps.perDestination;
    const start = nowSec - (nowSec % windowSec);
    const scope = `dest#${request.destination}`;
    const admitted = await this.repo.admit(request.tenantId, scope, start, windowSec, max, request.callId);
    if (!admitted) {
      return {
        refusal: {
          code: 'destination_rate_limited',
          detail: `At most ${max} calls to one number in ${windowSec} s.`,
          retryAfterSec: start + windowSec - nowSec,
        },
        giveBack: nothing,
      };
    }
    return { giveBack: () => this.repo.release(request.tenantId, scope, start, request.callId) };
  }

  /** The caps of a call that would dial: the agent's lock and per-minute cap (one write), and the destination's. */
  async admit(policy: CallPolicy, request: CapRequest): Promise<CapAdmission> {
    const [agent, destination] = await Promise.all([
      this.takeAgent(policy, {
        tenantId: request.tenantId,
        crmUserId: request.crmUserId,
        holder: request.holder ?? request.callId,
        member: request.callId,
        leaseSec: request.leaseSec,
      }),
      this.admitDestination(policy, request),
    ]);
    const refusal = agent.refusal ?? destination.refusal;
    if (refusal) {
      return { refusal, heldBy: agent.heldBy, release: async () => void (await Promise.all([agent.giveBack(), destination.giveBack()])) };
    }
    // Admitted: the counters keep this call; only the agent lock is given back once the GET is done.
    return { release: agent.release };
  }
}

/** Nothing to give back: the write it would undo was refused. */
const nothing = (): Promise<void> => Promise.resolve();

export interface AgentTakeRequest {
  tenantId: string;
  crmUserId: string;
  /** Who takes the lock: copies of one request share it, so a copy is not refused by its own original. */
  holder: string;
  /** What the per-minute window counts: the request's identity, so copies count once. */
  member: string;
  leaseSec: number;
  /** The router's take: the agent must also be neither on a call nor away. */
  requireFree?: boolean;
  /** Refuse an agent the store does not know (`unknownAgent`), and read its extension. */
  requireAgent?: boolean;
}

export interface AgentAdmission {
  refusal?: CapRefusal;
  /** Why the take was refused, as the presence item tells. */
  why?: TakeRefusalReason;
  /** Who holds the agent's lock, when a live lock refused the take. */
  heldBy?: string;
  /** The agent's extension, when the take read it. */
  extension?: string;
  /** After the GET: lets go of the lock (with `busy`, the agent is on that call from now). */
  release: (busy?: { callId: string; until: number }) => Promise<void>;
  /** Refused after all: lets go of the lock and gives the minute's slot back. */
  giveBack: () => Promise<void>;
}

export interface DestinationAdmission {
  refusal?: CapRefusal;
  giveBack: () => Promise<void>;
}
