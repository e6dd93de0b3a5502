import { outboundPolicyFromEnv, type OutboundPolicy } from '../net/outbound';
import { callOutbox, type CallOutboxRepository } from './outbox';
import { DeliveryEngine, type EngineDeps } from './engine';
import { registeredTransports } from './transports';

export { DEFAULT_NOTIFY_SETTINGS, type CallDeliveryResult, type DeadLetterSink, type DeliveryReport, type NotifySettings } from './engine';
export { webhookIdOf, type CallNotification } from './transports/webhook';

export interface DeliverDeps extends Omit<EngineDeps, 'outbox' | 'transports'> {
  /** The call items, whose outbox this delivers from. */
  calls: CallOutboxRepository;
  /** Which callback addresses may be reached; default: `ALLOW_PRIVATE_OUTBOUND` of the environment. */
  outbound?: OutboundPolicy;
  /** Default: the registry's (lib/notify/transports/index.ts), built from `settings` and `outbound`. */
  transports?: EngineDeps['transports'];
  /** Default: the outbox on the call items (lib/notify/outbox.ts). */
  outbox?: EngineDeps['outbox'];
}

/**
 * The service's notification deliverer: the engine (lib/notify/engine.ts) over the outbox on the call items,
 * through every registered transport. The stream function, the scheduled retry and the local poller run it.
 */
export class NotificationDeliverer extends DeliveryEngine {
  constructor({ calls, outbound, transports, outbox, ...deps }: DeliverDeps) {
    super({
      ...deps,
      outbox: outbox ?? callOutbox(calls),
      transports: transports ?? registeredTransports({ timeoutMs: deps.settings.timeoutMs, outbound: outbound ?? outboundPolicyFromEnv() }),
    });
  }
}
