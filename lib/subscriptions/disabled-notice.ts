import {
  subscriptionResource,
  type DeliveryAttemptInput,
  type Subscription,
  type SubscriptionResource,
  type SubscriptionWithSecrets,
} from '../model/subscription';
import type { OutboundPolicy } from '../net/outbound';
import { postStandardWebhook } from '../notify/transports/webhook';

/** The delivery log (lib/store/subscription-deliveries.ts). */
export interface SubscriptionLog {
  record(tenantId: string, subscriptionId: string, attempt: DeliveryAttemptInput): Promise<unknown>;
}

/** The body of the notice a disabled subscription's siblings get (docs/api.md, "Subscriptions"). */
export interface SubscriptionDisabledNotice {
  type: 'subscription.disabled';
  timestamp: string;
  data: { subscription: SubscriptionResource; reason: string };
}

/**
 * Tells the tenant's other enabled subscriptions that `disabled` was disabled: one signed POST each, whatever their
 * events and filter (it is about the tenant's set-up, not a call), at once and side by side, recorded in each one's
 * delivery log. Sent once, not retried: the subscription's status, the doctor and `c2c subscriptions list` keep
 * saying it.
 */
export async function sendDisabledNotices(
  disabled: Subscription,
  reason: string,
  others: readonly SubscriptionWithSecrets[],
  options: { log: SubscriptionLog; timeoutMs: number; outbound: OutboundPolicy; now: Date },
): Promise<void> {
  const notice: SubscriptionDisabledNotice = {
    type: 'subscription.disabled',
    timestamp: options.now.toISOString(),
    data: { subscription: subscriptionResource(disabled), reason },
  };
  const body = JSON.stringify(notice);
  // The same for every receiver: one who gets it through two subscriptions dedupes on it.
  const id = `${disabled.id}.disabled.${Math.floor(options.now.getTime() / 1000)}`;
  await Promise.all(
    others.map(async (other) => {
      const sent = await postStandardWebhook({
        url: other.url,
        id,
        body,
        secrets: other.secrets,
        now: options.now,
        timeoutMs: options.timeoutMs,
        outbound: options.outbound,
      });
      await options.log.record(other.tenantId, other.id, {
        event: 'subscription.disabled',
        callId: null,
        attempt: 1,
        status: sent.error === null ? 'delivered' : 'failed',
        responseCode: sent.status,
        latencyMs: sent.latencyMs,
        error: sent.error,
        attemptedAt: options.now.toISOString(),
        nextAttemptAt: null,
      });
    }),
  );
}
