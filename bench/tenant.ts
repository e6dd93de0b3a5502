import { AgentRepository } from '../lib/store/agents';
import { ApiKeyRepository, SCOPES } from '../lib/store/api-keys';
import type { Table } from '../lib/store/client';
import { EnvelopeSealer, LocalKeyProvider, newLocalKey } from '../lib/secrets/seal';
import { TenantRepository } from '../lib/store/tenants';

/** Agents of the warm path's tenant (`u-0`...`u-63`): calls rotate over them. */
export const BENCH_AGENTS = 64;

/** Agent `u-<i>`'s extension: one agent per extension (lib/store/agent-extensions.ts), 1000 upwards. */
export const benchExtension = (i: number) => String(1000 + i);

/**
 * A tenant for load: its PBX is the simulator, its agents `u-0`...`u-<agents-1>` on extensions 1000 upwards, and its
 * caps all still checked but with room for the load (the bench measures the path, not the caps). Returns a key.
 */
export async function seedBenchTenant(table: Table, tenantId: string, pbxUrl: string, agents: number): Promise<string> {
  // The bench tenant has no secrets, so the sealer is never used: any key will do.
  await new TenantRepository(table, new EnvelopeSealer(new LocalKeyProvider(newLocalKey()))).create({
    tenantId,
    name: `Bench ${tenantId}`,
    crmId: '100',
    clientId: '200',
    defaultCountry: 'GB',
    pbx: { urlShape: 'click2call', baseUrl: pbxUrl },
    policy: { caps: { perDestination: { max: 1_000_000, windowSec: 900 }, perAgentPerMinute: 1_000_000, perTenantPerSecond: 1_000_000 } },
  });
  await new AgentRepository(table).putMany(
    tenantId,
    Array.from({ length: agents }, (_, i) => ({ crmUserId: `u-${i}`, extension: benchExtension(i) })),
  );
  const { key } = await new ApiKeyRepository(table).issue(tenantId, 'bench', [...SCOPES]);
  return key;
}
