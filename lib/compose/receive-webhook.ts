import { ReceiveWebhook } from '../crm/receive';
import { SOURCE_ADAPTERS } from '../crm/sources';
import { logger } from '../observability/logger';
import { WebhookSourceRepository } from '../store/webhook-sources';
import { placeCallUseCase } from './place-call';
import { perRoot } from './root';
import { sealer, table, tenants } from './shared';

// What functions/hooks.ts reads besides the use case: the URL a delivery was signed over.
export { requestUrl } from '../crm/receive';

/** POST /v1/hooks/{source}/{tenantId}: a CRM's own webhook, verified in its scheme, places a call. */
export const receiveWebhookUseCase = perRoot(
  (r) =>
    new ReceiveWebhook({
      tenants: tenants(r),
      sources: new WebhookSourceRepository(table(r), sealer(r), SOURCE_ADAPTERS, r.clock),
      placeCall: placeCallUseCase(r),
      logger,
      now: () => r.clock().getTime(),
    }),
);
