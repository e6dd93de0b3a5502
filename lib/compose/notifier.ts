import type { Config } from '../config';
import { logger } from '../observability/logger';
import { deliveryMetrics } from '../observability/metrics';
import { counterPacer } from '../notify/pace';
import { PaceCounterRepository } from '../store/pace-counters';
import { DEFAULT_NOTIFY_SETTINGS, NotificationDeliverer, type NotifySettings } from '../notify/deliver';
import { DeadLetterRepository } from '../store/dead-letters';
import { registeredTransports, type CrmConnectionFlags } from '../notify/transports';
import type { TenantRepository } from '../store/tenants';
import { perRoot } from './root';
import { calls, outbound, table, tenants } from './shared';

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
