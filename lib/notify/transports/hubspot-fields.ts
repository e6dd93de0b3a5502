import type { CallState } from '../../model/call';
import { LEAD_TYPES, type LoggableState } from '../../model/crm-connection';
import type { StoredCall } from '../../store/calls';

/**
 * What a call becomes in HubSpot: the properties and the association of one call engagement
 * (`POST /crm/v3/objects/calls`). Pure: every name, value and id below is HubSpot's, from its reference documentation
 * (docs/crm-logging.md, "HubSpot", cites the pages).
 */

/** HubSpot's default call outcomes: `hs_call_disposition` takes their internal GUIDs, the same in every account. */
export const HUBSPOT_DISPOSITIONS = {
  busy: '9d9162e7-6cf3-4944-bf63-4dff82258764',
  connected: 'f240bbac-87c9-4f6e-bf70-924b57d47db7',
  leftLiveMessage: 'a4c4c377-d246-4b32-a13b-75a56a4cd0ff',
  leftVoicemail: 'b2cf5968-551e-4856-9783-52b3da59a7d0',
  noAnswer: '73a0d17f-1163-4015-bdd5-ec830791da20',
  wrongNumber: '17b47fee-58de-441e-a44c-c6300d46f273',
} as const;

/** The values `hs_call_status` accepts. */
export const HUBSPOT_CALL_STATUSES = [
  'BUSY',
  'CALLING_CRM_USER',
  'CANCELED',
  'COMPLETED',
  'CONNECTING',
  'FAILED',
  'IN_PROGRESS',
  'NO_ANSWER',
  'QUEUED',
  'RINGING',
] as const;
export type HubSpotCallStatus = (typeof HUBSPOT_CALL_STATUSES)[number];

export const HUBSPOT_CALL_DIRECTIONS = ['INBOUND', 'OUTBOUND'] as const;

/** A record kind a call is logged on (`lead.type`; contact when the call names none). */
export type HubSpotRecordKind = (typeof LEAD_TYPES.hubspot)[number];

/** The HubSpot-defined association types from a call to each record kind (category `HUBSPOT_DEFINED`). */
export const CALL_ASSOCIATION_TYPES: Record<HubSpotRecordKind, number> = { contact: 194, company: 182, deal: 206 };

/** The properties this transport writes: the fake HubSpot knows these (and a few more), and refuses any other. */
export type CallProperties = Record<string, string>;

export interface CallAssociation {
  to: { id: string };
  types: Array<{ associationCategory: 'HUBSPOT_DEFINED'; associationTypeId: number }>;
}

/** How each final state reads in HubSpot: its status, its outcome (a default one, or none) and its words. */
interface Outcome {
  status: HubSpotCallStatus;
  disposition: string | null;
  label: string;
}

/** PBX causes that mean the number itself is wrong: logged with HubSpot's "Wrong number" outcome. */
const WRONG_NUMBER_CAUSES = new Set(['UNALLOCATED_NUMBER', 'INVALID_NUMBER_FORMAT', 'NO_ROUTE_DESTINATION', 'NUMBER_CHANGED']);

/**
 * Our final state (and, for a failed call, the PBX's cause; for a refused one, the reason) as HubSpot's status and
 * default outcome. HubSpot has no default outcome for a call that never rang: those carry the status alone, unless the
 * number was wrong.
 */
export function outcomeOf(state: CallState, hangupCause: string | null, reason: string | null): Outcome {
  const wrongNumber = WRONG_NUMBER_CAUSES.has((hangupCause ?? '').trim().toUpperCase()) || reason === 'invalid_number';
  switch (state as LoggableState) {
    case 'completed':
      return { status: 'COMPLETED', disposition: HUBSPOT_DISPOSITIONS.connected, label: 'connected' };
    case 'no_answer':
      return { status: 'NO_ANSWER', disposition: HUBSPOT_DISPOSITIONS.noAnswer, label: 'no answer' };
    case 'busy':
      return { status: 'BUSY', disposition: HUBSPOT_DISPOSITIONS.busy, label: 'busy' };
    case 'failed':
      return { status: 'FAILED', disposition: wrongNumber ? HUBSPOT_DISPOSITIONS.wrongNumber : null, label: 'failed' };
    case 'rejected':
      return { status: 'FAILED', disposition: wrongNumber ? HUBSPOT_DISPOSITIONS.wrongNumber : null, label: 'rejected by the PBX' };
    case 'not_sent':
      return { status: 'FAILED', disposition: null, label: 'not sent' };
    case 'cancelled':
      return { status: 'CANCELED', disposition: null, label: 'cancelled' };
    default:
      // Not a final state: never logged (wants() passes these over); kept total for the type checker.
      return { status: 'IN_PROGRESS', disposition: null, label: state };
  }
}

