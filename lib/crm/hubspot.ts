import { createHash, createHmac } from 'node:crypto';
import { sameBytes } from '../secrets/compare';
import type { LiveSecret, Verification, WebhookDelivery } from './types';

/**
 * HubSpot request signature v3 (developers.hubspot.com, "Validating requests"):
 * `X-HubSpot-Signature-v3` = base64 HMAC-SHA256, keyed with the app's client secret, of
 * method + URI + body + `X-HubSpot-Request-Timestamp` (Unix milliseconds); requests older than
 * 5 minutes are to be rejected. The URI is the full URL HubSpot called, with the characters
 * HubSpot lists URL-decoded. HubSpot publishes no verifier package for it, hence node:crypto.
 */

export const HUBSPOT_MAX_AGE_MS = 5 * 60 * 1000;

const SIGNATURE_HEADER = 'x-hubspot-signature-v3';
const TIMESTAMP_HEADER = 'x-hubspot-request-timestamp';

/** The escapes HubSpot decodes in the URI before signing. */
const DECODED: Record<string, string> = {
  '%3A': ':',
  '%2F': '/',
  '%3F': '?',
  '%40': '@',
  '%21': '!',
  '%24': '$',
  '%27': "'",
  '%28': '(',
  '%29': ')',
  '%2A': '*',
  '%2C': ',',
  '%3B': ';',
};

/** The URI as HubSpot puts it into the signed string. */
export function hubspotSignedUri(url: string): string {
  return url.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (escape) => DECODED[escape.toUpperCase()] ?? escape);
}

function hmac(secret: string, method: string, url: string, body: string, timestamp: string): Buffer {
  return createHmac('sha256', secret)
    .update(`${method.toUpperCase()}${hubspotSignedUri(url)}${body}${timestamp}`, 'utf8')
    .digest();
}

/** The `X-HubSpot-Signature-v3` value HubSpot would send. */
export function signHubSpotV3(secret: string, method: string, url: string, body: string, timestampMs: number): string {
  return hmac(secret, method, url, body, String(timestampMs)).toString('base64');
}

/**
 * Verifies against every live secret (the old and the new client secret while the app's secret
 * is rotated). Future timestamps are refused too: the window bounds clock skew both ways.
 */
export function verifyHubSpotV3(delivery: WebhookDelivery, secrets: readonly LiveSecret[], nowMs: number): Verification {
  const signature = delivery.headers[SIGNATURE_HEADER];
  const timestamp = delivery.headers[TIMESTAMP_HEADER];
  if (!signature || !timestamp) return { ok: false, reason: 'missing_headers' };
  if (!/^\d{1,15}$/.test(timestamp)) return { ok: false, reason: 'malformed_timestamp' };
  if (Math.abs(nowMs - Number(timestamp)) > HUBSPOT_MAX_AGE_MS) return { ok: false, reason: 'timestamp_out_of_window' };
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signature.trim())) return { ok: false, reason: 'malformed_signature' };
  const given = Buffer.from(signature.trim(), 'base64');

  for (const secret of secrets) {
    const expected = hmac(secret.value, delivery.method, delivery.url, delivery.rawBody, timestamp);
    if (sameBytes(given, expected)) {
      // HubSpot sends no delivery id: the signature is what tells this delivery from another with
      // the same content, and a copy of it verifies for as long as its timestamp is in the window.
      const id = createHash('sha256').update(`${timestamp}\n${signature.trim()}`, 'utf8').digest('base64url').slice(0, 32);
      return { ok: true, secretId: secret.secretId, replay: { id, validForSec: (2 * HUBSPOT_MAX_AGE_MS) / 1000 } };
    }
  }
  return { ok: false, reason: 'signature_mismatch' };
}
