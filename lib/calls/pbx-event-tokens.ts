import { randomBytes } from 'node:crypto';
import { credentialHash, safeEqual } from '../secrets/compare';
import type { PbxEventsSettings, Tenant } from '../model/tenant';

export type PbxEventsToken = PbxEventsSettings['tokens'][number];

/**
 * A new token for a tenant's PBX Stats webhooks: 192 random bits, URL-safe. Only `record` (its
 * hash) is stored; `token` goes into the URL pasted into PBX Stats and is shown once.
 */
export function issuePbxEventsToken(now = new Date()): { token: string; record: PbxEventsToken } {
  const token = randomBytes(24).toString('base64url');
  return { token, record: { id: `pt_${randomBytes(4).toString('hex')}`, hash: credentialHash(token), createdAt: now.toISOString() } };
}

/**
 * Whether the token is one of the tenant's live (unrevoked) tokens. Every live token is compared,
 * each in constant time, so the time taken tells nothing about which one came close.
 */
export function verifyPbxEventsToken(tenant: Tenant, token: string): boolean {
  const candidate = credentialHash(token);
  let match = false;
  for (const record of tenant.pbxEvents?.tokens ?? []) {
    if (record.revokedAt !== undefined) continue;
    if (safeEqual(candidate, record.hash)) match = true;
  }
  return match;
}

/** The URL to paste into PBX Stats' webhook settings (Call Start, Call Answer, Call End alike). */
export function pbxEventsUrl(apiBaseUrl: string, tenantId: string, token: string): string {
  return `${apiBaseUrl.replace(/\/+$/, '')}/v1/pbx-events/${encodeURIComponent(tenantId)}/${token}`;
}
