import { cancelCallUseCase } from '../lib/compose/cancel-call';
import { readerAuthenticator } from '../lib/compose/readers';
import { httpHandler, json } from '../lib/http/handler';
import { DomainError } from '../lib/model/domain-error';

const cancelCall = cancelCallUseCase();

/** DELETE /v1/calls/{callId}: cancel a scheduled or queued call. */
export const handler = httpHandler({ scope: 'calls:write', authenticator: readerAuthenticator() }, async (req) => {
  const callId = req.path.callId ?? '';
  const outcome = await cancelCall.execute(req.auth.tenant.tenantId, callId, `by key ${req.auth.keyId}`);
  switch (outcome.kind) {
    case 'cancelled':
      return json(200, outcome.call);
    case 'not_found':
      throw new DomainError('not_found', `No call ${callId.slice(0, 64)} for this tenant.`);
    case 'already_dispatched':
      throw new DomainError('already_dispatched', 'The call was already sent to the PBX: it can no longer be cancelled.', {
        extensions: { call: outcome.call },
      });
    case 'not_cancellable':
      throw new DomainError('not_cancellable', `The call ended ${outcome.call.state} without being sent: there is nothing to cancel.`, {
        extensions: { call: outcome.call },
      });
  }
});
