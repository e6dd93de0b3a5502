import type { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { DeliveryAttemptInput, Subscription, SubscriptionWithSecrets } from '../model/subscription';
import type { OutboundPolicy } from '../net/outbound';
import type { AttemptReport, DeliveryOutcome, NotificationTransport } from '../notify/transport';
import { callNotificationOf, postStandardWebhook, urlHostOf, webhookIdOf } from '../notify/transports/webhook';
import type { Tenant } from '../model/tenant';
import type { StoredCall } from '../store/calls';
import { matches } from './matches';
import { sendDisabledNotices, type SubscriptionLog } from './disabled-notice';

/** An endpoint failing this long without a success is disabled (REST hooks; docs/api.md, "Subscriptions"). */
export const FAILING_LIMIT_MS = 3 * 24 * 3600_000;
/**
 * How long a pass waits for a subscription's attempt before it lets it finish by itself (lib/notify/slow-runs.ts):
 * longer than most endpoints take to answer, short enough that a hanging one delays no other by a second.
 */
export const SUBSCRIPTION_DETACH_AFTER_MS = 250;

const SLOT_PREFIX = 'sub:';

/**
 * The name of a subscription's transport, and so of its slot on the call items (`deliveries.sub:<...>`), its dead
 * letters and its logs. Slot names are lower case (`^[a-z][a-z0-9_:-]{0,62}$`) and ids are not: each capital becomes
 * `:` and its small letter, and `:` is in no id, so two ids never share a name. `sub_3fK9xQ2m` -> `sub:3f:k9x:q2m`.
 */
export function subscriptionSlotName(id: string): string {
  return SLOT_PREFIX + id.slice('sub_'.length).replace(/[A-Z]/g, (c) => `:${c.toLowerCase()}`);
}

/** The subscription id a slot name stands for; undefined for another transport's name. */
export function subscriptionIdOfSlot(name: string): string | undefined {
  if (!name.startsWith(SLOT_PREFIX)) return undefined;
  return `sub_${name.slice(SLOT_PREFIX.length).replace(/:([a-z])/g, (_, c: string) => c.toUpperCase())}`;
}

/** What the delivery side uses of the subscription store (lib/store/subscriptions.ts). */
export interface SubscriptionStore {
  list(tenantId: string): Promise<Subscription[]>;
  withSecrets(tenantId: string, id: string): Promise<SubscriptionWithSecrets | undefined>;
  get(tenantId: string, id: string): Promise<Subscription | undefined>;
  markFailing(tenantId: string, id: string, since: string): Promise<boolean>;
  clearFailing(tenantId: string, id: string): Promise<boolean>;
  disable(tenantId: string, id: string, reason: string): Promise<boolean>;
  delete(tenantId: string, id: string): Promise<boolean>;
}

export interface SubscriptionDeliveryOptions {
  subscriptions: SubscriptionStore;
  log: SubscriptionLog;
  /** Per request to an endpoint (NOTIFY_TIMEOUT_MS). */
  timeoutMs: number;
  outbound: OutboundPolicy;
  /** Default {@link SUBSCRIPTION_DETACH_AFTER_MS}. */
  detachAfterMs?: number;
  logger: Pick<PowertoolsLogger, 'warn'>;
}

/** A subscription as one pass knows it: what it read, and what it did since (a delete, a disable, a failure run). */
interface Known {
  subscription: Subscription;
  /** Its live secrets, opened at its first delivery of the pass. */
  secrets?: Promise<SubscriptionWithSecrets['secrets']>;
  failingSince: string | null;
  /** Deleted (410) or disabled here: no more attempts from this pass. */
  ended: boolean;
}

/**
 * The engine's `transportsFor` (lib/notify/engine.ts): one transport per subscription of the tenant, each on its own
 * slot, so each endpoint has its own order, retries, dead letters and redrive, and a slow one holds up no other.
 * Read once per pass; a disabled subscription has no target (its slots wait, unwritten, and hold no call in the outbox).
 */
export function subscriptionTransportsFor(options: SubscriptionDeliveryOptions) {
  return async (tenant: Pick<Tenant, 'tenantId'>): Promise<NotificationTransport[]> => {
    const all = (await options.subscriptions.list(tenant.tenantId)).map((subscription): Known => ({
      subscription,
      failingSince: subscription.failingSince,
      ended: false,
    }));
    return all.map((known) => subscriptionTransport(known, all, options));
  };
}

function subscriptionTransport(
  known: Known,
  all: readonly Known[],
  options: SubscriptionDeliveryOptions,
): NotificationTransport<Subscription> {
  const { subscription } = known;
  const { tenantId, id } = subscription;
  return {
    name: subscriptionSlotName(id),
    detachAfterMs: options.detachAfterMs ?? SUBSCRIPTION_DETACH_AFTER_MS,
    targetOf: () => (subscription.status === 'enabled' && !known.ended ? subscription : undefined),
    wants: (event, call, target) => isNew(target, event, call) && matches(target, event, call),
    hostOf: (target) => urlHostOf(target.url),
    async deliver(call, event, { target, now }): Promise<DeliveryOutcome> {
      // Opened per subscription, not with the list: one whose secret does not open fails alone, and is retried.
      known.secrets ??= options.subscriptions.withSecrets(tenantId, id).then((opened) => opened?.secrets ?? []);
      const secrets = await known.secrets.catch(() => undefined);
      if (!secrets?.length) {
        known.secrets = undefined;
        return { kind: 'retry', error: 'the signing secret could not be opened', answer: { responseCode: null, latencyMs: 0 } };
      }
      const sent = await postStandardWebhook({
        url: target.url,
        id: webhookIdOf(call.callId, event.sequence),
        body: JSON.stringify(callNotificationOf(call, event)),
        secrets,
        now,
        timeoutMs: options.timeoutMs,
        outbound: options.outbound,
      });
      const answer = { responseCode: sent.status, latencyMs: sent.latencyMs };
      if (sent.error === null) return { kind: 'delivered', answer };
      // REST hooks: the endpoint says the subscription is over (a Zap turned off).
      if (sent.status === 410) return { kind: 'gone', error: 'HTTP 410: the endpoint ended the subscription', answer };
      return { kind: 'retry', error: sent.error, answer };
    },
    async attempted(report) {
      await options.log.record(tenantId, id, logEntryOf(report));
      await restHooks(report, known, all, options);
    },
  };
}

/**
 * Whether an event is one the subscription came in time for: those from its creation on (or from its re-enabling),
 * as a Stripe endpoint gets the events created after it. The subscription migrated from the tenant's callback URL
 * also takes what the callback had not delivered yet (from `notified`), so the change-over loses nothing.
 */
function isNew(subscription: Subscription, event: { at: string; sequence: number }, call: Pick<StoredCall, 'notified'>): boolean {
  if (event.at >= (subscription.enabledAt ?? subscription.createdAt)) return true;
  return subscription.origin === 'callback' && event.at < subscription.createdAt && event.sequence >= (call.notified ?? 0);
}

function logEntryOf(report: AttemptReport): DeliveryAttemptInput {
  const { outcome, next } = report;
  return {
    event: `call.${report.event.state}`,
    callId: report.call.callId,
    attempt: report.attempt,
    status: next.kind === 'delivered' ? 'delivered' : next.kind === 'retry' || next.kind === 'held' ? 'failed' : 'dead',
    responseCode: outcome.answer?.responseCode ?? null,
    latencyMs: outcome.answer?.latencyMs ?? null,
    error: outcome.kind === 'delivered' ? null : outcome.error,
    attemptedAt: report.at.toISOString(),
    nextAttemptAt: next.kind === 'retry' || next.kind === 'held' ? next.at : null,
  };
}

/**
 * The REST-hook rules after an attempt: a `410 Gone` deletes the subscription; a success ends its failure run; a
 * failure starts one, and a run 3 days old disables the subscription and tells the tenant's other subscriptions.
 */
async function restHooks(report: AttemptReport, known: Known, all: readonly Known[], options: SubscriptionDeliveryOptions) {
  const { subscriptions } = options;
  const { tenantId, id } = known.subscription;
  const at = report.at.toISOString();
  if (report.outcome.kind === 'gone') {
    known.ended = true;
    if (await subscriptions.delete(tenantId, id))
      options.logger.warn('Subscription deleted: its endpoint answered 410 Gone', { tenantId, id });
    return;
  }
  if (report.outcome.kind === 'delivered') {
    if (known.failingSince !== null) await subscriptions.clearFailing(tenantId, id);
    known.failingSince = null;
    return;
  }
  if (known.failingSince === null) {
    if (await subscriptions.markFailing(tenantId, id, at)) known.failingSince = at;
    // A run under way already (another process started it): its start is what counts.
    else known.failingSince = (await subscriptions.get(tenantId, id))?.failingSince ?? null;
    if (known.failingSince === null) return;
  }
  if (report.at.getTime() - Date.parse(known.failingSince) < FAILING_LIMIT_MS) return;
  const days = Math.floor((report.at.getTime() - Date.parse(known.failingSince)) / 86_400_000);
  const reason = `failing since ${known.failingSince} (${days} days)`;
  known.ended = true;
  if (!(await subscriptions.disable(tenantId, id, reason))) return;
  options.logger.warn('Subscription disabled: its endpoint failed for 3 days', { tenantId, id, failingSince: known.failingSince });
  const others = all.filter((k) => k !== known && !k.ended && k.subscription.status === 'enabled');
  // Each opened on its own: one whose secret does not open is left out, not the others.
  const opened = await Promise.all(others.map((k) => subscriptions.withSecrets(tenantId, k.subscription.id).catch(() => undefined)));
  await sendDisabledNotices(
    { ...known.subscription, status: 'disabled', disabledReason: reason, updatedAt: at },
    reason,
    opened.flatMap((o) => (o ? [o] : [])),
    {
      ...options,
      now: report.at,
    },
  );
}
