import { api } from '../api';
import { $, el, select } from '../dom';
import { bodyOf, query } from '../logic/answer';
import { clock } from '../logic/format';
import { agentOptionText, teamNames } from '../logic/teams';
import { problemNode } from '../problem';
import { state } from '../state';
import type { Agent, Answer, TeamSummary } from '../types';

export type AgentsAnswers = [Answer<{ agents?: Agent[] }>, Answer<{ teams?: TeamSummary[] }>];

/** The agents and the teams, read together (`GET /v1/agents` and `GET /v1/teams`), for panels/refresh.ts. */
export function readAgents(): Promise<AgentsAnswers> {
  return Promise.all([api<{ agents?: Agent[] }>('/v1/agents' + query({ limit: 500 })), api<{ teams?: TeamSummary[] }>('/v1/teams')]);
}

/**
 * What the agents and teams read says: kept for the team view (drawn by panels/refresh.ts with the calls of the same
 * refresh), and drawn here in the agents table and the agent and team selects of the filters and the call form.
 */
export function showAgents([agentsAnswer, teamsAnswer]: AgentsAnswers) {
  const target = $('agents-body');
  state.agentsProblem = agentsAnswer.ok ? null : agentsAnswer;
  state.teamsProblem = teamsAnswer.ok ? null : teamsAnswer;
  if (!agentsAnswer.ok) {
    target.replaceChildren(el('tr', null, el('td', { colspan: 5 }, problemNode(agentsAnswer))));
    return;
  }
  const agents = (state.agents = bodyOf(agentsAnswer).agents || []);
  // Without the summaries (an older API, a failed read) the teams still follow from the agents' own `teams`.
  state.teams = teamsAnswer.ok ? bodyOf(teamsAnswer).teams || [] : [];
  target.replaceChildren(
    ...(agents.length
      ? agents.map((a) =>
          el(
            'tr',
            { 'data-agent': a.crmUserId },
            el('td', null, el('code', null, a.crmUserId)),
            el('td', null, a.extension),
            el('td', null, a.name || ''),
            el('td', null, a.email || ''),
            el('td', null, (a.teams || []).join(', ')),
          ),
        )
      : [el('tr', null, el('td', { colspan: 5, class: 'muted' }, 'No agents yet: PUT /v1/agents/{crmUserId} or c2c agent import.'))]),
  );
  $('teams-updated').textContent = 'updated ' + clock(new Date().toISOString());
  // Refilled only when they change: redrawing a select every few seconds would close it under the operator's pointer.
  const names = teamNames(state.teams, agents);
  const signature = JSON.stringify([agents.map((a) => [a.crmUserId, a.extension, a.name]), names]);
  if (signature === state.selectsSignature) return;
  state.selectsSignature = signature;
  fillAgentSelect(select('place-agent'), false);
  fillAgentSelect(select('filter-agent'), true);
  fillTeamSelect(select('place-team'), names);
}

function fillAgentSelect(target: HTMLSelectElement, withAny: boolean) {
  const current = target.value;
  const options = withAny ? [el('option', { value: '' }, 'any agent')] : [];
  state.agents.forEach((a) => {
    options.push(el('option', { value: a.crmUserId }, agentOptionText(a)));
  });
  target.replaceChildren(...options);
  if (current && state.agents.some((a) => a.crmUserId === current)) target.value = current;
}

function fillTeamSelect(target: HTMLSelectElement, names: string[]) {
  const current = target.value;
  target.replaceChildren(...names.map((name) => el('option', { value: name }, name)));
  if (current && names.indexOf(current) >= 0) target.value = current;
}
