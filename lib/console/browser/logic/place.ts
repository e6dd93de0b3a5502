import type { Call, PendingAttempt, PlaceBody } from '../types';
import { rfc3339Local, when } from './format';

/** The call form's request, its Idempotency-Key across retries, and its answer in words. Pure (no DOM). */

/** The form's fields as typed (the select's and inputs' values). */
export interface PlaceFields {
  byTeam: boolean;
  agent: string;
  team: string;
  to: string;
  lead: string;
  wait: string;
  notBefore: string;
}

/** The body of `POST /v1/calls`, its keys in the order the console has always sent them. */
export function placeBody(fields: PlaceFields): PlaceBody {
  const to = fields.to.trim();
  const body: PlaceBody = fields.byTeam ? { team: fields.team, to: to } : { agent: { crmUserId: fields.agent }, to: to };
  const lead = fields.lead.trim();
  if (lead) body.lead = { id: lead };
  const wait = fields.wait.trim();
  if (fields.byTeam && wait) body.maxWaitSec = Number(wait);
  // datetime-local is wall-clock time without a zone: read as the browser's local time and sent with its offset.
  const notBefore = fields.notBefore;
  if (notBefore) {
    const at = new Date(notBefore);
    // A browser without datetime-local shows a text box: what it cannot read goes as typed, and the API names the field.
    body.notBefore = isNaN(at.getTime()) ? notBefore : rfc3339Local(at);
  }
  return body;
}

/** Same request again after no definite answer (network error, 5xx): same key, so the service never dials twice. */
export function nextAttempt(pending: PendingAttempt | null, signature: string, freshKey: () => string): PendingAttempt {
  return { signature: signature, key: pending && pending.signature === signature ? pending.key : freshKey() };
}

/** After an answer: a definite one (below 500) settles the attempt; a 5xx keeps its key for the retry. */
export function afterAnswer(pending: PendingAttempt | null, status: number): PendingAttempt | null {
  return status < 500 ? null : pending;
}

/** What the accepted request became, in words. */
export function placedText(status: number, call: Call) {
  if (call.duplicate) return 'Already placed (same Idempotency-Key): state ' + call.state + '.';
  if (call.state === 'scheduled') {
    const due = call.schedule ? when(call.schedule.notBefore) : '';
    const why = call.schedule && call.schedule.reason === 'calling_hours' ? ', when the lead\u2019s calling hours open' : '';
    return 'Scheduled: it dials at ' + due + why + '. Until then it can be cancelled in the list.';
  }
  if (call.state === 'queued') {
    return (
      'Queued: no agent of ' +
      (call.team || 'the team') +
      ' is free; it waits for one until ' +
      when(call.queue && call.queue.until) +
      ', then ends not_sent.'
    );
  }
  if (status === 202) return 'Sent, but the PBX\u2019s answer was lost: state ' + call.state + '. It is reconciled, never re-sent.';
  const chosen = call.routing && call.routing.chosen;
  return 'The PBX accepted it: ' + call.state + (chosen ? ', for ' + chosen + ' of ' + (call.team || 'the team') : '') + '.';
}