/** The kind of record the call's lead is, as HubSpot names it; undefined when the lead is another CRM's kind. */
export function recordKindOf(lead: StoredCall['lead']): HubSpotRecordKind | undefined {
  if (!lead) return undefined;
  const type = lead.type;
  if (type === undefined) return 'contact';
  return (LEAD_TYPES.hubspot as readonly string[]).includes(type) ? (type as HubSpotRecordKind) : undefined;
}

/** The association of the new call with the lead's record. */
export function associationOf(leadId: string, kind: HubSpotRecordKind): CallAssociation {
  return { to: { id: leadId }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: CALL_ASSOCIATION_TYPES[kind] }] };
}

/** HubSpot owner ids are numbers: an agent whose crmUserId is not one is logged without an owner. */
const OWNER_ID = /^\d{1,18}$/;

/** Where the call sits on the record's timeline: when it was dialled (or, never dialled, when it ended). */
export function timestampOf(call: StoredCall): string {
  const dialled = call.events.find((event) => event.state === 'dialing');
  return dialled?.at ?? call.outcome.answeredAt ?? call.events.at(-1)?.at ?? call.createdAt;
}

/** Talk time in ms for an answered call (billed seconds, else the whole duration); 0 for a call nobody answered. */
export function durationMsOf(call: StoredCall): number {
  if (call.state !== 'completed') return 0;
  const seconds = call.outcome.billSec ?? call.outcome.durationSec ?? 0;
  return Math.max(0, Math.round(seconds * 1000));
}

/** HubSpot plays back HTTPS recordings only; another URL is named in the body instead. */
const isHttps = (url: string): boolean => /^https:\/\//i.test(url);

/** The call engagement's properties: every fact of the call HubSpot has a property for, our call id in the body. */
export function callPropertiesOf(call: StoredCall): CallProperties {
  const outcome = outcomeOf(call.state, call.outcome.hangupCause, call.reason);
  const recording = call.outcome.recordingUrl;
  const owner = call.agent.crmUserId;
  const properties: CallProperties = {
    hs_timestamp: timestampOf(call),
    hs_call_title: `Outbound call: ${outcome.label}`,
    hs_call_body: bodyOf(call, outcome.label),
    hs_call_direction: 'OUTBOUND',
    hs_call_duration: String(durationMsOf(call)),
    hs_call_status: outcome.status,
    hs_call_to_number: call.to,
  };
  if (outcome.disposition) properties.hs_call_disposition = outcome.disposition;
  if (owner && OWNER_ID.test(owner)) properties.hubspot_owner_id = owner;
  if (recording && isHttps(recording)) properties.hs_call_recording_url = recording;
  return properties;
}

/**
 * The call's notes (`hs_call_body`, rich text): agent, outcome, why, and our call id, the value the lookup after an
 * unknown outcome searches for. One paragraph per fact; every value escaped, since HubSpot renders the body as HTML.
 */
export function bodyOf(call: StoredCall, label: string): string {
  const agent = call.agent.crmUserId ?? call.agent.email ?? call.agent.extension ?? 'unknown';
  const lines = [`Agent: ${agent}`, `Outcome: ${label}`];
  if (call.reason) lines.push(`Reason: ${call.reason}`);
  if (call.outcome.hangupCause) lines.push(`Hangup cause: ${call.outcome.hangupCause}`);
  const recording = call.outcome.recordingUrl;
  if (recording) lines.push(`Recording: ${recording}`);
  lines.push(`${CALL_ID_LABEL} ${call.callId}`);
  return lines.map((line) => `<p>${escapeHtml(line)}</p>`).join('');
}

/** Precedes our call id in the body; the lookup checks the found body carries it. */
export const CALL_ID_LABEL = 'Click2Call call id:';

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
