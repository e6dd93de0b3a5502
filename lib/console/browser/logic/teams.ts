import type { Agent, Availability, Call, TeamSummary } from '../types';
import { isEnded } from './calls';
import { count, when } from './format';

/** What the team view says about teams and agents, in words. Pure (no DOM): unit-tested in Node. */

const AVAILABILITY_TEXT: Record<string, string> = {
  available: 'free',
  placing_call: 'placing a call',
  on_call: 'on a call',
  away: 'away',
};
export const availabilityText = (state: string) => AVAILABILITY_TEXT[state] || state;

/** What more the availability says: until when, on which call, free since when. */
export function availabilityDetail(a: Availability) {
  switch (a.state) {
    case 'away':
      return a.until ? 'until ' + when(a.until) : 'until set back';
    case 'on_call':
      // Its `until` is a safety net (when the call stops counting without a Call End), not when it ends: left out.
      return a.busyCallId ? a.busyCallId : '';
    case 'available':
      return a.until ? 'away from ' + when(a.until) : a.idleSince ? 'free since ' + when(a.idleSince) : '';
    default:
      return '';
  }
}

/** The states in which a call holds its agent: being placed, ringing, talking. */
const HOLDING: Record<string, string> = { dispatching: 'placing_call', dialing: 'on_call', answered: 'on_call' };

/**
 * What the team view shows an agent doing, from the same refresh as the calls list, so the two never disagree: the
 * API's availability, except when it has the agent on a call that the list shows ended (the agent's presence follows
 * the PBX's Call End a moment later, and without PBX Stats events only when its ring time runs out). The agent is then
 * on its newest call the list shows placed since, if any, else free since that call ended.
 */
export function shownAvailability(agent: Agent, calls: Call[]): Availability {
  const availability = agent.availability || { state: 'unknown' };
  if (availability.state !== 'on_call' || !availability.busyCallId) return availability;
  const busy = calls.filter((c) => c.callId === availability.busyCallId)[0];
  if (!busy || !isEnded(busy.state)) return availability;
  const later = calls
    .filter((c) => c.agent && c.agent.crmUserId === agent.crmUserId && HOLDING[c.state] && c.createdAt > busy.createdAt)
    .sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1))[0];
  if (later) return { state: HOLDING[later.state]!, busyCallId: later.callId };
  const endedAt = (busy.outcome && busy.outcome.endedAt) || busy.updatedAt;
  return endedAt ? { state: 'available', idleSince: endedAt } : { state: 'available' };
}

/** Every team: those `GET /v1/teams` counts, and any an agent of the list names; sorted. */
export function teamNames(teams: TeamSummary[], agents: Agent[]) {
  const names: string[] = teams.map((t) => t.team);
  agents.forEach((a) => (a.teams || []).forEach((t) => names.indexOf(t) < 0 && names.push(t)));
  return names.sort();
}

/**
 * A team's size and its note: members by availability. The counts are of the members drawn, read together with them;
 * the team may have more than the first 500 agents (then the summary's count, and how many are shown).
 */
export function teamHeading(name: string, members: Agent[], summary: TeamSummary | undefined) {
  const counts: Record<string, number> = {};
  members.forEach((m) => {
    const state = m.availability ? m.availability.state : 'unknown';
    counts[state] = (counts[state] || 0) + 1;
  });
  const total = summary ? Math.max(summary.members, members.length) : members.length;
  const note = [
    count(total, name ? 'member' : 'agent', name ? 'members' : 'agents') +
      (total > members.length ? ' (' + members.length + ' shown)' : ''),
    (counts.available || 0) + ' free',
    counts.placing_call ? counts.placing_call + ' placing a call' : '',
    (counts.on_call || 0) + ' on a call',
    (counts.away || 0) + ' away',
  ]
    .filter(Boolean)
    .join(' \u00b7 ');
  return { total: total, note: note };
}

/** An agent as the selects list it. */
export function agentOptionText(a: Agent) {
  return a.crmUserId + ' (ext ' + a.extension + (a.name ? ', ' + a.name : '') + ')';
}
