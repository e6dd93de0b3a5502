import { $, el } from '../dom';
import { availabilityDetail, availabilityText, shownAvailability, teamHeading, teamNames } from '../logic/teams';
import { problemNode } from '../problem';
import { state } from '../state';
import type { Agent, TeamSummary } from '../types';

/**
 * The team view: each team with its members and what each is doing now, the agents in no team in a block of their
 * own, each member with the away toggle (panels/away-toggle.ts sends it). Drawn by panels/refresh.ts from the agents
 * and teams last read and the calls of the same refresh: an agent the API still has on a call the list shows ended is
 * not shown on it (logic/teams.ts, shownAvailability). Redrawn only when what it shows changed.
 */
export function drawTeams() {
  const agents = state.agents.map((a) => Object.assign({}, a, { availability: shownAvailability(a, state.calls) }));
  const signature = JSON.stringify([
    agents,
    state.teams,
    state.agentsProblem && state.agentsProblem.status,
    state.teamsProblem && state.teamsProblem.status,
    Array.from(state.toggling),
  ]);
  if (signature === state.teamsSignature) return;
  state.teamsSignature = signature;
  if (state.agentsProblem) {
    $('teams-list').replaceChildren(problemNode(state.agentsProblem));
    return;
  }
  const names = teamNames(state.teams, agents);
  const nodes: Node[] = [];
  if (state.teamsProblem) nodes.push(problemNode(state.teamsProblem));
  if (!names.length) nodes.push(el('p', { class: 'muted' }, 'No teams yet: give agents "teams" (PUT /v1/agents/{crmUserId}).'));
  names.forEach((name) => {
    const members = agents.filter((a) => (a.teams || []).indexOf(name) >= 0);
    nodes.push(teamBlock(name, members, state.teams.filter((t) => t.team === name)[0]));
  });
  // Agents in no team take no team call, but go away and come back like the others: the view shows them too.
  const loners = agents.filter((a) => !(a.teams || []).length);
  if (loners.length) nodes.push(teamBlock('', loners, undefined));
  $('teams-list').replaceChildren(...nodes);
}

/** One team (with no name: the agents in none), its members counted by availability, each with the away toggle. */
function teamBlock(name: string, members: Agent[], summary: TeamSummary | undefined) {
  const heading = teamHeading(name, members, summary);
  return el(
    'div',
    { class: name ? 'team' : 'team no-team', 'data-team': name, 'data-members': heading.total },
    el('h3', null, name || 'In no team', el('span', { class: 'note' }, heading.note)),
    el(
      'table',
      { class: 'members' },
      el(
        'tbody',
        null,
        members.map((m) => memberRow(name, m)),
      ),
    ),
  );
}

function memberRow(team: string, agent: Agent) {
  const availability = agent.availability || { state: 'unknown' };
  const away = availability.state === 'away';
  const detail = availabilityDetail(availability);
  return el(
    'tr',
    { 'data-team': team, 'data-agent': agent.crmUserId, 'data-availability': availability.state },
    el('td', { class: 'who' }, el('code', null, agent.crmUserId), agent.name ? el('div', { class: 'detail' }, agent.name) : null),
    el(
      'td',
      { class: 'now' },
      el('span', { class: 'avail avail-' + availability.state }, availabilityText(availability.state)),
      detail ? el('div', { class: 'detail' }, detail) : null,
    ),
    el(
      'td',
      { class: 'actions' },
      el(
        'button',
        {
          type: 'button',
          class: 'secondary small',
          'data-toggle': agent.crmUserId,
          'data-available': away ? 'true' : 'false',
          disabled: state.toggling.has(agent.crmUserId),
        },
        away ? 'Set available' : 'Set away',
      ),
    ),
  );
}
