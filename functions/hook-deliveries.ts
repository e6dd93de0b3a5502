import { readBudget } from '../lib/compose/read-budget';
import { hookDeliveries, hookDeliveriesQuerySchema } from '../lib/compose/hook-deliveries';
import { readerAuthenticator } from '../lib/compose/readers';
import { httpHandler, json, parseInput } from '../lib/http/handler';

const deliveries = hookDeliveries();
const reads = readBudget();

/**
 * GET /v1/hooks/deliveries?source=&limit=: the last deliveries of one of the tenant's webhook sources, newest first,
 * each with its verdict (accepted, rejected, refused, malformed, failed), why, and the call it made; kept 7 days.
 */
export const handler = httpHandler({ scope: 'calls:read', authenticator: readerAuthenticator() }, async (req) => {
  const query = parseInput(hookDeliveriesQuerySchema, req.query, 'query');
  // Charged what it reads, as every listing is: a first read before, the rest after (lib/compose/read-budget.ts).
  const list = await reads.metered(req.auth.tenant, () => deliveries.list(req.auth.tenant.tenantId, query.source, query.limit));
  return json(200, { source: query.source, deliveries: list });
});
