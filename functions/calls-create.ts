import { authenticator } from '../lib/compose/secrets';
import { callOutcomeToHttp, callRequestSchema, idempotencyKeySchema, placeCallUseCase } from '../lib/compose/place-call';
import { httpHandler, parseInput } from '../lib/http/handler';

const placeCall = placeCallUseCase();

/** POST /v1/calls: place a call through the tenant's PBX, at most once per idempotency key. */
export const handler = httpHandler({ scope: 'calls:write', authenticator: authenticator(), jsonBody: true }, async (req) => {
  const rawKey = req.headers['idempotency-key'];
  const idempotencyKey = rawKey === undefined ? undefined : parseInput(idempotencyKeySchema, rawKey, 'headers.idempotency-key');
  const request = parseInput(callRequestSchema, req.body);
  const outcome = await placeCall.execute({ tenant: req.auth.tenant, request, idempotencyKey, source: 'api' });
  return callOutcomeToHttp(outcome);
});
