import { agentStats, agentStatsQuerySchema, StatsRangeTooLargeError } from '../lib/calls/stats';
import { container } from '../lib/container';
import { HttpProblem } from '../lib/http/errors';
import { httpHandler, json, parseInput } from '../lib/http/handler';

const c = container();

/** GET /v1/stats/agents?from=YYYY-MM-DD&to=YYYY-MM-DD[&agent=][&tz=]: per agent and day, calls, answered, answer rate, talk time. */
export const handler = httpHandler({ scope: 'calls:read', authenticator: c.authenticator }, async (req) => {
  const query = parseInput(agentStatsQuerySchema, req.query, 'query');
  try {
    return json(200, await agentStats(c.calls, req.auth!.tenant.tenantId, query));
  } catch (error) {
    if (error instanceof StatsRangeTooLargeError) throw new HttpProblem(422, 'range_too_large', 'The range is too large', error.message);
    throw error;
  }
});
