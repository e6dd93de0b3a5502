import { readCallsUseCase } from '../lib/compose/read-calls';
import { readBudget } from '../lib/compose/read-budget';
import { readerAuthenticator } from '../lib/compose/readers';
import { httpHandler, json, parseInput } from '../lib/http/handler';
import { listCallsQuerySchema } from '../lib/model/call-query';

const readCalls = readCallsUseCase();
const reads = readBudget();

/** GET /v1/calls?leadId=&agent=&state=&from=&to=&limit=&cursor= : newest first. Charged to the read budget what it reads. */
export const handler = httpHandler({ scope: 'calls:read', authenticator: readerAuthenticator() }, async (req) => {
  const q = parseInput(listCallsQuerySchema, req.query, 'query');
  return json(200, await reads.metered(req.auth.tenant, () => readCalls.list(req.auth.tenant.tenantId, q)));
});
