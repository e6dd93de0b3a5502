import { readCallsUseCase } from '../lib/compose/read-calls';
import { READ_ITEMS, readBudget } from '../lib/compose/read-budget';
import { authenticator } from '../lib/compose/shared';
import { httpHandler, json, parseInput } from '../lib/http/handler';
import { listCallsQuerySchema } from '../lib/model/call-query';

const readCalls = readCallsUseCase();
const reads = readBudget();

/** GET /v1/calls?leadId=&agent=&state=&from=&to=&limit=&cursor= : newest first. The read budget is charged before the page is read. */
export const handler = httpHandler({ scope: 'calls:read', authenticator: authenticator() }, async (req) => {
  const q = parseInput(listCallsQuerySchema, req.query, 'query');
  await reads.charge(req.auth.tenant, READ_ITEMS.callsList(q));
  return json(200, await readCalls.list(req.auth.tenant.tenantId, q));
});
