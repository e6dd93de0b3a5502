import type { Agent, PendingAttempt, TeamSummary } from './types';

/**
 * What the page remembers between refreshes, in one object the panels share (an imported `let` cannot be assigned
 * by its importers). `generation` counts connections: an answer to a request of an earlier one is dropped.
 */

export const KEY_STORAGE = 'c2c.console.apiKey';
export const CALLS_EVERY_MS = 2000;
export const SIM_EVERY_MS = 1000;
export const STATS_EVERY_MS = 15000;
export const STATS_AFTER_CHANGE_MS = 1000;
// Agents and teams together: availability changes with every call, so the team view refreshes often (two reads).
export const AGENTS_EVERY_MS = 5000;
export const HEALTH_EVERY_MS = 60000;
export const CALLS_LIMIT = 25;
export const STATS_DAYS = 7;

export const state = {
  /** While connected. */
  session: null as { key: string; generation: number } | null,
  generation: 0,
  agents: [] as Agent[],
  teams: [] as TeamSummary[],
  selectsSignature: '',
  agentsRequests: 0,
  /** Calls with a DELETE under way, and the answer of each cancel: kept across redraws of the list. */
  cancelling: new Set<string>(),
  cancelNotes: new Map<string, HTMLElement>(),
  cancelVersion: 0,
  toggling: new Set<string>(),
  filters: { leadId: '', agent: '', state: '' },
  placedCallIds: [] as string[],
  callsSignature: '',
  callsRequests: 0,
  statsDueAt: 0,
  /** The last call request without a definite answer: a retry reuses its key. */
  pendingAttempt: null as PendingAttempt | null,
};
