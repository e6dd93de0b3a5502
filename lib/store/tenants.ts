import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { CRM_NAMES, CRM_SECRET_FIELDS, type CrmName, type CrmSettings, type LoggableState } from '../model/crm-connection';
import { newTenantSchema, tenantSchema, type NewTenant, type Tenant } from '../model/tenant';
import { isSealed, type SealContext, type SecretSealer } from '../secrets/seal';
import { systemClock, type Clock } from '../time/clock';
import type { Table } from './client';
import { CorruptItemError, isConditionalCheckFailed, StoreError } from './errors';
import { tenantPk, tenantSk } from './keys';
import { holdCrmConnection } from './tenant-crm';

type CrmConnectionOf<N extends CrmName> = NonNullable<CrmSettings[N]>;

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
    if (!out.Item) return undefined;
    const tenant = parseTenantItem(await openTenantItem(out.Item, this.sealer, tenantId));
    // An item whose own tenant id is not its key's (copied whole, secrets or not) is not this tenant's settings.
    if (tenant.tenantId !== tenantId) throw new CorruptItemError('tenant');
    return tenant;
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

  /**
   * Changes a tenant's settings: `change` gets the tenant as stored now (its secrets opened) and answers the next one,
   * validated by the caller. The write is conditional on the item being unchanged since it was read; a concurrent
   * change is read again and `change` applied to it. A secret `change` leaves as it was keeps its sealed value (nothing
   * is sealed again: the API's role cannot seal); one it changes is sealed. Answers undefined for no such tenant.
   */
  async update(
    tenantId: string,
    change: (current: Tenant) => Tenant | Promise<Tenant>,
  ): Promise<{ before: Tenant; after: Tenant } | undefined> {
    const key = { pk: tenantPk(tenantId), sk: tenantSk() };
    for (let attempt = 1; ; attempt++) {
      const out = await this.table.doc.send(new GetCommand({ TableName: this.table.name, Key: key, ConsistentRead: true }));
      if (!out.Item) return undefined;
      const stored = out.Item;
      const before = parseTenantItem(await openTenantItem(stored, this.sealer, tenantId));
      if (before.tenantId !== tenantId) throw new CorruptItemError('tenant');
      const proposed = await change(before);
      // Strictly later than the read one: the condition below tells this write from the one it replaces.
      const updatedAt = new Date(Math.max(this.clock().getTime(), Date.parse(before.updatedAt) + 1)).toISOString();
      const after = tenantSchema.parse({ ...proposed, tenantId, createdAt: before.createdAt, updatedAt });
      const opened = await secretsOf(before);
      const sealed = await secretsOf(stored);
      const item = await mapTenantItemSecrets(after, (value, name) => {
        if (typeof value !== 'string') return Promise.resolve(value);
        const kept = sealed.get(name);
        return kept !== undefined && opened.get(name) === value
          ? Promise.resolve(kept)
          : this.sealer.seal(value, tenantSecret(tenantId, name));
      });
      try {
        await this.table.doc.send(
          new PutCommand({
            TableName: this.table.name,
            Item: { ...key, type: 'tenant', ...item },
            ConditionExpression: 'updatedAt = :updatedAt',
            ExpressionAttributeValues: { ':updatedAt': stored.updatedAt as unknown },
          }),
        );
        return { before, after };
      } catch (error) {
        if (!isConditionalCheckFailed(error) || attempt >= 5) throw error;
      }
    }
  }

  /**
   * Connects the tenant to a CRM (`c2c crm connect`), replacing any connection to it: new credentials, a fresh
   * `connectedAt` (strictly later than the replaced one's, so a hold meant for the old one cannot land on it) and
   * no hold. The secret is sealed under `crm.<name>.<field>`. Answers undefined for no such tenant.
   */
  async setCrmConnection<N extends CrmName>(
    tenantId: string,
    name: N,
    connection: Omit<CrmConnectionOf<N>, 'connectedAt' | 'held'>,
  ): Promise<{ before: Tenant; after: Tenant } | undefined> {
    return this.update(tenantId, (current) => {
      const previous = current.crm?.[name]?.connectedAt;
      const connectedAt = new Date(Math.max(this.clock().getTime(), previous ? Date.parse(previous) + 1 : 0)).toISOString();
      return { ...current, crm: { ...current.crm, [name]: { ...connection, connectedAt } } };
    });
  }

  /** Disconnects the tenant from a CRM. Answers whether it was connected; undefined for no such tenant. */
  async removeCrmConnection(tenantId: string, name: CrmName): Promise<boolean | undefined> {
    let removed = false;
    const result = await this.update(tenantId, (current) => {
      removed = current.crm?.[name] !== undefined;
      const { [name]: _gone, ...rest } = current.crm ?? {};
      return { ...current, crm: Object.keys(rest).length > 0 ? rest : undefined };
    });
    return result && removed;
  }

  /** Which final states the tenant's calls are logged in; undefined: the default (DEFAULT_LOGGED_STATES). */
  async setCrmLogStates(tenantId: string, states: LoggableState[] | undefined): Promise<{ before: Tenant; after: Tenant } | undefined> {
    return this.update(tenantId, (current) => {
      const { logStates: _old, ...rest } = current.crm ?? {};
      const crm = { ...rest, ...(states ? { logStates: states } : {}) };
      return { ...current, crm: Object.keys(crm).length > 0 ? crm : undefined };
    });
  }

  /**
   * Flags a CRM connection whose credentials the CRM refused (CrmConnectionFlags.hold, lib/notify/transports):
   * only the connection that was refused, never one made since (see {@link holdCrmConnection}).
   */
  holdCrmConnection(tenantId: string, name: CrmName, reason: string, at: Date, connectedAt?: string): Promise<boolean> {
    return holdCrmConnection(this.table, this.clock, { tenantId, name, reason, at, connectedAt });
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
  const item = await mapTenantItemSecrets(tenant, (value, name) =>
    typeof value === 'string' ? sealer.seal(value, tenantSecret(tenant.tenantId, name)) : Promise.resolve(value),
  );
  return item as Tenant;
}

