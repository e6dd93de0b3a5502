import { vi } from 'vitest';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { loadSample, resignSample, type SampleCase } from '../../local/hook-samples';
import type { WebhookSource } from '../../lib/crm/sources';

export { invokeEvent } from './env';

/** The event with another body (content-length kept truthful). */
export function withBody(event: APIGatewayProxyEventV2, body: string): APIGatewayProxyEventV2 {
  return { ...event, body, headers: { ...event.headers, 'content-length': String(Buffer.byteLength(body)) } };
}

/**
 * The event with its JSON body changed by `fn` (re-serialised compactly, as the senders do). T describes the
 * fields `fn` touches in this sender's payload (local/hook-samples/).
 */
export function editJson<T>(event: APIGatewayProxyEventV2, fn: (body: T) => void): APIGatewayProxyEventV2 {
  const body = JSON.parse(event.body ?? '{}') as T;
  fn(body);
  return withBody(event, JSON.stringify(body));
}

/**
 * A sample turned into a new delivery `n`: another delivery id and another lead, so that neither
 * the sender's id nor the derived short-window key makes it a replay of an earlier test's delivery.
 * Unsigned: sign it with `resignSample`.
 */
export function variant(source: WebhookSource, kase: SampleCase, n: string): APIGatewayProxyEventV2 {
  const event = loadSample(source, kase);
  switch (source) {
    case 'standard':
      return editJson(
        { ...event, headers: { ...event.headers, 'webhook-id': `${event.headers['webhook-id']}_${n}` } },
        (b: { data: { lead: { id: string } } }) => {
          b.data.lead.id = `lead-${n}`;
        },
      );
    case 'hubspot':
      return editJson(event, (b: { objectId: string }) => {
        b.objectId = `9${n.replace(/\D/g, '')}${Math.floor(Math.random() * 1e6)}`;
      });
    case 'pipedrive':
      return editJson(event, (b: { meta: { id: string | number }; data: { id: string } }) => {
        b.meta.id = `${b.meta.id}-${n}`;
        b.data.id = `4242${n}`;
      });
    case 'token':
      return editJson({ ...event, headers: { ...event.headers, 'idempotency-key': `zap-run-${n}` } }, (b: { lead_id: string }) => {
        b.lead_id = `zap-lead-${n}`;
      });
  }
}

/** `variant`, signed now with the case's secret (or `secret`). */
export function signedVariant(source: WebhookSource, kase: SampleCase, n: string, secret?: string): APIGatewayProxyEventV2 {
  return resignSample(variant(source, kase, n), source, kase, Date.now(), secret);
}

/**
 * Holds the clock in the middle of a derived-key window (fake `Date` only: timers and I/O run as usual): a
 * delivery without a delivery id (HubSpot) and its replay must fall into the same window for the test to mean
 * anything. The service reads the same `Date` (lib/time/clock.ts). Undone by `vi.useRealTimers()`.
 */
export function midWindowClock(windowSec = 60): void {
  const windowMs = windowSec * 1000;
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(Math.ceil(Date.now() / windowMs) * windowMs + windowMs / 2);
}
