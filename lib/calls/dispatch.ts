import type { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { DialOutcome, DialRequest, PbxSettings } from '../pbx/click2call';
import type { CallMetrics } from '../observability/metrics';
import { PbxError } from '../pbx/errors';
import { maskNumber } from '../policy/phone';
import { ON_CALL_AFTER_DIAL_SEC, type Agent } from '../model/agent';
import type { Tenant } from '../model/tenant';
import type { CallLedger, StoredCall } from '../store/calls';
import { isStoreUnavailable } from '../store/unavailable';
import { systemClock, type Clock } from '../time/clock';
import { dialQueryOf, pbxSettingsOf } from './dial-url';
import { NOT_SENT_RETRY_AFTER_SEC, type PlaceCallOutcome } from './outcome';
import { toCallResource } from './resource';

/** Points where a test may kill the invocation, to prove that a crash never leads to a second dial. */
export type FaultPoint = 'after_reserve' | 'after_dial';

/** Lets go of the agent's lock; `busy` when the PBX accepted the dial (the agent is on that call from now). */
export type ReleaseLock = (busy?: { callId: string; until: number }) => Promise<void>;

export interface CallDispatchDeps {
  /** The ledger's transitions: CallRepository, or the call path's ledger alone (lib/compose/shared.ts `callLedger`). */
  calls: Pick<CallLedger, 'get' | 'transition' | 'patch'>;
  pbx: { dial(settings: PbxSettings, request: DialRequest): Promise<DialOutcome> };
  pbxTimeoutMs: number;
  logger: Pick<PowertoolsLogger, 'info' | 'warn'>;
  metrics?: CallMetrics;
  now?: Clock;
  faultHook?: (point: FaultPoint) => void;
}

/**
 * The one Click2Call GET of a call and its answer into the ledger. Shared by the request path (PlaceCall) and the
 * scheduler (DispatchDue): both call it only as the holder of the call's `dispatching` (a reservation or a claim).
 */
export class CallDispatch {
  private readonly now: Clock;

  constructor(private readonly deps: CallDispatchDeps) {
    this.now = deps.now ?? systemClock;
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
  async send(tenant: Tenant, call: StoredCall, agent: Pick<Agent, 'extension'>, releaseLock: ReleaseLock): Promise<PlaceCallOutcome> {
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
    // The PBX's unique_id rides in the transition (an index of the call item): two writes after the GET, not three.
    const [transitioned, released] = await Promise.allSettled([
      this.deps.calls.transition(tenant.tenantId, call.callId, {
        from: ['dispatching'],
        to: recorded.state,
        attempt: call.attempt,
        // A null reason is the call's default already (the item leaves it out): written only when there is one.
        changes: { ...(recorded.reason ? { reason: recorded.reason } : {}), pbx: recorded.pbx },
        detail: recorded.detail,
      }),
      // Accepted: the agent's phone rings now, so the agent is on this call until the PBX's events say more.
      releaseLock(
        outcome.kind === 'accepted'
          ? { callId: call.callId, until: Math.floor(this.now().getTime() / 1000) + ON_CALL_AFTER_DIAL_SEC }
          : undefined,
      ),
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
    if (transitioned.status === 'rejected') {
      // The call item says `dispatching` (written before the GET), so it stays findable and the
      // reconciler settles it from the PBX's CDRs; a retry of the key is answered 202 and never dials.
      this.warnAfterDial("The PBX's answer was not recorded: the call stays dispatching for the reconciler", call, transitioned.reason);
      return { kind: 'call', progress: 'pending', call: toCallResource(call) };
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
      if (!final) return { kind: 'call', progress: 'pending', call: toCallResource(call) };
    }
    const resource = toCallResource(final);
    switch (outcome.kind) {
      case 'accepted':
        return { kind: 'call', progress: 'dialled', call: resource };
      case 'unknown':
        return { kind: 'call', progress: 'pending', call: resource };
      case 'refused':
        return {
          kind: 'refused',
          code: 'pbx_rejected',
          detail: `The PBX refused the call: ${outcome.message}`,
          call: resource,
        };
      case 'not_allowlisted':
        return {
          kind: 'refused',
          code: 'pbx_not_allowlisted',
          detail: "The PBX answered 404, its answer to an address outside its allowlist: add this service's egress IP to the PBX's IP ACL.",
          call: resource,
        };
      case 'not_sent':
        return {
          kind: 'refused',
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
