import { AGENTS_EVERY_MS, state } from '../state';
import { readAgents, showAgents, type AgentsAnswers } from './agents';
import { drawCalls, readCalls } from './calls';
import { drawTeams } from './teams';

/**
 * One refresh of the calls list and the team view, so the two never disagree: it reads the calls, and the agents and
 * teams too when AGENTS_EVERY_MS have passed since they were last read (or when asked: after a toggle or a placed
 * call), then draws both from that one snapshot. The team view says of each agent what the list says of its call
 * (logic/teams.ts, shownAvailability). main.ts runs it every CALLS_EVERY_MS; the reads are those of the two loops it
 * replaces (the calls every tick, the agents and teams every AGENTS_EVERY_MS at most), no more.
 */
export function refresh(options: { agents?: boolean } = {}) {
  const mine = state.generation;
  const request = ++state.refreshes;
  const asked = state.filters;
  const now = Date.now();
  const withAgents = options.agents === true || now - state.agentsReadAt >= AGENTS_EVERY_MS;
  if (withAgents) state.agentsReadAt = now;
  const agentsRead: Promise<AgentsAnswers | null> = withAgents ? readAgents() : Promise.resolve(null);
  return Promise.all([readCalls(asked), agentsRead]).then(([callsAnswer, agentsAnswers]) => {
    // A slower answer to an earlier refresh (other filters, or from before a toggle) must not overwrite a newer one;
    // the agents it read are read again at the next tick, unless a later refresh reads them.
    if (mine !== state.generation || request !== state.refreshes) {
      if (withAgents && state.agentsReadAt === now) state.agentsReadAt = 0;
      return;
    }
    if (agentsAnswers) showAgents(agentsAnswers);
    drawCalls(asked, callsAnswer);
    drawTeams();
  });
}
