import type { CallState } from '../../model/call';
import type { StoredCall } from '../../store/calls';

/**
 * What one call becomes in Pipedrive: the body of `POST /api/v1/callLogs` (docs/crm-logging.md, "Pipedrive"), pure.
 * Every field name, type and format is Pipedrive's API reference's, "Add a call log" (docs/crm-logging.md, "Sources").
 */

/** Pipedrive's call outcomes, the whole enum of `outcome`: it has no "failed", "rejected" or "cancelled". */
export const PIPEDRIVE_OUTCOMES = ['connected', 'no_answer', 'left_message', 'left_voicemail', 'wrong_number', 'busy'] as const;
export type PipedriveOutcome = (typeof PIPEDRIVE_OUTCOMES)[number];

/** The record kinds a call may be logged on, and the body field each fills; the first is the default. */
export const PIPEDRIVE_LEAD_FIELDS = { person: 'person_id', organization: 'org_id', deal: 'deal_id', lead: 'lead_id' } as const;
export type PipedriveLeadType = keyof typeof PIPEDRIVE_LEAD_FIELDS;

/** The body of `POST /api/v1/callLogs`: only fields the reference names (unknown fields are refused, see the fake). */
export interface PipedriveCallLogBody {
  outcome: PipedriveOutcome;
  to_phone_number: string;
  /** UTC, `YYYY-MM-DD HH:MM:SS`. */
  start_time: string;
  end_time: string;
  /** Seconds, as a string (the reference types it so). */
  duration: string;
  subject: string;
  /** HTML. */
  note: string;
  user_id?: number;
  person_id?: number;
  org_id?: number;
  deal_id?: number;
  lead_id?: string;
}

/** Why a call cannot be logged in Pipedrive at all: trying again cannot help (the delivery is dead-lettered). */
export class UnloggableCallError extends Error {}

/**
 * Our final state (and, for a failed call, its hangup class) as Pipedrive's outcome. Pipedrive's enum only knows
 * whether the call connected and why not; every call that never reached the callee is `no_answer`, except a number
 * the PBX or the policy found invalid (`wrong_number`). The note says our own state and reason in full.
 */
export function pipedriveOutcomeOf(call: Pick<StoredCall, 'state' | 'reason' | 'outcome'>): PipedriveOutcome {
  const state: CallState = call.state;
  switch (state) {
    case 'completed':
      return 'connected';
    case 'busy':
      return 'busy';
    case 'failed':
      return call.outcome.hangupClass === 'busy' ? 'busy' : 'no_answer';
    case 'rejected':
      return call.reason === 'invalid_number' ? 'wrong_number' : 'no_answer';
    default:
      return 'no_answer';
  }
}

/** Pipedrive's date-time format: UTC, `YYYY-MM-DD HH:MM:SS`, no zone letter, no fraction. */
export function pipedriveTime(iso: string): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) throw new UnloggableCallError(`unreadable time ${JSON.stringify(iso)}`);
  return at.toISOString().slice(0, 19).replace('T', ' ');
}

/** When the call began ringing out: the first `dialing` event, else the dispatch, else its creation. */
export function callStartOf(call: Pick<StoredCall, 'events' | 'createdAt'>): string {
  const first = (state: CallState) => call.events.find((e) => e.state === state)?.at;
  return first('dialing') ?? first('dispatching') ?? call.createdAt;
}

/** When the call ended: the PBX's end, else its final event; never before the start. */
export function callEndOf(call: Pick<StoredCall, 'events' | 'createdAt' | 'outcome'>, start: string): string {
  const end = call.outcome.endedAt ?? call.events.at(-1)?.at ?? start;
  return Date.parse(end) < Date.parse(start) ? start : end;
}

/** Talk time in seconds: the billed seconds of an answered call, else 0 (a call that never connected talked for none). */
export function talkSecondsOf(call: Pick<StoredCall, 'state' | 'outcome'>): number {
  if (call.state !== 'completed') return 0;
  return Math.max(0, Math.round(call.outcome.billSec ?? call.outcome.durationSec ?? 0));
}

