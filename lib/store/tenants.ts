import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { SealContext, SecretSealer } from '../secrets/seal';
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
  /**
   * Days a call, its events and its raw PBX events are kept from the call's creation (DynamoDB TTL). 400: a year
   * of history for yearly reports and disputes, plus a month of slack.
   */
  retentionDays: z.number().int().min(1).max(3650).default(400),
  /**
   * Days a call that never reached the PBX (`rejected`, `not_sent`) is kept. Nobody's phone rang, so there is
   * no call to account for: 30 days leave support a month to answer "why did my click not ring?" and match how
   * long orphan PBX events and dead letters are kept. Never longer than `retentionDays`.
   */
  refusedRetentionDays: z.number().int().min(1).max(3650).default(30),
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
  /** The sealer keeps the PBX password, the CDR key and the callback secrets sealed in the table. */
  constructor(
    private readonly table: Table,
    private readonly sealer: SecretSealer,
  ) {}

  async get(tenantId: string): Promise<Tenant | undefined> {
    const out = await this.table.doc.send(
      new GetCommand({ TableName: this.table.name, Key: { pk: tenantPk(tenantId), sk: tenantSk() } }),
    );
    return out.Item ? parseTenantItem(await openTenantItem(out.Item, this.sealer)) : undefined;
  }

  /** Creates a tenant; refuses to overwrite one. */
  async create(input: Omit<NewTenant, 'createdAt' | 'updatedAt'>): Promise<Tenant> {
    const now = new Date().toISOString();
    const tenant = tenantSchema.parse({ ...input, createdAt: now, updatedAt: now });
    try {
      await this.table.doc.send(
        new PutCommand({
          TableName: this.table.name,
          Item: { pk: tenantPk(tenant.tenantId), sk: tenantSk(), type: 'tenant', ...(await sealTenant(tenant, this.sealer)) },
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
        Item: { pk: tenantPk(next.tenantId), sk: tenantSk(), type: 'tenant', ...(await sealTenant(next, this.sealer)) },
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

/** Where each secret of a tenant item lives; the name is bound into the sealed value, so it cannot move. */
const tenantSecret = (tenantId: string, item: string): SealContext => ({ tenantId, purpose: 'tenant-secrets', item });

/** The item to store: the tenant with its secrets sealed (a tenant's other settings stay readable for diagnosis). */
async function sealTenant(tenant: Tenant, sealer: SecretSealer): Promise<Tenant> {
  const seal = (value: string, item: string) => sealer.seal(value, tenantSecret(tenant.tenantId, item));
  const { pbx, callback } = tenant;
  return {
    ...tenant,
    pbx: {
      ...pbx,
      ...(pbx.basicAuth ? { basicAuth: { ...pbx.basicAuth, password: await seal(pbx.basicAuth.password, 'pbx.basicAuth.password') } } : {}),
      ...(pbx.cdrApiKey ? { cdrApiKey: await seal(pbx.cdrApiKey, 'pbx.cdrApiKey') } : {}),
    },
    ...(callback
      ? {
          callback: {
            ...callback,
            secrets: await Promise.all(callback.secrets.map(async (s) => ({ ...s, secret: await seal(s.secret, `callback.secrets.${s.id}`) }))),
          },
        }
      : {}),
  };
}

/**
 * A stored tenant item with its secrets opened, before validation. Items written before secrets were
 * sealed hold them in clear: those are read as they are, and sealed on the tenant's next write. Fields
 * of an unexpected shape are left for the schema to report.
 */
export async function openTenantItem(item: Record<string, unknown>, sealer: SecretSealer): Promise<Record<string, unknown>> {
  const tenantId = String(item.tenantId);
  const open = (value: unknown, name: string) =>
    typeof value === 'string' ? sealer.open(value, tenantSecret(tenantId, name)) : Promise.resolve(value);
  const pbx = isRecord(item.pbx) ? { ...item.pbx } : undefined;
  if (pbx && isRecord(pbx.basicAuth)) pbx.basicAuth = { ...pbx.basicAuth, password: await open(pbx.basicAuth.password, 'pbx.basicAuth.password') };
  if (pbx && 'cdrApiKey' in pbx) pbx.cdrApiKey = await open(pbx.cdrApiKey, 'pbx.cdrApiKey');
  let callback = item.callback;
  if (isRecord(callback) && Array.isArray(callback.secrets)) {
    const secrets = await Promise.all(
      callback.secrets.map(async (s: unknown) => (isRecord(s) ? { ...s, secret: await open(s.secret, `callback.secrets.${String(s.id)}`) } : s)),
    );
    callback = { ...callback, secrets };
  }
  return { ...item, ...(pbx ? { pbx } : {}), ...(callback !== undefined ? { callback } : {}) };
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
