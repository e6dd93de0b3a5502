import { api } from '../api';
import { $, el, input, select } from '../dom';
import { offsetOf, pad, timeZone } from '../logic/format';
import { afterAnswer, nextAttempt, placeBody, placedText } from '../logic/place';
import { networkProblem, problemNode } from '../problem';
import { state } from '../state';
import type { Call } from '../types';
import { refresh } from './refresh';

/** The call form: for an agent or any free agent of a team, now or later (`POST /v1/calls`). */

function newIdempotencyKey() {
  // randomUUID exists only in secure contexts (https, loopback): elsewhere, 16 random bytes in hex.
  if (typeof crypto.randomUUID === 'function') return 'console-' + crypto.randomUUID();
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return 'console-' + Array.from(bytes, (b) => pad(b.toString(16))).join('');
}

function placingTeam() {
  return select('place-by').value === 'team';
}

/** Agent or team: the other's fields are hidden and disabled, so the form neither sends nor validates them. */
export function showPlaceBy() {
  const team = placingTeam();
  $('place-agent-field').hidden = team;
  select('place-agent').disabled = team;
  $('place-team-field').hidden = !team;
  select('place-team').disabled = !team;
  $('place-wait-field').hidden = !team;
  input('place-wait').disabled = !team;
}

/** The hint beside "not before": the zone its wall-clock time is read in. */
export function showPlaceTimeZone() {
  const now = new Date();
  $('place-tz').textContent = ' your time: ' + timeZone() + ' (UTC' + offsetOf(now) + '); empty: now';
}

export function placeCall(event: Event) {
  event.preventDefault();
  const body = placeBody({
    byTeam: placingTeam(),
    agent: select('place-agent').value,
    team: select('place-team').value,
    to: input('place-to').value,
    lead: input('place-lead').value,
    wait: input('place-wait').value,
    notBefore: input('place-not-before').value,
  });
  const signature = JSON.stringify(body);
  const attempt = (state.pendingAttempt = nextAttempt(state.pendingAttempt, signature, newIdempotencyKey));
  const button = $<HTMLButtonElement>('place-submit');
  const result = $('place-result');
  button.disabled = true;
  result.replaceChildren(el('span', { class: 'muted' }, 'Placing the call\u2026'));
  return api<Call>('/v1/calls', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': attempt.key },
    body: signature,
  })
    .then(
      (answer) => {
        state.pendingAttempt = afterAnswer(state.pendingAttempt, answer.status);
        const call = answer.body;
        if (answer.ok && call && call.callId) {
          if (state.placedCallIds.indexOf(call.callId) < 0) state.placedCallIds.unshift(call.callId);
          result.replaceChildren(
            el(
              'div',
              { 'data-call-id': call.callId, 'data-state': call.state },
              el('span', { class: 'ok' }, answer.status + ' '),
              placedText(answer.status, call),
              el('br', null),
              el('code', null, call.callId),
            ),
          );
          // The agent is now placing a call, or on one: the list and the team view show it without waiting for the next tick.
          void refresh({ agents: true });
        } else {
          result.replaceChildren(problemNode(answer));
        }
      },
      (error: unknown) => {
        result.replaceChildren(
          networkProblem(error),
          el('p', { class: 'muted' }, 'Press Call again: the same Idempotency-Key is sent, so it cannot dial twice.'),
        );
      },
    )
    .then(() => {
      button.disabled = false;
    });
}
