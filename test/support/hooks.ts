import { vi } from 'vitest';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { loadSample, resignSample, SOURCE_SAMPLES, type SampleCase } from '../../local/hook-samples';
import type { WebhookSource } from '../../lib/crm/sources';

export { invokeEvent } from './env';

/** The event with another body (content-length kept truthful). */
export function withBody(event: APIGatewayProxyEventV2, body: string): APIGatewayProxyEventV2 {
  return { ...event, body, headers: { ...event.headers, 'content-length': String(Buffer.byteLength(body)) } };
}

/**
 * The event with its JSON body changed by `fn` (re-serialised compactly, as the senders do). T describes the
 * fields `fn` touches in this sender's payload (local/hook-samples/<source>.ts).
 */
export function editJson<T>(event: APIGatewayProxyEventV2, fn: (body: T) => void): APIGatewayProxyEventV2 {
  const body = JSON.parse(event.body ?? '{}') as T;
  fn(body);
  return withBody(event, JSON.stringify(body));
}

/**
 * A sample turned into a new delivery `n`: another delivery id and another lead, so that neither
 * the sender's id nor the derived short-window key makes it a replay of an earlier test's delivery
 * (each source's `variant`, local/hook-samples/<source>.ts). Unsigned: sign it with `resignSample`.
 */
export function variant(source: WebhookSource, kase: SampleCase, n: string): APIGatewayProxyEventV2 {
  return SOURCE_SAMPLES[source].variant(loadSample(source, kase), n);
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
