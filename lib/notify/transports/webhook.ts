import { signStandardWebhook } from '../../crm/standard-webhooks';
import { ForbiddenAddressError, type OutboundPolicy } from '../../net/outbound';
import { OutboundTimeoutError, sendOutbound } from '../../net/request';
import { toCallResource, toEventResource } from '../../calls/resource';
import type { Call, CallResourceEvent } from '../../model/call-resource';
import type { CallbackSettings } from '../../model/tenant';
import type { DeliveryOutcome, NotificationTransport } from '../transport';

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
    hostOf: (callback) => hostOf(callback.url),
    async deliver(call, event, { target: callback, now }): Promise<DeliveryOutcome> {
      const notification: CallNotification = {
        type: `call.${event.state}`,
        timestamp: event.at,
        data: { event: { sequence: event.sequence, ...toEventResource(event) }, call: toCallResource(call) },
      };
      const body = JSON.stringify(notification);
      const id = webhookIdOf(call.callId, event.sequence);
      const timestamp = Math.floor(now.getTime() / 1000);
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
          timeoutMs: options.timeoutMs,
          maxBodyBytes: 0,
          policy: options.outbound,
        });
        if (response.status >= 200 && response.status < 300) return { kind: 'delivered' };
        return { kind: 'retry', error: `HTTP ${response.status}` };
      } catch (error) {
        return { kind: 'retry', error: describeFetchError(error) };
      }
    },
  };
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
