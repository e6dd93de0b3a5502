import { readCallsUseCase } from '../lib/compose/read-calls';
import { authenticator } from '../lib/compose/shared';
import { httpHandler, json, parseInput } from '../lib/http/handler';
import { listCallsQuerySchema } from '../lib/model/call-query';

const readCalls = readCallsUseCase();

/** GET /v1/calls?leadId=&agent=&state=&from=&to=&limit=&cursor= : newest first. */
export const handler = httpHandler({ scope: 'calls:read', authenticator: authenticator() }, async (req) => {
  const q = parseInput(listCallsQuerySchema, req.query, 'query');
  return json(200, await readCalls.list(req.auth.tenant.tenantId, q));
});
