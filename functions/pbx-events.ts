import { readPbxEventRequest, recordPbxEventUseCase } from '../lib/compose/record-pbx-event';
import { httpHandler, json } from '../lib/http/handler';
import { DomainError, invalidRequest } from '../lib/model/domain-error';

const record = recordPbxEventUseCase();

/**
 * `GET|POST /v1/pbx-events/{tenantId}/{token}`: PBX Stats webhooks (Call Start, Call Answer, Call End)
 * as a query string, a form or JSON. Authenticated by the token in the path, nothing else, checked
 * before the body is read.
 */
export const handler = httpHandler({}, async (req) => {
  const result = await record.execute({
    tenantId: req.path.tenantId ?? '',
    token: req.path.token ?? '',
    read: () => readPbxEventRequest({ query: req.query, contentType: req.headers['content-type'], rawBody: req.rawBody }),
  });
  switch (result.kind) {
    case 'unauthorized':
      // One answer for an unknown tenant and a wrong token: the URL is the credential.
      throw new DomainError('unauthorized', 'Unknown tenant or token in the PBX events URL.', { challenge: 'Bearer' });
    case 'invalid':
      throw invalidRequest(result.message, [{ path: result.field, message: result.message }]);
    case 'orphan':
      return json(202, { status: 'orphan', detail: 'No call matches this event; it is kept for an operator.' });
    case 'ignored':
      return json(202, {
        status: 'ignored',
        callId: result.callId,
        state: result.state,
        detail: `Unknown event type "${result.eventType}": kept, not applied.`,
      });
    case 'applied':
    case 'unchanged':
      return json(200, { status: result.kind, callId: result.callId, state: result.state });
  }
});
