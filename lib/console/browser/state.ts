import type { Agent, Answer, Call, PendingAttempt, TeamSummary } from './types';

/**
 * What the page remembers between refreshes, in one object the panels share (an imported `let` cannot be assigned
 * by its importers). `generation` counts connections: an answer to a request of an earlier one is dropped.
 */

export const KEY_STORAGE = 'c2c.console.apiKey';
/** The refresh of the calls list and the team view (panels/refresh.ts): the calls every tick. */
export const CALLS_EVERY_MS = 2000;
export const SIM_EVERY_MS = 1000;
export const STATS_EVERY_MS = 15000;
export const STATS_AFTER_CHANGE_MS = 1000;
// Agents and teams together, read in the tick of the calls once this long has passed since the last time they were
// read: availability changes with every call, so the team view refreshes often (two reads).
export const AGENTS_EVERY_MS = 5000;
export const HEALTH_EVERY_MS = 60000;
/** The subscriptions and their last deliveries: a list and one log read per subscription. */
export const SUBSCRIPTIONS_EVERY_MS = 15000;
export const CALLS_LIMIT = 25;
export const STATS_DAYS = 7;

export const state = {
  /** While connected. */
  session: null as { key: string; generation: number } | null,
  generation: 0,
  agents: [] as Agent[],
  teams: [] as TeamSummary[],
  /** The failed answer of the last read of the agents, or of the teams, shown in the team view; null when it read. */
  agentsProblem: null as Answer<unknown> | null,
  teamsProblem: null as Answer<unknown> | null,
  /** When the agents and teams were last asked for (ms): they are read again in the first tick AGENTS_EVERY_MS later. */
  agentsReadAt: 0,
  selectsSignature: '',
  teamsSignature: '',
  /** The calls of the list as last drawn: the team view says of each agent what the list says of its call. */
  calls: [] as Call[],
  /** Counts refreshes: an answer to one that a later one overtook is dropped. */
  refreshes: 0,
  /** Calls with a DELETE under way, and the answer of each cancel: kept across redraws of the list. */
  cancelling: new Set<string>(),
  cancelNotes: new Map<string, HTMLElement>(),
  cancelVersion: 0,
  toggling: new Set<string>(),
  filters: { leadId: '', agent: '', state: '' },
  placedCallIds: [] as string[],
  callsSignature: '',
  statsDueAt: 0,
  /** The last call request without a definite answer: a retry reuses its key. */
  pendingAttempt: null as PendingAttempt | null,
};
