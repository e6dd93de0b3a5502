import type { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { CallEvent } from '../model/call';
import { signStandardWebhook } from '../crm/standard-webhooks';
import { ForbiddenAddressError, outboundPolicyFromEnv, type OutboundPolicy } from '../net/outbound';
import { OutboundTimeoutError, sendOutbound } from '../net/request';
import { toCallResource } from '../calls/resource';
import type { CallRepository, NotifyState, StoredCall } from '../store/calls';
import type { DeadLetter } from '../store/dead-letters';
import type { CallbackSettings, Tenant } from '../model/tenant';
import { systemClock, type Clock } from '../time/clock';

/** Where notifications that ran out of retries go: the table's DLQ log (locally and in AWS, where a Pipe copies it to SQS). */
export interface DeadLetterSink {
  send(letter: DeadLetter): Promise<void>;
}

export interface NotifySettings {
  /** Per request to the callback URL. */
  timeoutMs: number;
  /** First retry after about this long; doubles per attempt (with jitter) up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A run of failures older than this is dead-lettered (measured from its first failure). */
  maxAgeMs: number;
  /** 0: unlimited attempts within `maxAgeMs`. */
  maxAttempts: number;
  /** Calls delivered at once by `deliverDue` (each call's events stay in order). */
  concurrency: number;
  /** Calls taken from the outbox index per `deliverDue` run. */
  batchSize: number;
}

export const DEFAULT_NOTIFY_SETTINGS: NotifySettings = {
  timeoutMs: 5_000,
  baseDelayMs: 5_000,
  maxDelayMs: 5 * 60_000,
  maxAgeMs: 24 * 3600_000,
  maxAttempts: 0,
  concurrency: 8,
  batchSize: 100,
};

export interface DeliverDeps {
  calls: CallRepository;
  getTenant: (tenantId: string) => Promise<Tenant | undefined>;
  sink: DeadLetterSink;
  settings: NotifySettings;
  logger: Pick<PowertoolsLogger, 'info' | 'warn' | 'error'>;
  now?: Clock;
  /** In [0, 1): the jitter of the backoff. */
  random?: () => number;
  /** Which callback addresses may be reached; default: `ALLOW_PRIVATE_OUTBOUND` of the environment. */
  outbound?: OutboundPolicy;
}

/** What one pass over a call did. */
export type CallDeliveryResult =
  /** Every event is delivered (or there was nothing to deliver); the call left the outbox. */
  | 'delivered'
  /** The tenant has no callback URL: the events were marked delivered, nothing sent. */
  | 'skipped'
  /** A delivery failed: the call waits in the outbox for its next attempt. */
  | 'retrying'
  /** The retry budget ran out: the call's notifications were dead-lettered. */
  | 'dead_lettered'
  /** In backoff, or dead-lettered earlier: left alone. */
  | 'not_due'
  | 'missing'
  /** The pass failed (a store error): the call stays in the outbox, the next run tries again. */
  | 'error';

export interface DeliveryReport {
  calls: number;
  sent: number;
  results: Partial<Record<CallDeliveryResult, number>>;
}

/** The notification body: Standard Webhooks' `{type, timestamp, data}`. */
export interface CallNotification {
  type: `call.${CallEvent['state']}`;
  timestamp: string;
  data: {
    /** `sequence` is the event's index in `call.events`: 0, 1, 2... per call, in delivery order. */
    event: CallEvent & { sequence: number };
    /** The call as it is at delivery time (it may be further on than this event). */
    call: ReturnType<typeof toCallResource>;
  };
}

/**
 * Delivers each state change of a call (its `events`, the outbox) to the tenant's callback URL:
 * one signed POST per event, in order, `events[notified]` first, advancing `notified` on each 2xx.
 * The first failure stops the call's run and schedules the next attempt (exponential backoff with
 * jitter, capped), so a receiver that is down loses nothing: delivery resumes where it stopped.
 * A run of failures older than `maxAgeMs` is dead-lettered and waits for a redrive.
 *
 * At least once: a crash between a 2xx and the write of `notified` sends that event again, with
 * the same `webhook-id` (`<callId>.<sequence>`), which is what receivers dedupe on.
 */
export class NotificationDeliverer {
  private readonly now: Clock;
  private readonly random: () => number;
  private readonly outbound: OutboundPolicy;

  constructor(private readonly deps: DeliverDeps) {
    this.now = deps.now ?? systemClock;
    this.random = deps.random ?? Math.random;
    this.outbound = deps.outbound ?? outboundPolicyFromEnv();
  }

  /** One pass over the calls due in the outbox index: the scheduled retry, and the local stack's poller. */
  async deliverDue(): Promise<DeliveryReport> {
    const due = await this.deps.calls.listNotifyDue(this.now().toISOString(), this.deps.settings.batchSize);
    return this.deliverMany(due);
  }

  /** Delivers several calls, `concurrency` at a time, one tenant read per tenant. */
  async deliverMany(calls: ReadonlyArray<{ tenantId: string; callId: string }>): Promise<DeliveryReport> {
    const report: DeliveryReport = { calls: 0, sent: 0, results: {} };
    const tenants = new Map<string, Promise<Tenant | undefined>>();
    const getTenant = (tenantId: string) => {
      let tenant = tenants.get(tenantId);
      if (!tenant) tenants.set(tenantId, (tenant = this.deps.getTenant(tenantId)));
      return tenant;
    };
    const queue = [...new Map(calls.map((c) => [`${c.tenantId}#${c.callId}`, c])).values()];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        // One call's trouble must not hold up the others' notifications.
        const { result, sent } = await this.deliverCallWith(next.tenantId, next.callId, getTenant, true).catch((error: unknown) => {
          this.deps.logger.error('Notification pass failed', { tenantId: next?.tenantId, callId: next?.callId, error: error as Error });
          return { result: 'error' as const, sent: 0 };
        });
        report.calls++;
        report.sent += sent;
        report.results[result] = (report.results[result] ?? 0) + 1;
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.deps.settings.concurrency) }, worker));
    return report;
  }

  /** Delivers what is undelivered of one call, unless it is in backoff or dead-lettered. */
  async deliverCall(tenantId: string, callId: string): Promise<CallDeliveryResult> {
    return (await this.deliverCallWith(tenantId, callId, this.deps.getTenant, false)).result;
  }

  /**
   * @param fromIndex the call was found in the outbox index: when it has nothing left, take it out. Otherwise (a
   *   stream record, which the deliverer's own writes also produce) a call with nothing left costs one read, no write.
   */
  private async deliverCallWith(
    tenantId: string,
    callId: string,
    getTenant: (tenantId: string) => Promise<Tenant | undefined>,
    fromIndex: boolean,
  ): Promise<{ result: CallDeliveryResult; sent: number }> {
    let sent = 0;
    let call = await this.deps.calls.get(tenantId, callId);
    if (!call) return { result: 'missing', sent };
    if (call.notify?.deadLetteredAt) return { result: 'not_due', sent };
    if (!fromIndex && (call.notified ?? 0) >= call.events.length) return { result: 'delivered', sent };
    if (call.notify && call.notify.nextAttemptAt > this.now().toISOString()) return { result: 'not_due', sent };

    const tenant = await getTenant(tenantId);
    // Each pass either advances `notified`, or re-reads after losing a race to a concurrent writer.
    for (let pass = 0; pass < call.events.length + 10; pass++) {
      const notified: number = call.notified ?? 0;
      if (!tenant?.callback) {
        if (await this.deps.calls.skipNotifications(tenantId, callId, notified, call.events.length)) return { result: 'skipped', sent };
      } else if (notified >= call.events.length) {
        // Nothing left, but the call is still indexed (a crash after the last 2xx, or an index set by a write that lost a race).
        if (await this.deps.calls.skipNotifications(tenantId, callId, notified, call.events.length)) return { result: 'delivered', sent };
      } else {
        const failure = await this.send(tenant.callback, call, notified);
        if (failure !== undefined) return { result: await this.recordFailure(call, notified, failure, tenant.callback), sent };
        sent++;
        const last = notified + 1 === call.events.length;
        if (await this.deps.calls.advanceNotified(tenantId, callId, notified, last)) {
          if (last) return { result: 'delivered', sent };
          call = { ...call, notified: notified + 1, notify: undefined };
          continue;
        }
        // The last one we knew of, but an event came meanwhile: keep the call indexed, still count this one.
        if (last) await this.deps.calls.advanceNotified(tenantId, callId, notified, false);
      }
      // A condition failed: another deliverer moved on, or a new event arrived. Start again from the item.
      const fresh = await this.deps.calls.get(tenantId, callId);
      if (!fresh) return { result: 'missing', sent };
      if (fresh.notify?.deadLetteredAt) return { result: 'not_due', sent };
      call = fresh;
    }
    this.deps.logger.warn('Notification pass gave up after repeated races', { tenantId, callId });
    return { result: 'retrying', sent };
  }

  /** POSTs `events[index]`; answers undefined on a 2xx, else what went wrong. */
  private async send(callback: CallbackSettings, call: StoredCall, index: number): Promise<string | undefined> {
    const event = call.events[index]!;
    const notification: CallNotification = {
      type: `call.${event.state}`,
      timestamp: event.at,
      data: { event: { ...event, sequence: index }, call: toCallResource(call) },
    };
    const body = JSON.stringify(notification);
    const id = webhookIdOf(call.callId, index);
    const timestamp = Math.floor(this.now().getTime() / 1000);
    const signature = callback.secrets.map((s) => signStandardWebhook(s.secret, id, timestamp, body)).join(' ');
    try {
      // Only the status matters: the body is not read; redirects are failures, never followed.
      const response = await sendOutbound(callback.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'c2c-notify/1',
          'webhook-id': id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signature,
        },
        body,
        timeoutMs: this.deps.settings.timeoutMs,
        maxBodyBytes: 0,
        policy: this.outbound,
      });
      if (response.status >= 200 && response.status < 300) return undefined;
      return `HTTP ${response.status}`;
    } catch (error) {
      return describeFetchError(error);
    }
  }

  private async recordFailure(call: StoredCall, notified: number, error: string, callback: CallbackSettings): Promise<CallDeliveryResult> {
    const settings = this.deps.settings;
    const now = this.now();
    const attempts = (call.notify?.attempts ?? 0) + 1;
    const since = call.notify?.since ?? now.toISOString();
    const expired =
      now.getTime() - Date.parse(since) >= settings.maxAgeMs || (settings.maxAttempts > 0 && attempts >= settings.maxAttempts);
    const host = hostOf(callback.url);
    const base: Omit<NotifyState, 'nextAttemptAt'> = { attempts, since, lastAttemptAt: now.toISOString(), lastError: error };
    if (expired) {
      const deadLetteredAt = now.toISOString();
      // The letter first: a crash between the two leaves a duplicate letter, never a silent loss.
      await this.deps.sink.send({
        tenantId: call.tenantId,
        callId: call.callId,
        fromEvent: notified,
        eventCount: call.events.length,
        attempts,
        since,
        lastError: error,
        deadLetteredAt,
        callbackHost: host,
      });
      await this.deps.calls.markNotifyDead(call.tenantId, call.callId, notified, {
        ...base,
        nextAttemptAt: deadLetteredAt,
        deadLetteredAt,
      });
      this.deps.logger.error('Notifications dead-lettered', {
        tenantId: call.tenantId,
        callId: call.callId,
        attempts,
        since,
        lastError: error,
        callbackHost: host,
      });
      return 'dead_lettered';
    }
    const nextAttemptAt = new Date(now.getTime() + this.backoffMs(attempts)).toISOString();
    await this.deps.calls.recordNotifyFailure(call.tenantId, call.callId, notified, { ...base, nextAttemptAt });
    this.deps.logger.warn('Notification failed; will retry', {
      tenantId: call.tenantId,
      callId: call.callId,
      attempts,
      nextAttemptAt,
      lastError: error,
      callbackHost: host,
    });
    return 'retrying';
  }

  /** Exponential, capped, with "equal jitter": between half and all of the step, so retries never bunch up at zero. */
  backoffMs(attempts: number): number {
    const { baseDelayMs, maxDelayMs } = this.deps.settings;
    const step = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(attempts - 1, 30));
    return Math.round(step / 2 + this.random() * (step / 2));
  }
}

/** Stable across retries of the same event, unique per event: what receivers dedupe on. */
export function webhookIdOf(callId: string, sequence: number): string {
  return `${callId}.${sequence}`;
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
}

function describeFetchError(error: unknown): string {
  if (error instanceof OutboundTimeoutError) return 'timeout';
  // Says which address and why, so an operator reading lastError knows to change the callback URL.
  if (error instanceof ForbiddenAddressError) return `refused: ${error.message}`;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code) return `network: ${code}`;
  return `network: ${error instanceof Error ? error.message : String(error)}`.slice(0, 200);
}
