import type { CallState } from '../../../model/call-states';
import type { Call, CallEvent, CallLogged, Filters } from '../types';
import { clock, count, seconds } from './format';

/** What the calls list says about a call, in words. Pure (no DOM): unit-tested in Node. */

/** The states a call waits in for the scheduler, the only ones a cancel stops (lib/model/call.ts, WAITING_STATES). */
const WAITING: readonly CallState[] = ['scheduled', 'queued'];
export const isWaiting = (state: string) => WAITING.some((s) => s === state);

/** The states a call ends in: nobody is on it any more (lib/model/call.ts, the states of the highest rank). */
const ENDED: readonly CallState[] = ['completed', 'no_answer', 'busy', 'failed', 'rejected', 'not_sent', 'cancelled'];
export const isEnded = (state: string) => ENDED.some((s) => s === state);

const PASS_REASON_TEXT: Record<string, string> = {
  placing_call: 'placing a call',
  on_call: 'on a call',
  away: 'away',
  rate_limited: 'over its per-minute cap',
  incomplete: 'its record unusable',
  shorter_idle: 'idle for less time',
};
/** Why the team router passed a member over (an unknown reason as the API wrote it). */
export const passReasonText = (reason: string) => PASS_REASON_TEXT[reason] || reason;

/** Whom the call is for: its agent, or (not chosen yet) any agent of its team, or the agent as the request named it. */
export function callWho(call: Call) {
  const agent = call.agent || {};
  if (agent.crmUserId) return agent.crmUserId + (agent.extension ? ' (ext ' + agent.extension + ')' : '');
  if (call.team) return 'an agent of ' + call.team;
  return agent.email || (agent.extension ? 'ext ' + agent.extension : '?');
}

export function anyFilter(filters: Filters) {
  return Boolean(filters.leadId || filters.agent || filters.state);
}

/** The list's heading: how many calls it shows (a full page is "the newest"), and whether filtered. */
export function callsCountText(shown: number, limit: number, filtered: boolean) {
  return (shown === limit ? 'the newest ' + shown : count(shown, 'call', 'calls')) + ', newest first' + (filtered ? ', filtered' : '');
}

/** Each chip's time on the timeline: the first event's clock, each later one as the time after it. */
export function timelineLabels(events: CallEvent[]) {
  const first = events[0] ? new Date(events[0].at).getTime() : 0;
  return events.map((event, i) => (i === 0 ? clock(event.at) : '+' + seconds(new Date(event.at).getTime() - first)));
}

const CRM_TITLES: Record<string, string> = { hubspot: 'HubSpot', pipedrive: 'Pipedrive', salesforce: 'Salesforce' };

/** The CRM record a call is about, in words: "contact 1051", or the bare id when the request named no kind. */
export function recordText(lead: { id?: string; type?: string | null }) {
  return (lead.type ? lead.type + ' ' : 'record ') + (lead.id || '?');
}

/** One CRM's line of a call's "logged in" (the call resource's `logged`): where, or why not (yet). */
export function loggedText(entry: CallLogged, record: string | null) {
  const crm = CRM_TITLES[entry.crm] || entry.crm;
  const on = record ? ' on ' + record : '';
  const why = entry.error ? ': ' + entry.error : '';
  switch (entry.state) {
    case 'logged':
      return (
        'logged in ' +
        crm +
        on +
        (entry.remoteId ? ' as activity ' + entry.remoteId : '') +
        (entry.error ? ' (update pending' + why + ')' : '')
      );
    case 'pending':
      return 'to be logged in ' + crm + on + (entry.error ? ', retrying' + why : '');
    case 'held':
      return 'not logged in ' + crm + ' yet: the connection is held' + why + ' (c2c doctor)';
    case 'dead':
      return 'not logged in ' + crm + ': given up' + why + ' (c2c crm redrive)';
    case 'skipped':
      return 'not logged in ' + crm + ': the tenant does not log this outcome, or the call has no lead';
    default:
      return entry.state + ' in ' + crm;
  }
}
