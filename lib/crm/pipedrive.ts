import { credentialHash, safeEqual } from '../secrets/compare';
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

/** User and password of an `Authorization: Basic` header; undefined when there is none or it is malformed. */
export function basicCredentials(authorization: string | undefined): { user: string; password: string } | undefined {
  const match = /^Basic[ ]+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(authorization ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The value of an `Authorization` header carrying these credentials (tests, samples). */
export function basicAuthorization(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}
