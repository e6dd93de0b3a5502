import type { Agent, AgentDay, AgentTotals, DayFigures } from '../types';
import { count, duration, localDate, percent } from './format';

/** The per-agent daily figures: the days asked for and the words around the bars. Pure (no DOM): unit-tested in Node. */

export const NO_CALLS: DayFigures = { calls: 0, answered: 0, answerRate: 0, talkTimeSec: 0, notPlaced: 0 };

/** The last `days` local dates, oldest first, today last. */
export function statsRange(days: number, today: Date = new Date()) {
  const dates: string[] = [];
  for (let i = days - 1; i >= 0; i--) dates.push(localDate(new Date(today.getFullYear(), today.getMonth(), today.getDate() - i)));
  return dates;
}

/** The report's days, by agent and then by date. */
export function daysByAgent(days: AgentDay[]) {
  const byAgent: Record<string, Record<string, AgentDay>> = {};
  days.forEach((d) => {
    (byAgent[d.crmUserId] = byAgent[d.crmUserId] || {})[d.date] = d;
  });
  return byAgent;
}

/** One chart per agent, in the order of their ids. */
export function sortedTotals(totals: AgentTotals[]) {
  return totals.slice().sort((a, b) => a.crmUserId.localeCompare(b.crmUserId));
}

/** The tooltip of a day's bars. */
export function dayTip(date: string, crmUserId: string, d: DayFigures) {
  return (
    date +
    ' \u00b7 ' +
    crmUserId +
    ': ' +
    count(d.calls, 'call', 'calls') +
    ', ' +
    d.answered +
    ' answered (' +
    percent(d.answerRate) +
    '), talk ' +
    duration(d.talkTimeSec) +
    (d.notPlaced ? ', ' + d.notPlaced + ' not placed' : '')
  );
}

/** A chart's title: the agent's id, with its name and extension when the agents list has it. */
export function chartTitle(crmUserId: string, agent: Agent | undefined) {
  return crmUserId + (agent && agent.name ? ' \u00b7 ' + agent.name : '') + (agent ? ' (ext ' + agent.extension + ')' : '');
}

/** The totals under a chart. */
export function totalsCaption(total: DayFigures) {
  return (
    count(total.calls, 'call', 'calls') +
    ' \u00b7 ' +
    total.answered +
    ' answered (' +
    percent(total.answerRate) +
    ') \u00b7 talk ' +
    duration(total.talkTimeSec) +
    (total.notPlaced ? ' \u00b7 ' + total.notPlaced + ' not placed' : '')
  );
}
