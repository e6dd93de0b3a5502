import { SubscriptionDeliveryRepository } from '../store/subscription-deliveries';
import { SubscriptionRepository } from '../store/subscriptions';
import { Subscriptions } from '../subscriptions/subscriptions';
import { perRoot } from './root';
import { outbound, table } from './readers';
import { sealer } from './secrets';

export { deliveriesQuerySchema, subscriptionInputSchema, subscriptionPatchSchema } from '../model/subscription-input';

/**
 * The webhook subscriptions API (functions/subscriptions.ts). It seals each new signing secret (purpose
 * `subscription-secrets`) and opens them to sign a test ping: the one function that seals.
 */
export const subscriptionsUseCase = perRoot(
  (r) =>
    new Subscriptions({
      subscriptions: new SubscriptionRepository(table(r), sealer(r), r.clock),
      deliveries: new SubscriptionDeliveryRepository(table(r), r.clock),
      outbound: outbound(r),
      clock: r.clock,
      pingTimeoutMs: r.config.NOTIFY_TIMEOUT_MS,
    }),
);
