import { CALL_STATES } from '../../../model/call-states';
import { api } from '../api';
import { $, el, input, select } from '../dom';
import { bodyOf, query } from '../logic/answer';
import { anyFilter, callsCountText } from '../logic/calls';
import { clock } from '../logic/format';
import { problemNode } from '../problem';
import { CALLS_LIMIT, STATS_AFTER_CHANGE_MS, state } from '../state';
import type { Answer, Call, Filters } from '../types';
import { callItem } from './call-item';

/** The recent calls (`GET /v1/calls`) under the filters by lead, agent and state, for panels/refresh.ts. */
export function readCalls(asked: Filters) {
  return api<{ calls?: Call[] }>('/v1/calls' + query({ limit: CALLS_LIMIT, leadId: asked.leadId, agent: asked.agent, state: asked.state }));
}

/** The list from the calls read under `asked`, each call drawn by call-item.ts; kept in the state for the team view. */
export function drawCalls(asked: Filters, answer: Answer<{ calls?: Call[] }>) {
  const list = $('calls-list');
  if (!answer.ok) {
    state.callsSignature = '';
    state.calls = [];
    list.replaceChildren(el('li', null, problemNode(answer)));
    return;
  }
  const calls = (state.calls = bodyOf(answer).calls || []);
  const signature = JSON.stringify([asked, state.placedCallIds, calls, state.cancelVersion]);
  $('calls-updated').textContent = 'updated ' + clock(new Date().toISOString());
  if (signature === state.callsSignature) return;
  // The list changed: the figures follow soon after, not at their next quarter-minute.
  if (state.callsSignature) state.statsDueAt = Math.min(state.statsDueAt, Date.now() + STATS_AFTER_CHANGE_MS);
  state.callsSignature = signature;
  list.replaceChildren(
    ...(calls.length
      ? calls.map(callItem)
      : [el('li', { class: 'muted' }, anyFilter(asked) ? 'No call matches these filters.' : 'No calls yet: place one.')]),
  );
  $('calls-count').textContent = callsCountText(calls.length, CALLS_LIMIT, anyFilter(asked));
}

/** The state filter's choices: any state, or one of the call's life. */
export function fillStateFilter() {
  select('filter-state').replaceChildren(
    el('option', { value: '' }, 'any state'),
    ...CALL_STATES.map((s) => el('option', { value: s }, s)),
  );
}

/** The filters as the operator set them: the next refresh reads the list under them. */
export function takeFilters() {
  state.filters = { leadId: input('filter-lead').value.trim(), agent: select('filter-agent').value, state: select('filter-state').value };
}

export function clearFilters() {
  input('filter-lead').value = '';
  select('filter-agent').value = '';
  select('filter-state').value = '';
  takeFilters();
}