/** The marker the note carries: what the lookup after an unknown outcome searches for. */
export const callIdMarker = (callId: string): string => `c2c-call-id: ${escapeHtml(callId)}`;

const POSITIVE_INT = /^[1-9]\d{0,15}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The record field of the call's lead: person (default), organization, deal (integer ids) or lead (a UUID). An id
 * that cannot be one of Pipedrive's is refused here rather than sent, since Pipedrive would refuse it every time.
 */
export function leadFieldOf(lead: {
  id: string;
  type?: string;
}): Pick<PipedriveCallLogBody, 'person_id' | 'org_id' | 'deal_id' | 'lead_id'> {
  const type = (lead.type ?? 'person') as PipedriveLeadType;
  const field = PIPEDRIVE_LEAD_FIELDS[type] as (typeof PIPEDRIVE_LEAD_FIELDS)[PipedriveLeadType] | undefined;
  if (!field)
    throw new UnloggableCallError(
      `lead.type ${JSON.stringify(lead.type)} is not a Pipedrive record kind (person, organization, deal, lead)`,
    );
  if (field === 'lead_id') {
    if (!UUID.test(lead.id)) throw new UnloggableCallError('lead.id of a Pipedrive lead must be a UUID');
    return { lead_id: lead.id.toLowerCase() };
  }
  if (!POSITIVE_INT.test(lead.id)) throw new UnloggableCallError(`lead.id of a Pipedrive ${type} must be a positive integer`);
  return { [field]: Number(lead.id) };
}

/** The agent's Pipedrive user id, the call log's owner; undefined when it is not one (the token's user owns it). */
export function ownerOf(call: Pick<StoredCall, 'agent'>): number | undefined {
  const id = call.agent.crmUserId;
  return id !== undefined && POSITIVE_INT.test(id) ? Number(id) : undefined;
}

const STATE_WORDS: Record<string, string> = {
  completed: 'answered',
  no_answer: 'not answered',
  busy: 'busy',
  failed: 'failed',
  rejected: 'refused before dialling',
  not_sent: 'not sent',
  cancelled: 'cancelled',
};

/** The call log's body for a call in a final state with a lead. Throws UnloggableCallError when it cannot be logged. */
export function callLogBodyOf(call: StoredCall): PipedriveCallLogBody {
  if (!call.lead) throw new UnloggableCallError('the call has no lead to log it on');
  const lead = call.lead;
  const startIso = callStartOf(call);
  const start = pipedriveTime(startIso);
  const end = pipedriveTime(callEndOf(call, startIso));
  const seconds = talkSecondsOf(call);
  const words = STATE_WORDS[call.state] ?? call.state;
  const owner = ownerOf(call);
  return {
    outcome: pipedriveOutcomeOf(call),
    to_phone_number: call.to,
    start_time: start,
    end_time: end,
    duration: String(seconds),
    subject: `Outbound call (${words})`,
    note: noteOf(call, words, seconds),
    ...(owner !== undefined ? { user_id: owner } : {}),
    ...leadFieldOf(lead),
  };
}

/** The note (HTML): what a CRM user reads on the timeline, and our call id for the lookup. Every value is escaped. */
function noteOf(call: StoredCall, words: string, seconds: number): string {
  const agent = call.agent.email ?? call.agent.crmUserId ?? call.agent.extension ?? 'unknown';
  const items = [
    `Agent: ${escapeHtml(agent)}`,
    `Outcome: ${escapeHtml(call.state)} (${escapeHtml(words)})${call.reason ? `, reason: ${escapeHtml(call.reason)}` : ''}`,
    `Talk time: ${seconds} s`,
  ];
  if (call.outcome.hangupCause) items.push(`Hangup cause: ${escapeHtml(call.outcome.hangupCause)}`);
  const recording = call.outcome.recordingUrl;
  if (recording && /^https?:\/\//i.test(recording))
    items.push(`Recording: <a href="${escapeHtml(recording)}">${escapeHtml(recording)}</a>`);
  items.push(callIdMarker(call.callId));
  return `<p>Outbound call placed by click-to-call.</p><ul>${items.map((i) => `<li>${i}</li>`).join('')}</ul>`;
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
