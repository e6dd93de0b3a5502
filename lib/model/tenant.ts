import * as z from 'zod';
import { callPolicySchema } from './call-policy';
import { noControlCharacters } from './control-characters';
import { crmSettingsSchema } from './crm-connection';
import { integer } from './integer';

export const tenantIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{1,39}$/, 'lowercase letters, digits and dashes, 2-40 characters');

const digits = z.string().regex(/^\d{1,20}$/, 'digits only');

export const pbxSettingsSchema = z.object({
  urlShape: z.enum(['click2call', 'stats']),
  baseUrl: z.url(),
  basicAuth: z.object({ username: z.string().min(1), password: z.string().min(1) }).optional(),
  timeoutMs: integer({ min: 100, max: 29_000 }).optional(),
  /** PBX Stats CDR search, used by the reconciler. */
  cdrApiUrl: z.url().optional(),
  cdrApiKey: z.string().min(1).optional(),
  cdrApiKeyHeader: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,64}$/)
    .optional(),
});
export type TenantPbxSettings = z.infer<typeof pbxSettingsSchema>;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The rule of every URL the service POSTs notifications to (the callback URL, a webhook subscription's): https, or http to this machine. */
export function isCallbackUrl(value: string): boolean {
  const url = new URL(value);
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
}

/**
 * Where the tenant's CRM receives outcome notifications, and the `whsec_` secrets they are signed
 * with (several while one is rotated out). Plain http only to this machine: the local stack and tests.
 */
export const callbackSettingsSchema = z.object({
  url: z.url().refine(isCallbackUrl, 'https only (http is accepted for localhost)'),
  secrets: z
    .array(
      z.object({
        id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
        secret: z
          .string()
          .regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, 'whsec_ followed by base64')
          .refine((s) => (s.length - 'whsec_'.length) % 4 === 0, 'whsec_ followed by base64 (whole 4-character groups)'),
        createdAt: z.string(),
      }),
    )
    .min(1),
});
export type CallbackSettings = z.infer<typeof callbackSettingsSchema>;

/**
 * Tokens that authenticate PBX Stats webhooks (`/v1/pbx-events/{tenantId}/{token}`). Only a hash is
 * kept, as for API keys; several may be live while the PBX's webhook URLs are changed over.
 */
export const pbxEventsSettingsSchema = z.object({
  tokens: z.array(
    z.object({
      id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
      hash: z.string().min(1),
      createdAt: z.string(),
      revokedAt: z.string().optional(),
    }),
  ),
  /** IANA zone of timestamps the PBX sends without an offset; UTC when absent. */
  timeZone: z.string().min(1).optional(),
});
export type PbxEventsSettings = z.infer<typeof pbxEventsSettingsSchema>;

export const tenantSchema = z.object({
  tenantId: tenantIdSchema,
  name: z.string().min(1).max(200),
  crmId: digits,
  clientId: digits,
  defaultCountry: z.string().regex(/^[A-Z]{2}$/),
  pbx: pbxSettingsSchema,
  policy: callPolicySchema.default(callPolicySchema.parse({})),
  status: z.enum(['active', 'suspended']).default('active'),
  callback: callbackSettingsSchema.optional(),
  pbxEvents: pbxEventsSettingsSchema.optional(),
  /** Where the tenant's calls are logged (docs/crm-logging.md). */
  crm: crmSettingsSchema.optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Tenant = z.infer<typeof tenantSchema>;
export type NewTenant = z.input<typeof tenantSchema>;

/** A tenant's name as an operator gives it. The stored one (`tenantSchema`) may predate the rule, and still reads. */
export const tenantNameSchema = z.string().check(noControlCharacters).min(1).max(200);
/** What creates a tenant: the stored shape, its name checked as an input. */
export const newTenantSchema = tenantSchema.extend({ name: tenantNameSchema });
