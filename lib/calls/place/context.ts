import type { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { Agent } from '../../model/agent';
import type { CallPolicy } from '../../model/call-policy';
import type { Tenant } from '../../model/tenant';
import type { CallMetrics } from '../../observability/metrics';
import type { DialOutcome, DialRequest, PbxSettings } from '../../pbx/click2call';
import type { CallCaps } from '../../policy/caps';
import type { NormalizedNumber } from '../../policy/phone';
import type { AgentPresenceRepository } from '../../store/agent-presence';
import type { AgentRepository } from '../../store/agents';
import type { CallLedger, StoredCall } from '../../store/calls';
import type { WorkDirectory } from '../../store/work-directory';
import type { DedupeWindowRepository } from '../../store/dedupe-windows';
import type { DoNotCallRepository } from '../../store/do-not-call';
import type { Clock } from '../../time/clock';
import type { CallDispatch, FaultPoint } from '../dispatch';
import type { CallRequest } from '../request';
import type { TeamRouter } from '../route-team';

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

/**
 * What placing a call uses of the call store: the ledger's reservation and transitions, and the work directory's
 * waiting slots. CallRepository is one; the call path's composition (lib/compose/place-call.ts) builds just these, so
 * its bundles carry no listing, outbox or scheduler code.
 */
export type PlaceCallStore = Pick<CallLedger, 'get' | 'reserve' | 'transition' | 'redispatch' | 'patch'> & {
  work: Pick<WorkDirectory, 'touch' | 'takeWaitingSlot' | 'giveWaitingSlotBack'>;
};

export interface PlaceCallDeps {
  calls: PlaceCallStore;
  agents: AgentRepository;
  caps: CallCaps;
  /** Agents' presence: needed by team calls only (the router's reads and takes). */
  presence?: AgentPresenceRepository;
  /** Dedupe windows of keyless requests. */
  windows: Pick<DedupeWindowRepository, 'claim'>;
  /** The tenant's do-not-call list: one read per call, beside the first stage (lib/calls/place/resolve.ts). */
  dnc: Pick<DoNotCallRepository, 'isListed'>;
  pbx: { dial(settings: PbxSettings, request: DialRequest): Promise<DialOutcome> };
  pbxTimeoutMs: number;
  logger: Logger;
  metrics?: CallMetrics;
  now?: Clock;
  faultHook?: (point: FaultPoint) => void;
}

/** What a call needs of its agent: who, and the extension its Click2Call URL rings first. */
export type CallAgent = Pick<Agent, 'crmUserId' | 'extension'>;

/** What every step of a call request shares: the dependencies, the one GET (`sender`) and the team router. */
export interface PlaceContext {
  deps: PlaceCallDeps;
  sender: CallDispatch;
  /** The team router; throws when PlaceCall was built without agent presence. */
  router(): TeamRouter;
}

/**
 * What a replay of the request needs to answer from the ledger, or to send again after `not_sent`: the request's
 * hash (same request or a reused key), and the agent and number it resolved to.
 */
export interface ReplayBasis {
  tenant: Tenant;
  hash: string;
  agent?: CallAgent;
  number?: NormalizedNumber;
}

/** How long an agent's lock may be held before it expires by itself: the PBX timeout and a margin. */
export function leaseSecOf(ctx: PlaceContext, tenant: Tenant): number {
  return Math.ceil((tenant.pbx.timeoutMs ?? ctx.deps.pbxTimeoutMs) / 1000) + 5;
}

export function capRequest(ctx: PlaceContext, tenant: Tenant, callId: string, agent: CallAgent, number: NormalizedNumber) {
  return { tenantId: tenant.tenantId, callId, crmUserId: agent.crmUserId, destination: number.digits, leaseSec: leaseSecOf(ctx, tenant) };
}

/** A write that repairs after a store fault: its own failure is worth a warning, never a second error. */
export async function bestEffort(ctx: PlaceContext, what: string, write: () => Promise<unknown>): Promise<void> {
  try {
    await write();
  } catch (error) {
    ctx.deps.logger.warn(`Could not ${what} after a store fault`, { error: error instanceof Error ? error.name : 'unknown' });
  }
}

/**
 * Moves our own reservation, if it is in the table, from `dispatching` to `not_sent`, so that a
 * retry with the same key may dial: nothing was sent. Conditioned on this invocation's token, so it
 * can never touch a concurrent winner's reservation, which may be dialling. If the store still
 * fails, the call stays `dispatching` and the reconciler flags it: a lost call, never a second ring.
 */
export async function giveBackReservation(ctx: PlaceContext, call: StoredCall): Promise<void> {
  await bestEffort(ctx, 'give back the reservation', () =>
    ctx.deps.calls.transition(call.tenantId, call.callId, {
      from: ['dispatching'],
      to: 'not_sent',
      attempt: call.attempt,
      reservedBy: call.reservedBy,
      changes: { reason: 'store_unavailable' },
      detail: 'store_unavailable',
    }),
  );
}
