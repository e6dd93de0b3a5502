import { container } from '../lib/container';
import { NotFoundError } from '../lib/http/errors';
import { httpHandler, json } from '../lib/http/handler';
import { toCallResource } from '../lib/store/calls';

const c = container();

/** GET /v1/calls/{callId} */
export const handler = httpHandler({ scope: 'calls:read', authenticator: c.authenticator }, async (req) => {
  const callId = req.path.callId ?? '';
  const call = /^c_[0-9A-Z]{26}$/.test(callId) ? await c.calls.get(req.auth!.tenant.tenantId, callId) : undefined;
  if (!call) throw new NotFoundError(`No call ${callId.slice(0, 64)} for this tenant.`);
  return json(200, toCallResource(call));
});
