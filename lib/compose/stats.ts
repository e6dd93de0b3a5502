import { agentStats, type AgentStatsQuery } from '../stats/agent-stats';
import { perRoot } from './root';
import { calls } from './call-store';

// What functions/stats-agents.ts reads besides the use case: the query's schema and the refusal of a range too large.
export { agentStatsQuerySchema } from '../stats/agent-stats';

/** GET /v1/stats/agents: per agent and day, calls, answered, answer rate, talk time. */
export const agentStatsUseCase = perRoot((r) => {
  const queries = calls(r).queries;
  return { execute: (tenantId: string, query: AgentStatsQuery) => agentStats(queries, tenantId, query) };
});
