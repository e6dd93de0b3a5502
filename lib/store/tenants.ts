import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { newTenantSchema, tenantSchema, type NewTenant, type Tenant } from '../model/tenant';
import type { SealContext, SecretSealer } from '../secrets/seal';
import { systemClock, type Clock } from '../time/clock';
import type { Table } from './client';
import { CorruptItemError, isConditionalCheckFailed, StoreError } from './errors';
import { tenantPk, tenantSk } from './keys';

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
    private readonly clock: Clock = systemClock,
  ) {}

  async get(tenantId: string): Promise<Tenant | undefined> {
    const out = await this.table.doc.send(new GetCommand({ TableName: this.table.name, Key: { pk: tenantPk(tenantId), sk: tenantSk() } }));
    return out.Item ? parseTenantItem(await openTenantItem(out.Item, this.sealer)) : undefined;
  }

  /** Creates a tenant; refuses to overwrite one. */
  async create(input: Omit<NewTenant, 'createdAt' | 'updatedAt'>): Promise<Tenant> {
    const now = this.clock().toISOString();
    const tenant = newTenantSchema.parse({ ...input, createdAt: now, updatedAt: now });
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
    const next = tenantSchema.parse({ ...tenant, updatedAt: this.clock().toISOString() });
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
            secrets: await Promise.all(
              callback.secrets.map(async (s) => ({ ...s, secret: await seal(s.secret, `callback.secrets.${s.id}`) })),
            ),
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
  if (pbx && isRecord(pbx.basicAuth))
    pbx.basicAuth = { ...pbx.basicAuth, password: await open(pbx.basicAuth.password, 'pbx.basicAuth.password') };
  if (pbx && 'cdrApiKey' in pbx) pbx.cdrApiKey = await open(pbx.cdrApiKey, 'pbx.cdrApiKey');
  let callback = item.callback;
  if (isRecord(callback) && Array.isArray(callback.secrets)) {
    const secrets = await Promise.all(
      callback.secrets.map(async (s: unknown) =>
        isRecord(s) ? { ...s, secret: await open(s.secret, `callback.secrets.${String(s.id)}`) } : s,
      ),
    );
    callback = { ...callback, secrets };
  }
  return { ...item, ...(pbx ? { pbx } : {}), ...(callback !== undefined ? { callback } : {}) };
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
