import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { ReceiveWebhook, requestUrl } from '../crm/receive';
import { SOURCE_ADAPTERS } from '../crm/sources';
import { LoggedWebhookReceiver } from '../http/webhook-delivery-log';
import { logger } from '../observability/logger';
import { HookDeliveryRepository } from '../store/hook-deliveries';
import { WebhookSourceRepository } from '../store/webhook-sources';
import { placeCallUseCase } from './place-call';
import { perRoot, root, type Root } from './root';
import { table } from './readers';
import { sealer, tenants } from './secrets';

/**
 * What functions/hooks.ts reads besides the use case: the URL a delivery was signed over, with the stage's scheme
 * (API_SCHEME: `https` on AWS, `http` on the local stack, whose URL `c2c hook url` prints and HubSpot signs).
 */
export const hookRequestUrl = (event: APIGatewayProxyEventV2, headers: Readonly<Record<string, string>>, from: Root = root()) =>
  requestUrl(event, headers, from.config.API_SCHEME);

/** POST /v1/hooks/{source}/{tenantId}: a CRM's own webhook, verified in its scheme, places a call; its verdict is logged. */
export const receiveWebhookUseCase = perRoot(
  (r) =>
    new LoggedWebhookReceiver({
      receiver: new ReceiveWebhook({
        tenants: tenants(r),
        sources: new WebhookSourceRepository(table(r), sealer(r), SOURCE_ADAPTERS, r.clock),
        placeCall: placeCallUseCase(r),
        logger,
        now: () => r.clock().getTime(),
      }),
      deliveries: new HookDeliveryRepository(table(r), r.clock),
      logger,
    }),
);
