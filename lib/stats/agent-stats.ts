import * as z from 'zod';
import { crmUserIdSchema } from '../model/agent';
import type { CallQueries, StoredCall } from '../store/calls';
import { isTimeZone, localDate, nextDate, startOfLocalDay } from '../time/zone';
import { isWaiting, type CallState } from '../model/call';
import { DomainError } from '../model/domain-error';

/** The longest range one request may cover. */
export const MAX_RANGE_DAYS = 31;
/**
 * Calls one report reads at most (the read budget charges it for those it read: lib/compose/read-budget.ts). Past that the
 * request is refused, not cut short: a report that silently left calls out would under-count the agents it shows.
 */
export const MAX_CALLS_PER_REPORT = 10_000;

const calendarDate = z.iso.date();

/** Query string of `GET /v1/stats/agents`. */
export const agentStatsQuerySchema = z
  .strictObject({
    from: calendarDate,
    to: calendarDate,
    agent: crmUserIdSchema.optional(),
    tz: z.string().max(64).refine(isTimeZone, 'not an IANA time zone (e.g. Europe/London)').default('UTC'),
  })
  .refine((q) => q.from <= q.to, { message: '"from" must not be after "to"', path: ['from'] })
  .refine((q) => daysBetween(q.from, q.to) < MAX_RANGE_DAYS, { message: `at most ${MAX_RANGE_DAYS} days`, path: ['to'] });
export type AgentStatsQuery = z.infer<typeof agentStatsQuerySchema>;

export interface AgentDayStats {
  crmUserId: string;
  /** Local date in the requested zone. */
  date: string;
  /** Calls that reached the PBX (or may have): everything but `rejected`, `not_sent`, `cancelled`, `accepted` and the waiting states. */
  calls: number;
  answered: number;
  /** answered / calls, 4 decimals. */
  answerRate: number;
  /** Sum of billed seconds. */
  talkTimeSec: number;
  /** Calls refused before the PBX (`rejected`), never sent (`not_sent`) or cancelled before they were sent (`cancelled`). */
  notPlaced: number;
}

export interface AgentStatsReport {
  from: string;
  to: string;
  tz: string;
  /** Per agent and day with any call, by agent then date. */
  days: AgentDayStats[];
  /** Per agent over the whole range. */
  agents: Array<Omit<AgentDayStats, 'date'>>;
}

/** The range holds more calls than one report may read. */
export class StatsRangeTooLargeError extends DomainError {
  constructor() {
    super('range_too_large', `The range holds more than ${MAX_CALLS_PER_REPORT} calls: ask for fewer days, or one agent.`);
    this.name = 'StatsRangeTooLargeError';
  }
}

const NOT_PLACED: readonly CallState[] = ['rejected', 'not_sent', 'cancelled'];

/**
 * Per agent and day: calls, answered, answer rate and talk time, computed from the calls index over
 * the range (local days in `tz`), read page by page.
 *
 * @throws {StatsRangeTooLargeError} past {@link MAX_CALLS_PER_REPORT} calls
 */
export async function agentStats(
  calls: Pick<CallQueries, 'forEachCreatedBetween'>,
  tenantId: string,
  query: AgentStatsQuery,
): Promise<AgentStatsReport> {
  const fromIso = startOfLocalDay(query.from, query.tz).toISOString();
  const toIso = startOfLocalDay(nextDate(query.to), query.tz).toISOString();
  const byDay = new Map<string, AgentDayStats>();
  const complete = await calls.forEachCreatedBetween(
    tenantId,
    { fromIso, toIso, crmUserId: query.agent, maxItems: MAX_CALLS_PER_REPORT },
    (page) => {
      for (const call of page) {
        if (!call.crmUserId) continue;
        const date = localDate(query.tz, new Date(call.createdAt));
        const key = `${call.crmUserId}\u0000${date}`;
        let row = byDay.get(key);
        if (!row) byDay.set(key, (row = { crmUserId: call.crmUserId, date, ...emptyCounts() }));
        count(row, call);
      }
    },
  );
  if (!complete) throw new StatsRangeTooLargeError();

  const days = [...byDay.values()].sort((a, b) => a.crmUserId.localeCompare(b.crmUserId) || a.date.localeCompare(b.date));
  const totals = new Map<string, Omit<AgentDayStats, 'date'>>();
  for (const day of days) {
    let total = totals.get(day.crmUserId);
    if (!total) totals.set(day.crmUserId, (total = { crmUserId: day.crmUserId, ...emptyCounts() }));
    total.calls += day.calls;
    total.answered += day.answered;
    total.talkTimeSec += day.talkTimeSec;
    total.notPlaced += day.notPlaced;
  }
  for (const row of [...days, ...totals.values()])
    row.answerRate = row.calls ? Math.round((row.answered / row.calls) * 10_000) / 10_000 : 0;
  return { from: query.from, to: query.to, tz: query.tz, days, agents: [...totals.values()] };
}

function emptyCounts() {
  return { calls: 0, answered: 0, answerRate: 0, talkTimeSec: 0, notPlaced: 0 };
}

function count(row: Omit<AgentDayStats, 'date'>, call: Pick<StoredCall, 'state' | 'outcome'>): void {
  if (NOT_PLACED.includes(call.state)) {
    row.notPlaced++;
    return;
  }
  // Not placed yet: a scheduled or queued call counts once it is sent (or ends without being sent).
  if (call.state === 'accepted' || isWaiting(call.state)) return;
  row.calls++;
  if (call.state === 'answered' || call.state === 'completed' || call.outcome?.hangupClass === 'answered') row.answered++;
  row.talkTimeSec += call.outcome?.billSec ?? 0;
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}
