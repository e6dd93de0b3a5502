import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { loadSample, resignSample, type SampleCase } from '../../local/hook-samples';
import type { WebhookSource } from '../../lib/store/webhook-sources';

export { invokeEvent } from './env';

/** The event with another body (content-length kept truthful). */
export function withBody(event: APIGatewayProxyEventV2, body: string): APIGatewayProxyEventV2 {
  return { ...event, body, headers: { ...event.headers, 'content-length': String(Buffer.byteLength(body)) } };
}

/** The event with its JSON body changed by `fn` (re-serialised compactly, as the senders do). */
export function editJson(event: APIGatewayProxyEventV2, fn: (body: any) => void): APIGatewayProxyEventV2 {
  const body = JSON.parse(event.body ?? '{}');
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
      return editJson({ ...event, headers: { ...event.headers, 'webhook-id': `${event.headers['webhook-id']}_${n}` } }, (b) => {
        b.data.lead.id = `lead-${n}`;
      });
    case 'hubspot':
      return editJson(event, (b) => {
        b.objectId = `9${n.replace(/\D/g, '')}${Math.floor(Math.random() * 1e6)}`;
      });
    case 'pipedrive':
      return editJson(event, (b) => {
        b.meta.id = `${b.meta.id}-${n}`;
        b.data.id = `4242${n}`;
      });
    case 'token':
      return editJson({ ...event, headers: { ...event.headers, 'idempotency-key': `zap-run-${n}` } }, (b) => {
        b.lead_id = `zap-lead-${n}`;
      });
  }
}

/** `variant`, signed now with the case's secret (or `secret`). */
export function signedVariant(source: WebhookSource, kase: SampleCase, n: string, secret?: string): APIGatewayProxyEventV2 {
  return resignSample(variant(source, kase, n), source, kase, Date.now(), secret);
}

/**
 * Waits until the clock is not within `marginMs` of the end of a derived-key window: a delivery
 * without a delivery id (HubSpot) and its replay must fall into the same window for the test to
 * mean anything.
 */
export async function awayFromWindowEdge(windowSec = 60, marginMs = 3_000): Promise<void> {
  const windowMs = windowSec * 1000;
  const left = windowMs - (Date.now() % windowMs);
  if (left < marginMs) await new Promise((resolve) => setTimeout(resolve, left + 50));
}