/**
 * A stored tenant item with its secrets opened, before validation. `keyTenantId` is the tenant of the key the
 * item was read under (its pk), never the item's own `tenantId` attribute: the seal binds the key, so a whole
 * item copied under another tenant's key does not open. A secret that is not sealed is refused
 * (SecretNotSealedError), never used. Fields of an unexpected shape are left for the schema to report.
 */
export function openTenantItem(item: Record<string, unknown>, sealer: SecretSealer, keyTenantId: string): Promise<Record<string, unknown>> {
  return mapTenantItemSecrets(item, (value, name) =>
    typeof value === 'string' ? sealer.open(value, tenantSecret(keyTenantId, name)) : Promise.resolve(value),
  );
}

/**
 * The one-off migration of a tenant stored before sealing existed (`c2c tenant seal-plaintext`): the operator
 * vouches for the values in clear, and each is sealed in place; the service itself never uses one. Answers the
 * fields sealed. Conditional on the item being unchanged since it was read.
 */
export async function sealPlaintextTenantSecrets(table: Table, sealer: SecretSealer, tenantId: string): Promise<string[] | undefined> {
  const key = { pk: tenantPk(tenantId), sk: tenantSk() };
  const out = await table.doc.send(new GetCommand({ TableName: table.name, Key: key, ConsistentRead: true }));
  if (!out.Item) return undefined;
  if (out.Item.tenantId !== tenantId) throw new CorruptItemError('tenant');
  const sealed: string[] = [];
  const next = await mapTenantItemSecrets(out.Item, (value, name) => {
    if (typeof value !== 'string' || isSealed(value)) return Promise.resolve(value);
    sealed.push(name);
    return sealer.seal(value, tenantSecret(tenantId, name));
  });
  if (sealed.length === 0) return sealed;
  const updatedAt: unknown = out.Item.updatedAt;
  await table.doc.send(
    new PutCommand({
      TableName: table.name,
      Item: next,
      ConditionExpression: 'updatedAt = :updatedAt',
      ExpressionAttributeValues: { ':updatedAt': updatedAt },
    }),
  );
  return sealed;
}

/** The item with `fn` applied to each secret field of a tenant item (named as its seal context names it). */
async function mapTenantItemSecrets(
  item: Record<string, unknown>,
  fn: (value: unknown, name: string) => Promise<unknown>,
): Promise<Record<string, unknown>> {
  const pbx = isRecord(item.pbx) ? { ...item.pbx } : undefined;
  if (pbx && isRecord(pbx.basicAuth))
    pbx.basicAuth = { ...pbx.basicAuth, password: await fn(pbx.basicAuth.password, 'pbx.basicAuth.password') };
  if (pbx && 'cdrApiKey' in pbx) pbx.cdrApiKey = await fn(pbx.cdrApiKey, 'pbx.cdrApiKey');
  let callback = item.callback;
  if (isRecord(callback) && Array.isArray(callback.secrets)) {
    const secrets = await Promise.all(
      callback.secrets.map(async (s: unknown) =>
        isRecord(s) ? { ...s, secret: await fn(s.secret, `callback.secrets.${String(s.id)}`) } : s,
      ),
    );
    callback = { ...callback, secrets };
  }
  // A CRM connection's one secret (its token, or the Salesforce client secret): `crm.<name>.<field>`.
  let crm = item.crm;
  if (isRecord(crm)) {
    crm = { ...crm };
    for (const name of CRM_NAMES) {
      const connection = (crm as Record<string, unknown>)[name];
      const field = CRM_SECRET_FIELDS[name];
      if (isRecord(connection) && field in connection) {
        (crm as Record<string, unknown>)[name] = { ...connection, [field]: await fn(connection[field], `crm.${name}.${field}`) };
      }
    }
  }
  return { ...item, ...(pbx ? { pbx } : {}), ...(callback !== undefined ? { callback } : {}), ...(crm !== undefined ? { crm } : {}) };
}

/** The secret fields of a tenant item, by name, as they are in it (sealed in a stored item, opened in a read one). */
async function secretsOf(item: Record<string, unknown>): Promise<Map<string, unknown>> {
  const found = new Map<string, unknown>();
  await mapTenantItemSecrets(item, (value, name) => {
    found.set(name, value);
    return Promise.resolve(value);
  });
  return found;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
