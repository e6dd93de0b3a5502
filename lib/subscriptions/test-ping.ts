import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { signStandardWebhook } from '../crm/standard-webhooks';
import type { SubscriptionWithSecrets } from '../model/subscription';
import { ForbiddenAddressError, type OutboundPolicy } from '../net/outbound';
import { OutboundTimeoutError, sendOutbound } from '../net/request';

/** The body of a test: creates nothing at the receiver, which should answer it with any 2xx. */
export interface SubscriptionPing {
  type: 'ping';
  timestamp: string;
  data: { subscriptionId: string };
}

export interface PingOutcome {
  delivered: boolean;
  /** The endpoint's HTTP status; null when none came back. */
  responseCode: number | null;
  latencyMs: number;
  /** Why it did not deliver, in a few words; null when it did. */
  error: string | null;
}

/**
 * One signed `ping` to a subscription's URL, as a delivery goes out: Standard Webhooks headers, every live secret
 * signs (space-separated in `webhook-signature`), no redirect followed, the send-time address guard on the address
 * the socket connects to (lib/net/request.ts).
 */
export async function pingSubscription(
  subscription: SubscriptionWithSecrets,
  options: { now: Date; timeoutMs: number; outbound: OutboundPolicy },
): Promise<PingOutcome> {
  const webhookId = `ping_${randomBytes(8).toString('hex')}`;
  const body: SubscriptionPing = { type: 'ping', timestamp: options.now.toISOString(), data: { subscriptionId: subscription.id } };
  const raw = JSON.stringify(body);
  const timestamp = Math.floor(options.now.getTime() / 1000);
  const signature = subscription.secrets.map((s) => signStandardWebhook(s.secret, webhookId, timestamp, raw)).join(' ');
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const response = await sendOutbound(subscription.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'c2c-webhooks/1',
        'webhook-id': webhookId,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signature,
      },
      body: raw,
      timeoutMs: options.timeoutMs,
      maxBodyBytes: 0,
      policy: options.outbound,
    });
    const delivered = response.status >= 200 && response.status < 300;
    return { delivered, responseCode: response.status, latencyMs: elapsed(), error: delivered ? null : `HTTP ${response.status}` };
  } catch (error) {
    const latencyMs = elapsed();
    if (error instanceof OutboundTimeoutError) return { delivered: false, responseCode: null, latencyMs, error: error.message };
    if (error instanceof ForbiddenAddressError)
      return { delivered: false, responseCode: null, latencyMs, error: `refused: ${error.message}` };
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    return { delivered: false, responseCode: null, latencyMs, error: code ?? (error instanceof Error ? error.message : String(error)) };
  }
}
