import { CALL_STATES } from '../../../model/call-states';
import { api } from '../api';
import { $, el, input, select } from '../dom';
import { bodyOf, query } from '../logic/answer';
import { anyFilter, callsCountText } from '../logic/calls';
import { clock } from '../logic/format';
import { problemNode } from '../problem';
import { CALLS_LIMIT, STATS_AFTER_CHANGE_MS, state } from '../state';
import type { Call } from '../types';
import { callItem } from './call-item';

/** The recent calls (`GET /v1/calls`) under the filters by lead, agent and state; each call drawn by call-item.ts. */
export function loadCalls() {
  const mine = state.generation;
  const request = ++state.callsRequests;
  const asked = state.filters;
  return api<{ calls?: Call[] }>(
    '/v1/calls' + query({ limit: CALLS_LIMIT, leadId: asked.leadId, agent: asked.agent, state: asked.state }),
  ).then((answer) => {
    // A slower answer to an earlier request (other filters, perhaps) must not overwrite a newer one.
    if (mine !== state.generation || request !== state.callsRequests) return;
    const list = $('calls-list');
    if (!answer.ok) {
      state.callsSignature = '';
      list.replaceChildren(el('li', null, problemNode(answer)));
      return;
    }
    const calls = bodyOf(answer).calls || [];
    const signature = JSON.stringify([asked, state.placedCallIds, calls, state.cancelVersion]);
    $('calls-updated').textContent = 'updated ' + clock(new Date().toISOString());
    if (signature === state.callsSignature) return;
    // The list changed: the figures follow soon after, not at their next quarter-minute.
    if (state.callsSignature) state.statsDueAt = Math.min(state.statsDueAt, Date.now() + STATS_AFTER_CHANGE_MS);
    state.callsSignature = signature;
    list.replaceChildren(
      ...(calls.length
        ? calls.map(callItem)
        : [el('li', { class: 'muted' }, anyFilter(state.filters) ? 'No call matches these filters.' : 'No calls yet: place one.')]),
    );
    $('calls-count').textContent = callsCountText(calls.length, CALLS_LIMIT, anyFilter(state.filters));
  });
}

/** The state filter's choices: any state, or one of the call's life. */
export function fillStateFilter() {
  select('filter-state').replaceChildren(
    el('option', { value: '' }, 'any state'),
    ...CALL_STATES.map((s) => el('option', { value: s }, s)),
  );
}

export function applyFilters(event?: Event) {
  if (event) event.preventDefault();
  state.filters = { leadId: input('filter-lead').value.trim(), agent: select('filter-agent').value, state: select('filter-state').value };
  return loadCalls();
}

export function clearFilters() {
  input('filter-lead').value = '';
  select('filter-agent').value = '';
  select('filter-state').value = '';
  return applyFilters();
}
