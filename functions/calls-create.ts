import { callOutcomeToHttp } from '../lib/calls/respond';
import { callRequestSchema, idempotencyKeySchema } from '../lib/calls/request';
import { container } from '../lib/container';
import { httpHandler, parseInput } from '../lib/http/handler';

const c = container();

/** POST /v1/calls: place a call through the tenant's PBX, at most once per idempotency key. */
export const handler = httpHandler({ scope: 'calls:write', authenticator: c.authenticator, jsonBody: true }, async (req) => {
  const rawKey = req.headers['idempotency-key'];
  const idempotencyKey = rawKey === undefined ? undefined : parseInput(idempotencyKeySchema, rawKey, 'headers.idempotency-key');
  const request = parseInput(callRequestSchema, req.body);
  const outcome = await c.placeCall.execute({ tenant: req.auth!.tenant, request, idempotencyKey, source: 'api' });
  return callOutcomeToHttp(outcome);
});
