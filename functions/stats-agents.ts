import { agentStatsQuerySchema, agentStatsUseCase } from '../lib/compose/stats';
import { READ_ITEMS, readBudget } from '../lib/compose/read-budget';
import { authenticator } from '../lib/compose/shared';
import { httpHandler, json, parseInput } from '../lib/http/handler';

const stats = agentStatsUseCase();
const reads = readBudget();

/**
 * GET /v1/stats/agents?from=YYYY-MM-DD&to=YYYY-MM-DD[&agent=][&tz=]: per agent and day, calls, answered, answer rate, talk time.
 * The read budget is charged, for the most calls a report reads, before any is read.
 */
export const handler = httpHandler({ scope: 'calls:read', authenticator: authenticator() }, async (req) => {
  const query = parseInput(agentStatsQuerySchema, req.query, 'query');
  await reads.charge(req.auth.tenant, READ_ITEMS.stats);
  return json(200, await stats.execute(req.auth.tenant.tenantId, query));
});
