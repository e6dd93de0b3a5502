import { agentStatsQuerySchema, agentStatsUseCase } from '../lib/compose/stats';
import { readBudget } from '../lib/compose/read-budget';
import { readerAuthenticator } from '../lib/compose/readers';
import { httpHandler, json, parseInput } from '../lib/http/handler';

const stats = agentStatsUseCase();
const reads = readBudget();

/**
 * GET /v1/stats/agents?from=YYYY-MM-DD&to=YYYY-MM-DD[&agent=][&tz=]: per agent and day, calls, answered, answer rate, talk time.
 * Charged to the read budget the calls it reads (a report refused past its bound too).
 */
export const handler = httpHandler({ scope: 'calls:read', authenticator: readerAuthenticator() }, async (req) => {
  const query = parseInput(agentStatsQuerySchema, req.query, 'query');
  return json(200, await reads.metered(req.auth.tenant, () => stats.execute(req.auth.tenant.tenantId, query)));
});
