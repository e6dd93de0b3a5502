import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { tenantSchema, type Tenant } from '../model/tenant';
import type { Table } from './client';
import { CorruptItemError } from './errors';
import { tenantPk, tenantSk } from './keys';

/**
 * Tenants as a function that holds no secret sees them: the item without any field that carries a sealed secret
 * (the PBX credentials and CDR key, the callback and its signing secrets, the CRM connections). The functions that
 * only read calls, agents, stats or the delivery log authenticate through this reader, so their bundles carry
 * neither the sealer nor the KMS SDK (BENCHMARKS.md, "Cold start, per function"); whatever needs a secret
 * (the dial, the notifier, the reconciler, the probe, the tenant's settings) reads through TenantRepository.
 */
export class TenantProfileReader {
  constructor(private readonly table: Table) {}

  async get(tenantId: string): Promise<Tenant | undefined> {
    const out = await this.table.doc.send(new GetCommand({ TableName: this.table.name, Key: { pk: tenantPk(tenantId), sk: tenantSk() } }));
    if (!out.Item) return undefined;
    const parsed = tenantSchema.safeParse(withoutSecrets(out.Item));
    if (!parsed.success) throw new CorruptItemError('tenant', { cause: parsed.error });
    // As TenantRepository.get: an item copied under another tenant's key is not this tenant's settings.
    if (parsed.data.tenantId !== tenantId) throw new CorruptItemError('tenant');
    return parsed.data;
  }
}

/** The stored item without the objects that hold sealed values: what is left is every setting a reader may use. */
export function withoutSecrets(item: Record<string, unknown>): Record<string, unknown> {
  const { callback: _callback, crm: _crm, pbx, ...rest } = item;
  if (typeof pbx !== 'object' || pbx === null) return { ...rest, pbx };
  const { basicAuth: _basicAuth, cdrApiKey: _cdrApiKey, ...settings } = pbx as Record<string, unknown>;
  return { ...rest, pbx: settings };
}
