import { readCallsUseCase } from '../lib/compose/read-calls';
import { authenticator } from '../lib/compose/shared';
import { NotFoundError } from '../lib/http/errors';
import { httpHandler, json } from '../lib/http/handler';

const readCalls = readCallsUseCase();

/** GET /v1/calls/{callId} */
export const handler = httpHandler({ scope: 'calls:read', authenticator: authenticator() }, async (req) => {
  const callId = req.path.callId ?? '';
  const call = await readCalls.get(req.auth.tenant.tenantId, callId);
  if (!call) throw new NotFoundError(`No call ${callId.slice(0, 64)} for this tenant.`);
  return json(200, call);
});
