import { credentialHash, safeEqual } from '../secrets/compare';
import { decodeStrictBase64 } from './base64';
import type { LiveSecret, Verification, WebhookDelivery } from './types';

/**
 * Pipedrive webhooks carry no signature: the webhook is created with an "HTTP Auth" user name and
 * password, which Pipedrive sends as HTTP Basic credentials. We keep only a hash of `user:password`
 * and compare the hash of what arrives with each live one: user and password are checked together,
 * in constant time, with no early exit on a wrong user name.
 */
/**
 * The challenge of a refused Pipedrive delivery. The realm is the same for every tenant, so the 401 says nothing
 * about whether the tenant exists.
 */
export const PIPEDRIVE_CHALLENGE = 'Basic realm="c2c webhooks", charset="UTF-8"';

export function verifyPipedriveBasic(delivery: WebhookDelivery, secrets: readonly LiveSecret[]): Verification {
  const credentials = basicCredentials(delivery.headers.authorization);
  if (!credentials) return { ok: false, reason: 'missing_credentials' };
  const presented = credentialHash(`${credentials.user}:${credentials.password}`);
  for (const secret of secrets) {
    if (safeEqual(presented, secret.value)) return { ok: true, secretId: secret.secretId };
  }
  return { ok: false, reason: 'credentials_mismatch' };
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * User and password of an `Authorization: Basic` header; undefined when there is none or it is malformed. The scheme
 * name is case-insensitive (RFC 9110); the credentials are read strictly: canonical base64 (RFC 7617 encodes with
 * RFC 4648's padded alphabet) of valid UTF-8. A lenient reading would map many byte strings to one password (every
 * invalid byte becomes U+FFFD) and many spellings to one byte string.
 */
export function basicCredentials(authorization: string | undefined): { user: string; password: string } | undefined {
  const match = /^Basic[ ]+(\S+)[ \t]*$/i.exec(authorization ?? '');
  const bytes = match?.[1] ? decodeStrictBase64(match[1]) : undefined;
  if (!bytes) return undefined;
  let decoded: string;
  try {
    decoded = UTF8.decode(bytes);
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The value of an `Authorization` header carrying these credentials (tests, samples). */
export function basicAuthorization(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}
