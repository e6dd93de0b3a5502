import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { signStandardWebhook } from '../crm/standard-webhooks';
import { ForbiddenAddressError, outboundPolicyFromEnv, type OutboundPolicy } from '../net/outbound';
import { OutboundTimeoutError, sendOutbound } from '../net/request';
import type { CallbackSettings } from '../model/tenant';
import { systemClock, type Clock } from '../time/clock';

/** The body of a ping: creates nothing at the receiver, which should answer it with any 2xx. */
export interface PingNotification {
  type: 'ping';
  timestamp: string;
  data: { tenantId: string; reason: string };
}

export type PingResult =
  | { ok: true; webhookId: string; status: number; ms: number }
  | { ok: false; webhookId: string; status?: number; ms: number; error: string };

/**
 * Sends one signed `ping` event to a tenant's callback URL, exactly as a notification goes out (same
 * headers, every live secret signs, redirects not followed, the same address rule), and reports whether a
 * 2xx came back.
 * Receivers should answer 2xx to a `ping` and do nothing else (docs/outcomes.md).
 */
export async function pingCallback(
  callback: CallbackSettings,
  options: { tenantId: string; timeoutMs: number; outbound?: OutboundPolicy; now?: Clock; reason?: string },
): Promise<PingResult> {
  const now = (options.now ?? systemClock)();
  const webhookId = `ping_${randomBytes(8).toString('hex')}`;
  const body: PingNotification = {
    type: 'ping',
    timestamp: now.toISOString(),
    data: { tenantId: options.tenantId, reason: options.reason ?? 'c2c doctor: checking the callback URL' },
  };
  const raw = JSON.stringify(body);
  const timestamp = Math.floor(now.getTime() / 1000);
  const signature = callback.secrets.map((s) => signStandardWebhook(s.secret, webhookId, timestamp, raw)).join(' ');
  const started = performance.now();
  try {
    const response = await sendOutbound(callback.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'c2c-doctor/1',
        'webhook-id': webhookId,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signature,
      },
      body: raw,
      timeoutMs: options.timeoutMs,
      maxBodyBytes: 0,
      policy: options.outbound ?? outboundPolicyFromEnv(),
    });
    const ms = Math.round(performance.now() - started);
    if (response.status >= 200 && response.status < 300) return { ok: true, webhookId, status: response.status, ms };
    return { ok: false, webhookId, status: response.status, ms, error: `HTTP ${response.status}` };
  } catch (error) {
    const ms = Math.round(performance.now() - started);
    if (error instanceof OutboundTimeoutError) return { ok: false, webhookId, ms, error: `no answer within ${options.timeoutMs} ms` };
    if (error instanceof ForbiddenAddressError) return { ok: false, webhookId, ms, error: `refused: ${error.message}` };
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    return { ok: false, webhookId, ms, error: code ?? (error instanceof Error ? error.message : String(error)) };
  }
}
