import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Standard Webhooks `v1` verification of a delivery as Zapier hands it to a hook trigger's `perform`.
 *
 * The service signs every delivery with the subscription's secret (`whsec_<base64>`, kept in `subscribeData` from the
 * subscribe answer): `webhook-signature` holds space-separated `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, so
 * during a secret rotation two signatures come and either may match. Zapier passes the request in
 * `bundle.rawRequest` with the headers renamed (`Http-` prefixed, Camel-Case: `Http-Webhook-Signature`), so names are
 * read case-insensitively with or without the prefix.
 *
 * Written on node:crypto because the app is pushed to Zapier as its own folder and depends on nothing of the service.
 */

/** A delivery stamped further ahead than this of our clock is refused (the spec's 5 minutes). */
export const FUTURE_TOLERANCE_SEC = 5 * 60;
/**
 * A delivery older than this is refused. Wider than the spec's 5 minutes on purpose: Zapier may hold a received hook
 * in its queue before it runs `perform`, and a legitimate late event must not be lost; a replay needs the captured
 * body and headers of a TLS request to Zapier, the same as a forgery needs the secret.
 */
export const PAST_TOLERANCE_SEC = 60 * 60;

export interface RawRequest {
  headers?: Record<string, string | undefined>;
  content?: string;
}

export type Verified = { ok: true; webhookId: string; body: string } | { ok: false; reason: string };

/** Verifies the delivery against the subscription's secret; the body to read is the exact text that was verified. */
export function verifyDelivery(secret: string | undefined, raw: RawRequest | undefined, nowMs = Date.now()): Verified {
  if (!secret) return { ok: false, reason: 'the subscription has no signing secret (subscribe again)' };
  if (!raw || typeof raw.content !== 'string') return { ok: false, reason: 'the request was not passed on by Zapier' };
  const headers = headerMap(raw.headers ?? {});
  const id = headers.get('webhook-id');
  const timestamp = headers.get('webhook-timestamp');
  const signatures = headers.get('webhook-signature');
  if (!id || !timestamp || !signatures)
    return { ok: false, reason: 'unsigned: webhook-id, webhook-timestamp or webhook-signature missing' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'malformed webhook-timestamp' };
  const age = nowMs / 1000 - Number(timestamp);
  if (age > PAST_TOLERANCE_SEC || age < -FUTURE_TOLERANCE_SEC) return { ok: false, reason: 'webhook-timestamp out of the accepted window' };
  const key = secretKey(secret);
  if (!key) return { ok: false, reason: 'the signing secret is not whsec_<base64>' };
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${raw.content}`, 'utf8').digest();
  const matched = signatures
    .split(' ')
    .map((part) => part.split(','))
    .some(([version, value]) => version === 'v1' && value !== undefined && sameBase64(value, expected));
  return matched ? { ok: true, webhookId: id, body: raw.content } : { ok: false, reason: 'signature mismatch' };
}

function headerMap(headers: Record<string, string | undefined>): Map<string, string> {
  const map = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string') continue;
    map.set(name.toLowerCase().replace(/^http-/, ''), value);
  }
  return map;
}

function secretKey(secret: string): Buffer | undefined {
  const encoded = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) return undefined;
  const key = Buffer.from(encoded, 'base64');
  return key.length > 0 ? key : undefined;
}

/** Compares in constant time; a signature that is not canonical base64 of 32 bytes matches nothing. */
function sameBase64(value: string, expected: Buffer): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return false;
  const given = Buffer.from(value, 'base64');
  return given.length === expected.length && given.toString('base64') === value && timingSafeEqual(given, expected);
}
