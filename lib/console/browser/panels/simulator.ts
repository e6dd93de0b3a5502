import { $, el } from '../dom';
import { clock, errorText } from '../logic/format';
import { simPhaseText, simPlan } from '../logic/simulator';
import type { SimCall } from '../types';

/** The PBX simulator's latest calls (local stack only: the page names it in `data-simulator-url`, docs/console.md). */
export const simulatorUrl = document.body.getAttribute('data-simulator-url') || '';

export function loadSimulator() {
  return fetch(simulatorUrl + '/_sim/calls?limit=12', { cache: 'no-store', credentials: 'omit' })
    .then((res) => res.json() as Promise<{ calls?: SimCall[] }>)
    .then((answer) => {
      const list = $('sim-calls');
      const calls = answer.calls || [];
      $('sim-note').textContent = simulatorUrl + ' \u00b7 ' + clock(new Date().toISOString());
      list.replaceChildren(
        ...(calls.length ? calls.map(simItem) : [el('li', { class: 'muted' }, 'The simulator has placed no call yet.')]),
      );
    })
    .catch((error: unknown) => {
      $('sim-calls').replaceChildren(el('li', { class: 'muted' }, 'The simulator does not answer (' + errorText(error) + ').'));
    });
}

function simItem(call: SimCall) {
  return el(
    'li',
    { 'data-call-id': call.callId || '', 'data-phase': call.phase, 'data-unique-id': call.uniqueId },
    el('span', null, el('span', { class: 'phase phase-' + call.phase }, simPhaseText(call.phase))),
    el('span', null, 'ext ' + call.extension + ' \u2192 ', el('span', { class: 'mono' }, call.destination)),
    el('span', { class: 'sub' }, 'placed ' + clock(call.placedAt) + ' \u00b7 ' + simPlan(call) + ' \u00b7 ' + call.hangupCause),
    el('span', { class: 'sub' }, call.callId ? el('code', null, call.callId) : 'no c2c_call_id'),
  );
}
