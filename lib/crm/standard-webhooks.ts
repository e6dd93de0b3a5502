import { createHmac } from 'node:crypto';
import { sameBytes } from '../secrets/compare';
import { decodeStrictBase64, isRespeltBase64 } from './base64';
import type { LiveSecret, Verification, WebhookDelivery } from './types';

/**
 * Standard Webhooks (https://www.standardwebhooks.com), symmetric scheme `v1`:
 * `webhook-signature` holds space-separated `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`,
 * keyed with the base64 part of a `whsec_` secret; `webhook-timestamp` is Unix seconds.
 *
 * Written on node:crypto rather than the `standardwebhooks` package: that package verifies with one
 * secret per instance on a pure-JS SHA-256 and parses the body itself, while this path needs several
 * live secrets, the raw body, and the precise failure reason for the log. The unit tests hold it to
 * the examples published with the spec (the reference library's test vectors).
 */

/** The spec's tolerance: a delivery whose timestamp is further than this from our clock is refused. */
export const STANDARD_TOLERANCE_SEC = 5 * 60;
export const STANDARD_SECRET_PREFIX = 'whsec_';

/**
 * Header names: the spec's, and Svix's branded ones (Svix is the reference sender and still sends
 * `svix-*` on some accounts).
 */
const HEADER_SETS = [
  { id: 'webhook-id', timestamp: 'webhook-timestamp', signature: 'webhook-signature' },
  { id: 'svix-id', timestamp: 'svix-timestamp', signature: 'svix-signature' },
] as const;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The HMAC key of a `whsec_` secret (the prefix is optional), or undefined when it is not valid base64. */
export function standardSecretKey(secret: string): Buffer | undefined {
  const encoded = secret.startsWith(STANDARD_SECRET_PREFIX) ? secret.slice(STANDARD_SECRET_PREFIX.length) : secret;
  if (!BASE64.test(encoded) || encoded.length % 4 !== 0) return undefined;
  const key = Buffer.from(encoded, 'base64');
  return key.length > 0 ? key : undefined;
}

/** The `v1,<base64>` signature of one delivery, as a sender computes it. */
export function signStandardWebhook(secret: string, msgId: string, timestampSec: number, body: string): string {
  const key = standardSecretKey(secret);
  if (!key) throw new Error('Not a Standard Webhooks secret (whsec_<base64>)');
  return `v1,${hmac(key, msgId, String(timestampSec), body).toString('base64')}`;
}

function hmac(key: Buffer, msgId: string, timestamp: string, body: string): Buffer {
  return createHmac('sha256', key).update(`${msgId}.${timestamp}.${body}`, 'utf8').digest();
}

/**
 * Verifies a delivery against every live secret. Accepts when any `v1` signature of the header
 * matches any secret: the sender may sign with an old and a new key while it rotates, and so may we.
 */
export function verifyStandardWebhook(delivery: WebhookDelivery, secrets: readonly LiveSecret[], nowMs: number): Verification {
  const names = HEADER_SETS.find((set) => delivery.headers[set.signature] !== undefined) ?? HEADER_SETS[0];
  const msgId = delivery.headers[names.id];
  const timestamp = delivery.headers[names.timestamp];
  const signatureHeader = delivery.headers[names.signature];
  if (!msgId || !timestamp || !signatureHeader) return { ok: false, reason: 'missing_headers' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'malformed_timestamp' };
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > STANDARD_TOLERANCE_SEC) return { ok: false, reason: 'timestamp_out_of_window' };

  // Each v1 signature is read strictly (the reference library compares base64 texts): a re-spelt copy of a valid
  // signature matches nothing. The delivery's identity is `webhook-id` alone, which the signature covers: the order,
  // the number and the spelling of the signatures in the header never change which delivery this is.
  const v1 = signatureHeader
    .split(' ')
    .map((part) => part.split(','))
    .filter(([version, value]) => version === 'v1' && value !== undefined)
    .map(([, value]) => value!);
  const given = v1.map(decodeStrictBase64).filter((signature): signature is Buffer => signature !== undefined);
  if (given.length === 0) return { ok: false, reason: v1.some(isRespeltBase64) ? 'non_canonical_signature' : 'malformed_signature' };

  for (const secret of secrets) {
    const key = standardSecretKey(secret.value);
    if (!key) continue;
    const expected = hmac(key, msgId, timestamp, delivery.rawBody);
    if (given.some((signature) => sameBytes(signature, expected))) return { ok: true, secretId: secret.secretId, deliveryId: msgId };
  }
  return { ok: false, reason: 'signature_mismatch' };
}
