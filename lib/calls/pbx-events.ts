import type { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { classifyHangup, finalStateOf } from '../pbx/hangup';
import { parsePbxStatsEvent, PbxEventFormatError, type PbxEventKind, type PbxStatsEvent, type RawPbxEvent } from '../pbx/stats-event';
import type { AgentPresenceRepository } from '../store/agent-presence';
import type { CallRepository, StoredCall } from '../store/calls';
import type { PbxEventRepository } from '../store/pbx-events';
import { tenantIdSchema, type Tenant } from '../model/tenant';
import { ON_CALL_MAX_SEC } from '../model/agent';
import { isWaiting, statesBefore, type CallOutcome, type CallState } from '../model/call';
import { verifyPbxEventsToken } from './pbx-event-tokens';
import { systemClock, type Clock } from '../time/clock';

/** What became of one PBX Stats event; the handler maps it to HTTP. */
export type PbxEventResult =
  | { kind: 'unauthorized' }
  | { kind: 'invalid'; field: string; message: string }
  /** The event moved the call on. */
  | { kind: 'applied'; callId: string; state: CallState }
  /** Repeated or late: the call is already at or past what the event says. Kept, nothing changed. */
  | { kind: 'unchanged'; callId: string; state: CallState }
  /** An event type we do not know: kept under its call, not applied. */
  | { kind: 'ignored'; callId: string; state: CallState; eventType: string }
  /** No call of this tenant matches: kept as an orphan for an operator. */
  | { kind: 'orphan' };

export interface RecordPbxEventDeps {
  /** The call an event names (`links`, by the PBX's unique_id) and its transitions (`ledger`). */
  calls: Pick<CallRepository, 'ledger' | 'links'>;
  pbxEvents: PbxEventRepository;
  /** The tenant; `fresh` reads past a container's copy (lib/tenants/tenant-cache.ts) that may predate a token just issued. */
  getTenant: (tenantId: string, options?: { fresh?: boolean }) => Promise<Tenant | undefined>;
  /** Where the events mark the call's agent on and off the call, for the team router. Absent: the ledger alone. */
  presence?: Pick<AgentPresenceRepository, 'markOnCall' | 'markCallEnded'>;
  logger: Pick<PowertoolsLogger, 'info' | 'warn'>;
  now?: Clock;
}

const CALL_ID = /^c_[0-9A-Z]{26}$/;

/**
 * Applies a PBX Stats webhook (Call Start, Call Answer, Call End) to the call it belongs to.
 *
 * Every write is a conditional transition to a state of higher rank (model.ts), so the order in
 * which events arrive does not matter: an End before its Answer ends the call right, and a
 * repeated or late event finds the call past it and changes nothing. Each event is also kept raw,
 * under its call or as an orphan, whatever its fate.
 */
export class RecordPbxEvent {
  private readonly now: Clock;

  constructor(private readonly deps: RecordPbxEventDeps) {
    this.now = deps.now ?? systemClock;
  }

  /**
   * @param input.read reads the request into fields; called only once the tenant and token are known
   *   good, so a stranger's body is never parsed. A {@link PbxEventFormatError} it throws is `invalid`.
   */
  async execute(input: { tenantId: string; token: string; read: () => RawPbxEvent }): Promise<PbxEventResult> {
    const tenant = await this.authenticate(input.tenantId, input.token);
    if (!tenant) return { kind: 'unauthorized' };

    const timeZone = tenant.pbxEvents?.timeZone;
    let raw: RawPbxEvent;
    let event: PbxStatsEvent;
    let call: StoredCall | undefined;
    try {
      raw = input.read();
      event = parsePbxStatsEvent(raw.fields, { timeZone });
      call = await this.correlate(tenant.tenantId, event);
      // Read again without the echo of the call's custom data: the PBX's own fields win over it
      // (a call placed before custom data names were checked may carry look-alikes such as `Event`).
      if (call && Object.keys(call.customData).length > 0)
        event = parsePbxStatsEvent(raw.fields, { timeZone, customData: call.customData });
    } catch (error) {
      if (error instanceof PbxEventFormatError) return { kind: 'invalid', field: error.field, message: error.message };
      throw error;
    }

    const receivedAt = this.now().toISOString();
    const stored = {
      tenantId: tenant.tenantId,
      receivedAt,
      transport: raw.transport,
      eventType: event.typeAsSent,
      fields: raw.fields,
      truncated: raw.truncated,
    };
    if (!call) {
      await this.deps.pbxEvents.put({ ...stored, note: 'no call matches its unique_id or c2c_call_id' });
      this.deps.logger.warn('PBX event for no known call', {
        tenantId: tenant.tenantId,
        eventType: event.typeAsSent,
        uniqueId: event.uniqueId,
      });
      return { kind: 'orphan' };
    }
    await this.deps.pbxEvents.put(
      { ...stored, callId: call.callId, ...(event.kind ? {} : { note: 'unknown event type' }) },
      { expiresAt: call.expiry?.full },
    );
    await this.linkUniqueId(call, event);

    if (!event.kind) {
      this.deps.logger.warn('PBX event of an unknown type kept, not applied', { callId: call.callId, eventType: event.typeAsSent });
      return { kind: 'ignored', callId: call.callId, state: call.state, eventType: event.typeAsSent };
    }
    const move = this.moveOf(event, call, receivedAt);
    const updated = await this.deps.calls.ledger.transition(call.tenantId, call.callId, {
      // A waiting call has not been sent: no PBX event can be about it, whatever it claims.
      from: statesBefore(move.to).filter((state) => !isWaiting(state)),
      to: move.to,
      outcome: move.outcome,
      detail: move.detail,
      at: receivedAt,
    });
    if (!updated) {
      const current = (await this.deps.calls.ledger.get(call.tenantId, call.callId)) ?? call;
      this.deps.logger.info('PBX event changed nothing (repeated or late)', {
        callId: call.callId,
        event: event.kind,
        state: current.state,
      });
      await this.trackPresence(call, event.kind, current.state);
      return { kind: 'unchanged', callId: call.callId, state: current.state };
    }
    this.deps.logger.info('PBX event applied', { callId: call.callId, event: event.kind, state: updated.state });
    await this.trackPresence(call, event.kind, updated.state);
    return { kind: 'applied', callId: call.callId, state: updated.state };
  }

  /**
   * Keeps the agent's presence in step with the PBX: on the call from its Start (or its Answer, when the Start was
   * missed) until its End. A Start or Answer that finds the call ended already (its End came first) marks nothing, or
   * the agent would stay busy for hours. A repeated event writes the same again, which is harmless. Best effort: the
   * event is what matters, and a presence that missed it corrects itself (busyUntil runs out).
   */
  private async trackPresence(call: StoredCall, kind: PbxEventKind, state: CallState): Promise<void> {
    // The stored crmUserId is the agent the call rang, however the request named it (by email, by extension).
    const crmUserId = call.crmUserId ?? call.agent.crmUserId;
    if (!this.deps.presence || !crmUserId) return;
    const nowSec = Math.floor(this.now().getTime() / 1000);
    try {
      if (kind === 'end') await this.deps.presence.markCallEnded(call.tenantId, crmUserId, call.callId, nowSec);
      else if (state === 'dialing' || state === 'answered') {
        await this.deps.presence.markOnCall(call.tenantId, crmUserId, call.callId, nowSec + ON_CALL_MAX_SEC);
      }
    } catch (error) {
      this.deps.logger.warn('Agent presence not updated from a PBX event', {
        callId: call.callId,
        crmUserId,
        event: kind,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
    }
  }

  /**
   * The tenant whose live token the URL carries. A token that does not match the container's copy of the tenant is
   * checked once more against the tenant read afresh: a token issued since the copy was read works at once; a revoked
   * one stops within the copy's lifetime (AUTH_CACHE_TTL_MS), as a revoked API key does.
   */
  private async authenticate(tenantId: string, token: string): Promise<Tenant | undefined> {
    if (!tenantIdSchema.safeParse(tenantId).success) return undefined;
    const cached = await this.deps.getTenant(tenantId);
    if (!cached) return undefined;
    if (verifyPbxEventsToken(cached, token)) return cached;
    const fresh = await this.deps.getTenant(tenantId, { fresh: true });
    return fresh && verifyPbxEventsToken(fresh, token) ? fresh : undefined;
  }

  /** Our own call id first (it cannot be another tenant's or another call's), then the PBX's unique_id. */
  private async correlate(tenantId: string, event: PbxStatsEvent): Promise<StoredCall | undefined> {
    if (event.callId && CALL_ID.test(event.callId)) {
      const call = await this.deps.calls.ledger.get(tenantId, event.callId);
      if (call) return call;
    }
    return event.uniqueId ? this.deps.calls.links.findByPbxUniqueId(tenantId, event.uniqueId) : undefined;
  }

  /** Makes later events that carry only the unique_id find the call, and fills in a unique_id the dial never learnt. */
  private async linkUniqueId(call: StoredCall, event: PbxStatsEvent): Promise<void> {
    if (!event.uniqueId || call.pbx?.uniqueId === event.uniqueId) return;
    await Promise.all([
      this.deps.calls.links.linkPbxUniqueId(call.tenantId, event.uniqueId, call.callId, call.expiry?.full),
      call.pbx?.uniqueId ? undefined : this.deps.calls.links.setPbxUniqueIdIfMissing(call.tenantId, call.callId, event.uniqueId),
    ]);
  }

  private moveOf(
    event: PbxStatsEvent,
    call: StoredCall,
    receivedAt: string,
  ): { to: CallState; outcome?: Partial<CallOutcome>; detail: string } {
    const detail = `PBX ${event.typeAsSent}`;
    switch (event.kind) {
      case 'start':
        return { to: 'dialing', detail };
      case 'answer':
        return { to: 'answered', outcome: { answeredAt: event.answeredAt ?? event.at ?? receivedAt }, detail };
      case 'end':
      case undefined: {
        const hangupClass = classifyHangup(event.hangupCause, event.billSec);
        const endedAt = event.endedAt ?? event.at ?? receivedAt;
        const outcome: Partial<CallOutcome> = {
          endedAt,
          durationSec: event.durationSec ?? null,
          billSec: event.billSec ?? null,
          hangupCause: event.hangupCause ?? null,
          hangupClass,
          recordingUrl: event.recordingUrl ?? null,
        };
        if (hangupClass === 'answered') {
          // An End that overtook its Answer: the answer time is the End's own, or its end less the billed seconds.
          const derived = event.billSec !== undefined ? new Date(Date.parse(endedAt) - event.billSec * 1000).toISOString() : undefined;
          const answeredAt = event.answeredAt ?? (call.outcome.answeredAt ? undefined : derived);
          if (answeredAt) outcome.answeredAt = answeredAt;
        }
        return { to: finalStateOf(hangupClass), outcome, detail: `${detail} (${event.hangupCause ?? 'no cause'}, ${hangupClass})` };
      }
    }
  }
}
