import { randomBytes } from 'node:crypto';
import { credentialHash, safeEqual } from '../../secrets/compare';
import type { LiveSecret, Verification, WebhookDelivery } from '../types';
import { SecretFormatError, tail, type SourceAdapter } from './adapter';
import { parseJsonOrForm } from './body';

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

/** `token`: senders that can set a header but cannot sign (Zapier, Make, n8n, Salesforce Flow, Zoho CRM). */
export const token: SourceAdapter<'token'> = {
  name: 'token',
  title: 'The token',
  scheme: 'a tenant token header',
  docs: 'docs/webhooks.md#zapier',
  // Only a hash of the token is kept: it checks what arrives and can be presented nowhere.
  secretStorage: 'hash',
  verify: (delivery, secrets) => verifyToken(delivery, secrets),
  identity: { kind: 'mapped' },
  parseBody: parseJsonOrForm,
  // A plain JSON body the automation builds: {"agent_email", "phone", "lead_id"}.
  defaultMapping: {
    agent: { by: 'email', path: ['agent_email', 'agent.email'] },
    to: ['phone', 'to'],
    lead: ['lead_id', 'lead.id'],
    leadType: { path: ['lead_type', 'lead.type'] },
    notBefore: null,
    customData: {},
    deliveryId: ['header:idempotency-key', 'idempotency_key'],
  },
  // Zapier replays errored runs (autoreplay); Make and n8n retry failed modules when told to. The
  // 200 answer carries the rejected call, so the refusal is still visible in their run history.
  defaultRefusalStatus: 200,
  // Without an Idempotency-Key header: a zap or scenario that fires twice for one trigger does so
  // within seconds; their replays of failed runs come minutes to hours later, after a refusal that dialled nothing.
  keylessWindowSec: 120,
  secrets: {
    describe: 'a token of at least 24 printable characters (better: --generate)',
    toStored(raw) {
      const value = raw.trim();
      if (!/^[\x21-\x7e]{24,256}$/.test(value)) throw new SecretFormatError('A token is 24-256 printable characters, no spaces');
      return { value: credentialHash(value), hint: tail(value) };
    },
    generate: () => `c2ct_${randomBytes(32).toString('base64url')}`,
  },
};
