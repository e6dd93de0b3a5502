import { api } from '../api';
import { $, el, select } from '../dom';
import { rfc3339Local } from '../logic/format';
import { availabilityDetail, availabilityText } from '../logic/teams';
import { networkProblem, problemNode } from '../problem';
import { state } from '../state';
import type { Agent } from '../types';
import { refresh } from './refresh';

/** The away toggle: away from now (for the chosen time, or until set back), or available again. */
export function toggleAvailability(crmUserId: string, available: boolean) {
  if (state.toggling.has(crmUserId)) return Promise.resolve();
  const mine = state.generation;
  const body: { available: boolean; until?: string } = { available: available };
  const forSec = Number(select('away-for').value);
  if (!available && forSec > 0) body.until = rfc3339Local(new Date(Date.now() + forSec * 1000));
  state.toggling.add(crmUserId);
  const result = $('teams-result');
  $('teams-list')
    .querySelectorAll('button[data-toggle="' + CSS.escape(crmUserId) + '"]')
    .forEach((b) => ((b as HTMLButtonElement).disabled = true));
  return api<Agent>('/v1/agents/' + encodeURIComponent(crmUserId) + '/availability', {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
    .then(
      (answer) => {
        if (mine !== state.generation) return;
        const agent = answer.body;
        if (answer.ok && agent && agent.availability) {
          const detail = availabilityDetail(agent.availability);
          result.replaceChildren(
            el(
              'div',
              { 'data-agent': crmUserId, 'data-status': answer.status },
              el('span', { class: 'ok' }, answer.status + ' '),
              el('code', null, crmUserId),
              ' is ' + availabilityText(agent.availability.state) + (detail ? ' ' + detail : '') + '.',
            ),
          );
        } else {
          result.replaceChildren(problemNode(answer));
        }
      },
      (error: unknown) => {
        if (mine === state.generation) result.replaceChildren(networkProblem(error));
      },
    )
    .then(() => {
      state.toggling.delete(crmUserId);
      if (mine === state.generation) return refresh({ agents: true });
    });
}
