import { createHash } from 'node:crypto';
import type { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { PlaceCall, PlaceCallOutcome } from '../calls/place-call';
import { idempotencyKeySchema } from '../calls/request';
import { tenantIdSchema } from '../model/tenant';
import type { TenantRepository } from '../store/tenants';
import type { WebhookSourceRepository } from '../store/webhook-sources';
import { UnknownSourceError, WebhookBodyError, WebhookUnauthorizedError } from './errors';
import { effectiveMapping, mapPayload } from './mapping';
import { isWebhookSource, SOURCE_ADAPTERS } from './sources';
import type { WebhookDelivery } from './types';

type Logger = Pick<PowertoolsLogger, 'info' | 'warn'>;

export interface ReceiveWebhookDeps {
  tenants: Pick<TenantRepository, 'get'>;
  sources: Pick<WebhookSourceRepository, 'get'>;
  placeCall: Pick<PlaceCall, 'execute'>;
  logger: Logger;
  now?: () => number;
}

/**
 * What became of a delivery that was authentic and readable: the call's outcome, and how the sender wants a permanent
 * refusal answered (`refusalStatus` 200: with the rejected call, where the sender would otherwise retry it for days).
 * lib/http (`webhookCallAnswer`) turns it into the answer.
 */
export interface WebhookCallResult {
  outcome: PlaceCallOutcome;
  refusalStatus: 200 | 422;
}

export interface InboundWebhook extends WebhookDelivery {
  source: string;
  tenantId: string;
}

/** The largest body we read: a CRM record with its properties fits many times over. */
export const MAX_WEBHOOK_BODY_BYTES = 256 * 1024;

/**
 * `POST /v1/hooks/{source}/{tenantId}`: authenticate the delivery with the source's scheme on the
 * raw body, map the payload to a call request, and place the call through the same at-most-once
 * ledger as `POST /v1/calls`, with the sender's delivery id as the idempotency key.
 */
export class ReceiveWebhook {
  private readonly now: () => number;

  constructor(private readonly deps: ReceiveWebhookDeps) {
    this.now = deps.now ?? (() => Date.now());
  }

  async execute(inbound: InboundWebhook): Promise<WebhookCallResult> {
    if (!isWebhookSource(inbound.source)) throw new UnknownSourceError(inbound.source);
    const adapter = SOURCE_ADAPTERS[inbound.source];
    const { logger } = this.deps;
    const refuse = (reason: string): never => {
      logger.warn('Webhook refused', { source: inbound.source, reason });
      throw new WebhookUnauthorizedError(adapter.challenge, reason);
    };

    if (!tenantIdSchema.safeParse(inbound.tenantId).success) return refuse('malformed_tenant_id');
    if (Buffer.byteLength(inbound.rawBody, 'utf8') > MAX_WEBHOOK_BODY_BYTES) {
      throw new WebhookBodyError(`The body is larger than ${MAX_WEBHOOK_BODY_BYTES} bytes.`, [{ path: 'body', message: 'too large' }]);
    }
    const [tenant, config] = await Promise.all([
      this.deps.tenants.get(inbound.tenantId),
      this.deps.sources.get(inbound.tenantId, inbound.source),
    ]);
    if (!tenant) return refuse('unknown_tenant');
    if (tenant.status !== 'active') return refuse('tenant_suspended');
    if (!config || config.secrets.length === 0) return refuse('no_secret_configured');

    const delivery: WebhookDelivery = { ...inbound, url: signedUrl(config.publicUrl, inbound.url) };
    const verification = adapter.verify(delivery, config.secrets, this.now());
    if (!verification.ok) return refuse(verification.reason);
    logger.info('Webhook authenticated', { source: inbound.source, secretId: verification.secretId });

    const payload = adapter.parseBody(inbound.headers, inbound.rawBody);
    const mapping = effectiveMapping(adapter.defaultMapping, config.mapping);
    adapter.checkPayload?.(payload, mapping);
    const mapped = mapPayload(payload, inbound.headers, mapping);
    const deliveryId = verification.deliveryId ?? mapped.deliveryId;
    const idempotencyKey = deliveryId === undefined ? undefined : webhookIdempotencyKey(inbound.source, deliveryId);
    if (!idempotencyKey)
      logger.info('Webhook carries no delivery id: the dedupe window applies', {
        source: inbound.source,
        windowSec: adapter.keylessWindowSec,
      });

    const outcome = await this.deps.placeCall.execute({
      tenant,
      request: mapped.request,
      idempotencyKey,
      source: inbound.source,
      dedupeWindowSec: adapter.keylessWindowSec,
      delivery: idempotencyKey ? undefined : verification.replay,
      // The source's own rule for calls asked outside the calling hours; unset, the tenant's policy decides.
      outsideCallingHours: config.outsideCallingHours,
    });
    return { outcome, refusalStatus: config.refusalStatus ?? adapter.defaultRefusalStatus };
  }
}

const HASHED_PREFIX = 'sha256:';

/**
 * The sender's delivery id as a ledger key, compared exactly (no case folding, no trimming beyond the mapping's). The
 * source prefix keeps ids of different senders from ever colliding; an id that is not a valid key by itself (too
 * long, spaces) is hashed, never cut. An id that itself begins with `sha256:` is hashed too, so that no plain id can
 * spell the hashed key of another: two different ids never end up the same key.
 */
export function webhookIdempotencyKey(source: string, deliveryId: string): string {
  const plain = `${source}:${deliveryId}`;
  if (!deliveryId.startsWith(HASHED_PREFIX) && idempotencyKeySchema.safeParse(plain).success) return plain;
  return `${source}:${HASHED_PREFIX}${createHash('sha256').update(deliveryId, 'utf8').digest('base64url')}`;
}

/**
 * The URL the sender signed (HubSpot signs the whole URL it called, query string included). Without a public URL,
 * the request's own. With one, the public URL stands for scheme, host and path, and the request's query string is
 * appended as it arrived: a workflow webhook URL such as `.../hubspot/acme?wf=42` signs `?wf=42`, and one source
 * configuration serves any number of workflows with their own queries. A public URL that carries a query itself is
 * taken as the whole URL, verbatim: the operator pinned it (e.g. a proxy in front that rewrites the query).
 */
export function signedUrl(publicUrl: string | undefined, requestUrl: string): string {
  if (!publicUrl) return requestUrl;
  if (publicUrl.includes('?')) return publicUrl;
  const queryAt = requestUrl.indexOf('?');
  return queryAt < 0 ? publicUrl : `${publicUrl}${requestUrl.slice(queryAt)}`;
}

/**
 * The URL the sender called, rebuilt from the request: what HubSpot signs. Behind a custom domain
 * with a base path, or any proxy that rewrites the path, set the source's `publicUrl` instead.
 */
export function requestUrl(event: APIGatewayProxyEventV2, headers: Readonly<Record<string, string>>, defaultScheme = 'https'): string {
  const host = headers.host ?? event.requestContext?.domainName ?? 'localhost';
  // API Gateway serves HTTPS only; the local stack serves http (API_SCHEME), and a proxy may say so in X-Forwarded-Proto.
  const scheme = headers['x-forwarded-proto']?.split(',')[0]?.trim() || defaultScheme;
  const query = event.rawQueryString ? `?${event.rawQueryString}` : '';
  return `${scheme}://${host}${event.rawPath}${query}`;
}
