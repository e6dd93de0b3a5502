import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { Table } from './client';
import { CorruptItemError, isConditionalCheckFailed, StoreError } from './errors';
import { tenantPk, tenantSk } from './keys';

export const tenantIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{1,39}$/, 'lowercase letters, digits and dashes, 2-40 characters');

const digits = z.string().regex(/^\d{1,20}$/, 'digits only');

export const pbxSettingsSchema = z.object({
  urlShape: z.enum(['click2call', 'stats']),
  baseUrl: z.url(),
  basicAuth: z.object({ username: z.string().min(1), password: z.string().min(1) }).optional(),
  timeoutMs: z.number().int().min(100).max(29_000).optional(),
  /** PBX Stats CDR search, used by the reconciler. */
  cdrApiUrl: z.url().optional(),
  cdrApiKey: z.string().min(1).optional(),
  cdrApiKeyHeader: z.string().regex(/^[A-Za-z0-9-]{1,64}$/).optional(),
});
export type TenantPbxSettings = z.infer<typeof pbxSettingsSchema>;

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM');

export const callPolicySchema = z.object({
  /** ISO 3166-1 alpha-2 codes a lead may be in; empty means the tenant's default country only. */
  allowedCountries: z.array(z.string().regex(/^[A-Z]{2}$/)).default([]),
  allowPremiumRate: z.boolean().default(false),
  allowSharedCost: z.boolean().default(false),
  allowUnknownType: z.boolean().default(false),
  /** E.164 digit prefixes never dialled (without '+'), e.g. "4490" or "882". */
  denyPrefixes: z.array(z.string().regex(/^\d{1,15}$/)).default([]),
  /** Checked in the destination's time zone; absent means any time. */
  callingHours: z
    .object({ start: hhmm, end: hhmm, days: z.array(z.number().int().min(0).max(6)).default([1, 2, 3, 4, 5]) })
    .optional(),
  caps: z
    .object({
      perDestination: z.object({ max: z.number().int().min(1), windowSec: z.number().int().min(1) }).default({ max: 3, windowSec: 900 }),
      perAgentPerMinute: z.number().int().min(1).default(10),
      perTenantPerSecond: z.number().int().min(1).default(20),
    })
    .default({ perDestination: { max: 3, windowSec: 900 }, perAgentPerMinute: 10, perTenantPerSecond: 20 }),
  /** Window of the key derived when a caller sends no Idempotency-Key. */
  dedupeWindowSec: z.number().int().min(1).max(3600).default(60),
});
export type CallPolicy = z.infer<typeof callPolicySchema>;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Where the tenant's CRM receives outcome notifications, and the `whsec_` secrets they are signed
 * with (several while one is rotated out). Plain http only to this machine: the local stack and tests.
 */
export const callbackSettingsSchema = z.object({
  url: z.url().refine((value) => {
    const url = new URL(value);
    return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
  }, 'https only (http is accepted for localhost)'),
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
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Tenant = z.infer<typeof tenantSchema>;
export type NewTenant = z.input<typeof tenantSchema>;

export class TenantExistsError extends StoreError {
  constructor(tenantId: string) {
    super(`Tenant ${tenantId} exists already`);
    this.name = 'TenantExistsError';
  }
}

/** Tenants: one item each, read on every request (through a short per-container cache). */
export class TenantRepository {
  constructor(private readonly table: Table) {}

  async get(tenantId: string): Promise<Tenant | undefined> {
    const out = await this.table.doc.send(
      new GetCommand({ TableName: this.table.name, Key: { pk: tenantPk(tenantId), sk: tenantSk() } }),
    );
    return out.Item ? parseTenantItem(out.Item) : undefined;
  }

  /** Creates a tenant; refuses to overwrite one. */
  async create(input: Omit<NewTenant, 'createdAt' | 'updatedAt'>): Promise<Tenant> {
    const now = new Date().toISOString();
    const tenant = tenantSchema.parse({ ...input, createdAt: now, updatedAt: now });
    try {
      await this.table.doc.send(
        new PutCommand({
          TableName: this.table.name,
          Item: { pk: tenantPk(tenant.tenantId), sk: tenantSk(), type: 'tenant', ...tenant },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) throw new TenantExistsError(tenant.tenantId);
      throw error;
    }
    return tenant;
  }

  /** Replaces a tenant's settings, keeping its creation time. */
  async put(tenant: Tenant): Promise<Tenant> {
    const next = tenantSchema.parse({ ...tenant, updatedAt: new Date().toISOString() });
    await this.table.doc.send(
      new PutCommand({
        TableName: this.table.name,
        Item: { pk: tenantPk(next.tenantId), sk: tenantSk(), type: 'tenant', ...next },
      }),
    );
    return next;
  }
}

export function parseTenantItem(item: Record<string, unknown>): Tenant {
  const parsed = tenantSchema.safeParse(item);
  if (!parsed.success) throw new CorruptItemError('tenant', { cause: parsed.error });
  return parsed.data;
}
