import { randomBytes } from 'node:crypto';
import { DomainError, invalidRequest } from '../model/domain-error';
import {
  MAX_SUBSCRIPTIONS,
  subscriptionResource,
  type DeliveryAttempt,
  type OpenedSubscriptionSecret,
  type Subscription,
  type SubscriptionResource,
} from '../model/subscription';
import type { SubscriptionInput, SubscriptionPatch } from '../model/subscription-input';
import { checkOutboundUrl, type OutboundPolicy } from '../net/outbound';
import { newCallbackSecret } from '../notify/secrets';
import type { SubscriptionDeliveryRepository } from '../store/subscription-deliveries';
import { SubscriptionLimitError, type SubscriptionChange, type SubscriptionRepository } from '../store/subscriptions';
import type { Clock } from '../time/clock';
import { pingSubscription, type PingOutcome } from './test-ping';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `sub_` and 16 random base62 characters (95 bits). */
export function newSubscriptionId(): string {
  const bytes = randomBytes(16);
  // 62 * 4 = 248: bytes of 248 and up would favour the first letters; the rare one is drawn again.
  let id = '';
  for (let i = 0; id.length < 16; i++) {
    const byte = i < bytes.length ? bytes[i]! : randomBytes(1)[0]!;
    if (byte < 248) id += BASE62[byte % 62];
  }
  return `sub_${id}`;
}

/** A new signing secret: `whsec_` and 32 random bytes in base64, no expiry. */
export function newSubscriptionSecret(now: Date): OpenedSubscriptionSecret {
  return { ...newCallbackSecret(now), expiresAt: null };
}

export const subscriptionNotFound = (id: string) => new DomainError('not_found', `No subscription ${id} for this tenant.`);

export const subscriptionLimit = () =>
  new DomainError(
    'subscription_limit',
    `The tenant has ${MAX_SUBSCRIPTIONS} subscriptions, the most it may have: delete one (DELETE /v1/subscriptions/{id}) before adding another.`,
    { extensions: { limit: MAX_SUBSCRIPTIONS } },
  );

export interface SubscriptionsDeps {
  subscriptions: SubscriptionRepository;
  deliveries: SubscriptionDeliveryRepository;
  outbound: OutboundPolicy;
  clock: Clock;
  /** Budget of a test ping. */
  pingTimeoutMs: number;
}

/**
 * A tenant's webhook subscriptions (docs/api.md, "Subscriptions"): create, read, change, delete, test, rotate the
 * secret, read the delivery log. Inputs arrive parsed by their schemas (lib/model/subscription.ts); what this adds is
 * what a schema cannot know: the address the URL leads to, the tenant's limit, whether the id is the tenant's.
 */
export class Subscriptions {
  constructor(private readonly deps: SubscriptionsDeps) {}

  /**
   * @throws {DomainError} `invalid_request` naming `url` (it leads inside the service's network), `subscription_limit`;
   *   nothing was written
   */
  async create(
    tenantId: string,
    input: SubscriptionInput,
    origin: Subscription['origin'] = 'api',
  ): Promise<{ subscription: SubscriptionResource; secret: string }> {
    await this.checkUrl(input.url);
    const secret = newSubscriptionSecret(this.deps.clock());
    try {
      const subscription = await this.deps.subscriptions.create(
        tenantId,
        {
          id: newSubscriptionId(),
          url: input.url,
          events: input.events,
          filter: input.filter ?? null,
          description: input.description ?? null,
          origin,
        },
        [secret],
      );
      return { subscription: subscriptionResource(subscription), secret: secret.secret };
    } catch (error) {
      if (error instanceof SubscriptionLimitError) throw subscriptionLimit();
      throw error;
    }
  }

  async list(tenantId: string): Promise<SubscriptionResource[]> {
    return (await this.deps.subscriptions.list(tenantId)).map(subscriptionResource);
  }

  /** @throws {DomainError} `not_found` (another tenant's id too) */
  async get(tenantId: string, id: string): Promise<SubscriptionResource> {
    const subscription = await this.deps.subscriptions.get(tenantId, id);
    if (!subscription) throw subscriptionNotFound(id);
    return subscriptionResource(subscription);
  }

