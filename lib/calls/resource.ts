import type { CallEvent } from '../model/call';
import type { Call, CallResourceEvent } from '../model/call-resource';
import type { StoredCall } from '../store/calls';
import { loggedIn } from './logged';

/**
 * The public call resource of docs/api.md ("The call resource") from a stored call: field by field, so the ledger's
 * own fields never leak and every field is there in every state, null where the stored call has no value (an item
 * leaves out what it does not hold; a team call's agent is `{}` until a member is chosen, null here).
 */
export function toCallResource(call: StoredCall, duplicate = false): Call {
  const { agent, outcome } = call;
  const named = agent.crmUserId !== undefined || agent.email !== undefined || agent.extension !== undefined;
  return {
    callId: call.callId,
    tenantId: call.tenantId,
    state: call.state,
    reason: call.reason,
    agent: named ? { crmUserId: agent.crmUserId ?? null, email: agent.email ?? null, extension: agent.extension ?? null } : null,
    team: call.team ?? null,
    routing: call.routing ?? null,
    schedule: call.schedule ?? null,
    queue: call.queue ?? null,
    to: call.to,
    legB: call.legB,
    prefix: call.prefix,
    lead: call.lead ? { id: call.lead.id, type: call.lead.type ?? null } : null,
    customData: call.customData,
    logged: loggedIn(call),
    pbx: call.pbx ? { uniqueId: call.pbx.uniqueId, message: call.pbx.message, host: call.pbx.host } : null,
    outcome: {
      answeredAt: outcome.answeredAt,
      endedAt: outcome.endedAt,
      durationSec: outcome.durationSec,
      billSec: outcome.billSec,
      hangupCause: outcome.hangupCause,
      hangupClass: outcome.hangupClass ?? null,
      recordingUrl: outcome.recordingUrl,
    },
    events: call.events.map(toEventResource),
    source: call.source,
    idempotencyKey: call.idempotencyKey,
    duplicate,
    createdAt: call.createdAt,
    updatedAt: call.updatedAt,
  };
}

/** An event of the timeline as the resource and the notifications carry it: `detail` null when it has none. */
export function toEventResource(event: CallEvent): CallResourceEvent {
  return { at: event.at, state: event.state, detail: event.detail ?? null };
}
