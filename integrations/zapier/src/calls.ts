/**
 * The service's call resource (docs/api.md "The call resource") as Zapier steps show it: the fields a Zap maps most
 * (outcome, duration, agent, lead) at the top, the agent and the lead as objects Zapier flattens (`agent__crmUserId`),
 * and nothing that is null left out, so every sample has every field.
 */

/** The states a call ends in: what "Call ended" fires on and what `outcome` names. */
export const ENDED_STATES = ['completed', 'no_answer', 'busy', 'failed', 'rejected', 'not_sent', 'cancelled'] as const;

/** The kinds of CRM record a call's lead may be (docs/api.md, `lead.type`). */
export const LEAD_TYPES = ['contact', 'company', 'deal', 'person', 'organization', 'lead'] as const;

export interface CallEvent {
  at: string;
  state: string;
  detail: string | null;
}

export interface CallResource {
  callId: string;
  state: string;
  reason: string | null;
  agent: { crmUserId: string | null; email: string | null; extension: string | null } | null;
  team: string | null;
  schedule: { notBefore: string; reason: string } | null;
  to: string;
  lead: { id: string; type?: string | null } | null;
  customData: Record<string, string>;
  outcome: {
    answeredAt: string | null;
    endedAt: string | null;
    durationSec: number | null;
    billSec: number | null;
    hangupCause: string | null;
    hangupClass: string | null;
    recordingUrl: string | null;
  };
  events: CallEvent[];
  source: string;
  idempotencyKey: string;
  duplicate: boolean;
  createdAt: string;
  updatedAt: string;
}

/** A delivery's body (docs/api.md "Outcome notifications"): Standard Webhooks' `{type, timestamp, data}`. */
export interface CallNotification {
  type: string;
  timestamp: string;
  data: { event: CallEvent & { sequence: number }; call: CallResource };
}

