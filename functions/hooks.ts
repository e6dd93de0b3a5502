import { hookRequestUrl, receiveWebhookUseCase } from '../lib/compose/receive-webhook';
import { httpHandler } from '../lib/http/handler';
import { logger } from '../lib/observability/logger';

const receive = receiveWebhookUseCase();

/**
 * POST /v1/hooks/{source}/{tenantId}: a CRM's or an automation tool's own webhook places a call.
 * The body is not parsed here: it is verified raw first (lib/crm/receive.ts).
 */
export const handler = httpHandler({}, async (req) => {
  const source = req.path.source ?? '';
  const tenantId = req.path.tenantId ?? '';
  logger.appendKeys({ hookSource: source.slice(0, 20), tenantId: tenantId.slice(0, 40) });
  return receive.execute(
    {
      source,
      tenantId,
      method: req.event.requestContext.http.method,
      url: hookRequestUrl(req.event, req.headers),
      headers: req.headers,
      rawBody: req.rawBody,
    },
    req.requestId,
  );
});
