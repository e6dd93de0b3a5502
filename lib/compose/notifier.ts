import type { Config } from '../config';
import { logger } from '../observability/logger';
import { deliveryMetrics } from '../observability/metrics';
import { counterPacer } from '../notify/pace';
import { PaceCounterRepository } from '../store/pace-counters';
import { DEFAULT_NOTIFY_SETTINGS, NotificationDeliverer, type NotifySettings } from '../notify/deliver';
import { DeadLetterRepository } from '../store/dead-letters';
import { registeredTransports, type CrmConnectionFlags } from '../notify/transports';
import type { TenantRepository } from '../store/tenants';
import type { Table } from '../store/client';
import type { OutboundPolicy } from '../net/outbound';
import type { SecretSealer } from '../secrets/seal';
import { SubscriptionDeliveryRepository } from '../store/subscription-deliveries';
import { SubscriptionRepository } from '../store/subscriptions';
import { subscriptionTransportsFor, type SubscriptionDeliveryOptions } from '../subscriptions/delivery';
import type { Clock } from '../time/clock';
import { perRoot } from './root';
import { calls } from './call-store';
import { outbound, table } from './readers';
import { sealer, tenants } from './secrets';

/** The notification settings of a configuration (the local stack's poller reads them too). */
export function notifySettingsOf(config: Config): NotifySettings {
  return {
    ...DEFAULT_NOTIFY_SETTINGS,
    timeoutMs: config.NOTIFY_TIMEOUT_MS,
    baseDelayMs: config.NOTIFY_BASE_DELAY_MS,
    maxDelayMs: config.NOTIFY_MAX_DELAY_MS,
    maxAgeMs: config.NOTIFY_MAX_AGE_SEC * 1000,
    maxAttempts: config.NOTIFY_MAX_ATTEMPTS,
  };
}

/** Outcome notifications: the stream function, the scheduled retry and the local poller all run this. */
export const notifierUseCase = perRoot((r) => {
  const tenantRepository = tenants(r);
  return new NotificationDeliverer({
    calls: calls(r),
    getTenant: (tenantId) => tenantRepository.get(tenantId),
    sink: new DeadLetterRepository(table(r)),
    settings: notifySettingsOf(r.config),
    logger,
    // The call-logging transports flag a connection the CRM refused on the tenant item (holdCrmConnection).
    transports: registeredTransports({
      timeoutMs: r.config.NOTIFY_TIMEOUT_MS,
      outbound: outbound(r),
      crmConnections: crmConnectionFlags(tenantRepository),
    }),
    // Each webhook subscription of the call's tenant, on a slot of its own; their secrets opened to sign.
    transportsFor: subscriptionTransports({
      table: table(r),
      sealer: sealer(r),
      clock: r.clock,
      timeoutMs: r.config.NOTIFY_TIMEOUT_MS,
      outbound: outbound(r),
    }),
    outbound: outbound(r),
    now: r.clock,
    // One pace per CRM connection, shared by every container (lib/notify/pace.ts).
    pacer: counterPacer(new PaceCounterRepository(table(r))),
    metrics: deliveryMetrics,
  });
});

/** Where the call-logging transports flag a CRM connection whose credentials were refused: the tenant items. */
export function crmConnectionFlags(repository: TenantRepository): CrmConnectionFlags {
  return {
    hold: async (tenantId, crm, reason, at, connectedAt) => {
      await repository.holdCrmConnection(tenantId, crm, reason, at, connectedAt);
    },
  };
}

/**
 * The tenants' webhook subscriptions as the engine's per-tenant transports (lib/subscriptions/delivery.ts): the
 * notify functions and the local stack's poller both deliver through this.
 */
export function subscriptionTransports(deps: {
  table: Table;
  sealer: SecretSealer;
  clock?: Clock;
  timeoutMs: number;
  outbound: OutboundPolicy;
  /** Where a deletion (410) or a disable is told; default the functions' logger. */
  logger?: SubscriptionDeliveryOptions['logger'];
  /** How long a pass waits on one endpoint before its attempt goes on by itself; SUBSCRIPTION_DETACH_AFTER_MS by default. */
  detachAfterMs?: number;
}) {
  return subscriptionTransportsFor({
    subscriptions: new SubscriptionRepository(deps.table, deps.sealer, deps.clock),
    log: new SubscriptionDeliveryRepository(deps.table, deps.clock),
    timeoutMs: deps.timeoutMs,
    outbound: deps.outbound,
    logger: deps.logger ?? logger,
    ...(deps.detachAfterMs === undefined ? {} : { detachAfterMs: deps.detachAfterMs }),
  });
}
