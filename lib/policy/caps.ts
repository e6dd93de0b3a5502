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
  /** The router took the agent's lock already (with every availability check): only the counters are left. */
  lockTaken?: boolean;
}

/** What the caps said: a refusal, or nothing; `release` gives back what was taken either way. */
export interface CapAdmission {
  refusal?: CapRefusal;
  /** Gives back the agent lock (and, on a refusal, the counters); `busy` marks the agent on that call from now. */
  release: (busy?: { callId: string; until: number }) => Promise<void>;
}

interface Window {
  scope: string;
  windowSec: number;
  max: number;
  code: CapCode;
  detail: string;
}

/**
 * The per-tenant caps of the call policy, checked all at once: every counter is one conditional
 * write, and they run in parallel with the ledger's reservation, so caps add no round trip.
 */
export class CallCaps {
  constructor(
    private readonly repo: RateLimitRepository,
    private readonly now: () => number = () => Date.now(),
  ) {}

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

  /** The caps of a call that would dial: destination, agent per minute, and the agent's lock. */
  async admit(policy: CallPolicy, request: CapRequest): Promise<CapAdmission> {
    const holder = request.holder ?? request.callId;
    const nowSec = Math.floor(this.now() / 1000);
    const caps = policy.caps;
    const windows: Window[] = [
      {
        scope: `dest#${request.destination}`,
        windowSec: caps.perDestination.windowSec,
        max: caps.perDestination.max,
        code: 'destination_rate_limited',
        detail: `At most ${caps.perDestination.max} calls to one number in ${caps.perDestination.windowSec} s.`,
      },
      {
        scope: `agent#${request.crmUserId}`,
        windowSec: 60,
        max: caps.perAgentPerMinute,
        code: 'agent_rate_limited',
        detail: `At most ${caps.perAgentPerMinute} calls a minute per agent.`,
      },
    ];
    const starts = windows.map((w) => nowSec - (nowSec % w.windowSec));
    const [lock, ...admitted] = await Promise.all([
      request.lockTaken ? true : this.repo.lockAgent(request.tenantId, request.crmUserId, holder, nowSec + request.leaseSec, nowSec),
      ...windows.map((w, i) => this.repo.admit(request.tenantId, w.scope, starts[i]!, w.windowSec, w.max, request.callId)),
    ]);

    const releaseAll = async () => {
      await Promise.all([
        lock ? this.repo.unlockAgent(request.tenantId, request.crmUserId, holder) : undefined,
        ...windows.map((w, i) => (admitted[i] ? this.repo.release(request.tenantId, w.scope, starts[i]!, request.callId) : undefined)),
      ]);
    };
    const releaseLock = async (busy?: { callId: string; until: number }) => {
      if (lock) await this.repo.unlockAgent(request.tenantId, request.crmUserId, holder, busy);
    };

    if (!lock) {
      return {
        refusal: { code: 'agent_busy', detail: "The agent's previous call is still being placed.", retryAfterSec: 2 },
        release: releaseAll,
      };
    }
    const refusedAt = admitted.findIndex((ok) => !ok);
    if (refusedAt >= 0) {
      const w = windows[refusedAt]!;
      return { refusal: { code: w.code, detail: w.detail, retryAfterSec: starts[refusedAt]! + w.windowSec - nowSec }, release: releaseAll };
    }
    // Admitted: the counters keep this call; only the agent lock is given back once the GET is done.
    return { release: releaseLock };
  }
}
