import { performance } from 'node:perf_hooks';
import { signStandardWebhook } from '../../crm/standard-webhooks';
import { ForbiddenAddressError, type OutboundPolicy } from '../../net/outbound';
import { OutboundTimeoutError, sendOutbound } from '../../net/request';
import { toCallResource, toEventResource } from '../../calls/resource';
import type { Call, CallResourceEvent } from '../../model/call-resource';
import type { CallbackSettings } from '../../model/tenant';
import type { StoredCall } from '../../store/calls';
import type { DeliveryOutcome, NotificationTransport, SequencedEvent } from '../transport';

export const WEBHOOK_TRANSPORT = 'webhook';

/** The notification body: Standard Webhooks' `{type, timestamp, data}`. */
export interface CallNotification {
  type: `call.${CallResourceEvent['state']}`;
  timestamp: string;
  data: {
    /** `sequence` is the event's index in `call.events`: 0, 1, 2... per call, in delivery order; `detail` null when none. */
    event: { sequence: number } & CallResourceEvent;
    /** The call as it is at delivery time (it may be further on than this event). */
    call: Call;
  };
}

export interface WebhookTransportOptions {
  /** Per request to the callback URL. */
  timeoutMs: number;
  /** Which callback addresses may be reached. */
  outbound: OutboundPolicy;
}

/**
 * The tenant's callback URL, Standard Webhooks: one signed POST per event, every live secret signs, the `webhook-id`
 * (`<callId>.<sequence>`) stable across retries so receivers dedupe on it. Any 2xx delivers; anything else (a refused
 * signature included: the receiver may be mid-rotation) is retried, since a callback URL has no credentials of ours
 * to hold on. The doctor's signed ping to the same URL is lib/notify/ping.ts.
 */
export function webhookTransport(options: WebhookTransportOptions): NotificationTransport<CallbackSettings> {
  return {
    name: WEBHOOK_TRANSPORT,
    targetOf: (tenant) => tenant.callback,
    wants: () => true,
    hostOf: (callback) => urlHostOf(callback.url),
    async deliver(call, event, { target: callback, now }): Promise<DeliveryOutcome> {
      const sent = await postStandardWebhook({
        url: callback.url,
        id: webhookIdOf(call.callId, event.sequence),
        body: JSON.stringify(callNotificationOf(call, event)),
        secrets: callback.secrets,
        now,
        ...options,
      });
      if (sent.status !== null && sent.status >= 200 && sent.status < 300) return { kind: 'delivered' };
      return { kind: 'retry', error: sent.error ?? `HTTP ${sent.status}` };
    },
  };
}

/** The body of a call event's notification: the callback's, and every webhook subscription's. */
export function callNotificationOf(call: StoredCall, event: SequencedEvent): CallNotification {
  return {
    type: `call.${event.state}`,
    timestamp: event.at,
    data: { event: { sequence: event.sequence, ...toEventResource(event) }, call: toCallResource(call) },
  };
}

/** One Standard Webhooks POST. */
export interface StandardWebhookPost {
  url: string;
  /** `webhook-id`: what the receiver dedupes on. */
  id: string;
  body: string;
  /** Every live secret signs: space-separated `v1,` signatures, so a receiver mid-rotation verifies with either. */
  secrets: ReadonlyArray<{ secret: string }>;
  now: Date;
  timeoutMs: number;
  outbound: OutboundPolicy;
}

/** What came of a POST: the status (null when none came back) and why it failed, in a few words (null for a 2xx). */
export interface PostResult {
  status: number | null;
  error: string | null;
  latencyMs: number;
}

/**
 * Signs and sends one Standard Webhooks POST, as the callback and the subscriptions send them: the same headers, the
 * send-time address guard on the address the socket connects to (lib/net/request.ts), no redirect followed, the body
 * of the answer not read. Never throws for the receiver's failure: it answers it.
 */
export async function postStandardWebhook(post: StandardWebhookPost): Promise<PostResult> {
  const timestamp = Math.floor(post.now.getTime() / 1000);
  const signature = post.secrets.map((s) => signStandardWebhook(s.secret, post.id, timestamp, post.body)).join(' ');
  const started = performance.now();
  const latency = () => Math.round(performance.now() - started);
  try {
    const response = await sendOutbound(post.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'c2c-notify/1',
        'webhook-id': post.id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signature,
      },
      body: post.body,
      timeoutMs: post.timeoutMs,
      maxBodyBytes: 0,
      policy: post.outbound,
    });
    const ok = response.status >= 200 && response.status < 300;
    return { status: response.status, error: ok ? null : `HTTP ${response.status}`, latencyMs: latency() };
  } catch (error) {
    return { status: null, error: describeFetchError(error), latencyMs: latency() };
  }
}

/** Stable across retries of the same event, unique per event: what receivers dedupe on. */
export function webhookIdOf(callId: string, sequence: number): string {
  return `${callId}.${sequence}`;
}

/** The host of a URL, for logs and dead letters; null for one that does not parse. */
export function urlHostOf(url: string): string | null {
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