export interface ZapierCall {
  id: string;
  callId: string;
  state: string;
  outcome: string | null;
  reason: string | null;
  durationSec: number | null;
  billSec: number | null;
  hangupClass: string | null;
  hangupCause: string | null;
  answeredAt: string | null;
  endedAt: string | null;
  recordingUrl: string | null;
  agent: { crmUserId: string | null; extension: string | null; email: string | null };
  team: string | null;
  lead: { id: string | null; type: string | null };
  to: string;
  notBefore: string | null;
  customData: Record<string, string>;
  source: string;
  idempotencyKey: string;
  duplicate: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface ZapierCallEvent extends ZapierCall {
  /** `<callId>.<sequence>`: the delivery's `webhook-id`, one per state change. */
  id: string;
  event: string;
  eventAt: string;
  eventDetail: string | null;
}

const isEnded = (state: string) => (ENDED_STATES as readonly string[]).includes(state);

export function toZapierCall(call: CallResource): ZapierCall {
  return {
    id: call.callId,
    callId: call.callId,
    state: call.state,
    outcome: isEnded(call.state) ? call.state : null,
    reason: call.reason,
    durationSec: call.outcome.durationSec,
    billSec: call.outcome.billSec,
    hangupClass: call.outcome.hangupClass,
    hangupCause: call.outcome.hangupCause,
    answeredAt: call.outcome.answeredAt,
    endedAt: call.outcome.endedAt,
    recordingUrl: call.outcome.recordingUrl,
    agent: { crmUserId: call.agent?.crmUserId ?? null, extension: call.agent?.extension ?? null, email: call.agent?.email ?? null },
    team: call.team,
    lead: { id: call.lead?.id ?? null, type: call.lead?.type ?? null },
    to: call.to,
    notBefore: call.schedule?.notBefore ?? null,
    customData: call.customData,
    source: call.source,
    idempotencyKey: call.idempotencyKey,
    duplicate: call.duplicate,
    createdAt: call.createdAt,
    updatedAt: call.updatedAt,
  };
}

/** One state change of a call: a delivered notification, or (for samples) an event read from the call. */
export function toZapierEvent(call: CallResource, event: CallEvent & { sequence: number }): ZapierCallEvent {
  return {
    ...toZapierCall(call),
    id: `${call.callId}.${event.sequence}`,
    event: `call.${event.state}`,
    eventAt: event.at,
    eventDetail: event.detail,
  };
}

/** The call's last event whose state `wanted` accepts, with its sequence; undefined when none does. */
export function lastEventOf(call: CallResource, wanted: (state: string) => boolean): (CallEvent & { sequence: number }) | undefined {
  for (let i = call.events.length - 1; i >= 0; i--) {
    const event = call.events[i]!;
    if (wanted(event.state)) return { ...event, sequence: i };
  }
  return undefined;
}

export const SAMPLE_CALL: ZapierCall = {
  id: 'c_HEDR0N6K5378QF7K0WDNP161P2',
  callId: 'c_HEDR0N6K5378QF7K0WDNP161P2',
  state: 'completed',
  outcome: 'completed',
  reason: null,
  durationSec: 95,
  billSec: 87,
  hangupClass: 'answered',
  hangupCause: 'NORMAL_CLEARING',
  answeredAt: '2026-11-26T10:00:08.000Z',
  endedAt: '2026-11-26T10:01:35.000Z',
  recordingUrl: null,
  agent: { crmUserId: 'u-17', extension: '1000', email: null },
  team: 'sales',
  lead: { id: '1234', type: 'deal' },
  to: '+447766889900',
  notBefore: null,
  customData: { stage: 'qualified' },
  source: 'api',
  idempotencyKey: 'zapier-123456-5f2b8c0e9a1d4e7f3b6a2c8d0e1f4a5b6c7d8e9f',
  duplicate: false,
  createdAt: '2026-11-26T10:00:00.000Z',
  updatedAt: '2026-11-26T10:01:35.000Z',
};

export const sampleEvent = (state: string, sequence: number, at: string): ZapierCallEvent => ({
  ...SAMPLE_CALL,
  ...(isEnded(state)
    ? {}
    : { state, outcome: null, endedAt: null, durationSec: null, billSec: null, hangupClass: null, hangupCause: null }),
  id: `${SAMPLE_CALL.callId}.${sequence}`,
  event: `call.${state}`,
  eventAt: at,
  eventDetail: null,
});

/** Output fields with their labels: what the Zap editor shows before a real sample arrives (output fields take no help text). */
export const CALL_OUTPUT_FIELDS = [
  { key: 'callId', label: 'Call ID', type: 'string' as const },
  { key: 'state', label: 'State (accepted, scheduled, queued, dialing, answered, completed...)', type: 'string' as const },
  {
    key: 'outcome',
    label: 'Outcome (completed, no_answer, busy, failed, rejected, not_sent, cancelled; empty until it ends)',
    type: 'string' as const,
  },
  { key: 'reason', label: 'Reason (the problem code of a refused or unsent call)', type: 'string' as const },
  { key: 'durationSec', label: 'Duration in seconds (ringing included)', type: 'integer' as const },
  { key: 'billSec', label: 'Talk time in seconds', type: 'integer' as const },
  { key: 'hangupClass', label: 'Hang-up class (answered, busy, no_answer, failed)', type: 'string' as const },
  { key: 'agent__crmUserId', label: 'Agent CRM user ID', type: 'string' as const },
  { key: 'agent__extension', label: 'Agent extension', type: 'string' as const },
  { key: 'team', label: 'Team', type: 'string' as const },
  { key: 'lead__id', label: 'Lead ID', type: 'string' as const },
  { key: 'lead__type', label: 'Lead type (contact, company, deal, person, organization, lead)', type: 'string' as const },
  { key: 'to', label: 'Number dialled (E.164)', type: 'string' as const },
  { key: 'createdAt', label: 'Requested at', type: 'datetime' as const },
];

export const EVENT_OUTPUT_FIELDS = [
  { key: 'id', label: 'Event ID (<call ID>.<sequence>, one per state change)', type: 'string' as const },
  { key: 'event', label: 'Event (call.<state>, e.g. call.completed)', type: 'string' as const },
  { key: 'eventAt', label: 'Event time', type: 'datetime' as const },
  ...CALL_OUTPUT_FIELDS,
];
