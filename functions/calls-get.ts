import { readCallsUseCase } from '../lib/compose/read-calls';
import { READ_ITEMS, readBudget } from '../lib/compose/read-budget';
import { readerAuthenticator } from '../lib/compose/readers';
import { httpHandler, json } from '../lib/http/handler';
import { DomainError } from '../lib/model/domain-error';

const readCalls = readCallsUseCase();
const reads = readBudget();

/**
 * GET /v1/calls/{callId}. The read budget is charged alongside the read, not before it: the one item a refused
 * request reads costs less than the counter's write, and the call's read gets no extra round trip.
 */
export const handler = httpHandler({ scope: 'calls:read', authenticator: readerAuthenticator() }, async (req) => {
  const callId = req.path.callId ?? '';
  const [call] = await Promise.all([readCalls.get(req.auth.tenant.tenantId, callId), reads.charge(req.auth.tenant, READ_ITEMS.call)]);
  if (!call) throw new DomainError('not_found', `No call ${callId.slice(0, 64)} for this tenant.`);
  return json(200, call);
});