  /**
   * Members sent replace the current ones; `filter: null` and `description: null` remove them. `status: "enabled"`
   * re-enables a disabled subscription and clears its failure run; `"disabled"` pauses it.
   *
   * @throws {DomainError} `not_found`; `invalid_request` naming `url`; nothing was written
   */
  async patch(tenantId: string, id: string, patch: SubscriptionPatch): Promise<SubscriptionResource> {
    if (patch.url !== undefined) await this.checkUrl(patch.url);
    const now = this.deps.clock().toISOString();
    const updated = await this.deps.subscriptions.update(tenantId, id, (current) => {
      const change: SubscriptionChange = {};
      if (patch.url !== undefined) change.url = patch.url;
      if (patch.events !== undefined) change.events = patch.events;
      if (patch.filter !== undefined) change.filter = patch.filter;
      if (patch.description !== undefined) change.description = patch.description;
      if (patch.status === 'enabled') Object.assign(change, { status: 'enabled', disabledReason: null, failingSince: null });
      // Deliveries resume with the events from now on: none of those while it was disabled.
      if (patch.status === 'enabled' && current.status === 'disabled') change.enabledAt = now;
      if (patch.status === 'disabled' && current.status === 'enabled') {
        Object.assign(change, { status: 'disabled', disabledReason: `disabled through the API at ${now}` });
      }
      return change;
    });
    if (!updated) throw subscriptionNotFound(id);
    return subscriptionResource(updated);
  }

  /** @throws {DomainError} `not_found` */
  async delete(tenantId: string, id: string): Promise<void> {
    if (!(await this.deps.subscriptions.delete(tenantId, id))) throw subscriptionNotFound(id);
  }

  /**
   * A new signing secret; the ones that signed until now keep signing beside it for 24 hours (deliveries carry a
   * signature of each), so the receiver can change over without missing one.
   *
   * @throws {DomainError} `not_found`
   */
  async rotateSecret(tenantId: string, id: string): Promise<{ secret: string; previousSecretExpiresAt: string }> {
    const secret = newSubscriptionSecret(this.deps.clock());
    const rotated = await this.deps.subscriptions.rotateSecret(tenantId, id, secret);
    if (!rotated) throw subscriptionNotFound(id);
    return { secret: secret.secret, previousSecretExpiresAt: rotated.previousSecretExpiresAt };
  }

  /**
   * Sends a signed `ping` to the subscription's URL now (whatever its status) and records the attempt in its delivery
   * log. An endpoint that fails is an answer (`delivered: false`), not an error.
   *
   * @throws {DomainError} `not_found`
   */
  async test(tenantId: string, id: string): Promise<PingOutcome> {
    const subscription = await this.deps.subscriptions.withSecrets(tenantId, id);
    if (!subscription) throw subscriptionNotFound(id);
    const now = this.deps.clock();
    const outcome = await pingSubscription(subscription, { now, timeoutMs: this.deps.pingTimeoutMs, outbound: this.deps.outbound });
    await this.deps.deliveries.record(tenantId, id, {
      event: 'ping',
      callId: null,
      attempt: 1,
      status: outcome.delivered ? 'delivered' : 'failed',
      responseCode: outcome.responseCode,
      latencyMs: outcome.latencyMs,
      error: outcome.error,
      attemptedAt: now.toISOString(),
      nextAttemptAt: null,
    });
    return outcome;
  }

  /** The subscription's recent attempts, newest first. @throws {DomainError} `not_found` */
  async deliveries(tenantId: string, id: string, limit: number): Promise<DeliveryAttempt[]> {
    if (!(await this.deps.subscriptions.get(tenantId, id))) throw subscriptionNotFound(id);
    return this.deps.deliveries.list(tenantId, id, limit);
  }

  /** Deliveries are POSTed from inside the service's network: never to loopback, private or metadata addresses. */
  private async checkUrl(url: string): Promise<void> {
    const check = await checkOutboundUrl(url, this.deps.outbound);
    if (!check.ok) {
      throw invalidRequest('The URL leads to an address the service may not send requests to.', [
        { path: 'url', message: check.error.message },
      ]);
    }
  }
}
