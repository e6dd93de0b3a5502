import { credentialHash, safeEqual } from '../secrets/compare';
import type { LiveSecret, Verification, WebhookDelivery } from './types';

/**
 * A token the tenant was issued, sent as `X-C2C-Token: <token>` or `Authorization: Bearer <token>`:
 * the scheme of senders that can set a header but cannot sign (Zapier, Make, n8n, a Salesforce
 * named credential, Zoho). Only its hash is stored; the comparison is constant-time.
 */
export const TOKEN_HEADER = 'x-c2c-token';

export function verifyToken(delivery: WebhookDelivery, secrets: readonly LiveSecret[]): Verification {
  const token = presentedToken(delivery.headers);
  if (!token) return { ok: false, reason: 'missing_credentials' };
  const presented = credentialHash(token);
  for (const secret of secrets) {
    if (safeEqual(presented, secret.value)) return { ok: true, secretId: secret.secretId };
  }
  return { ok: false, reason: 'credentials_mismatch' };
}

function presentedToken(headers: Readonly<Record<string, string>>): string | undefined {
  const direct = headers[TOKEN_HEADER]?.trim();
  if (direct) return direct;
  return /^Bearer[ ]+(\S+)\s*$/i.exec(headers.authorization ?? '')?.[1];
}
