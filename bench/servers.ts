/**
 * The bench's servers in a process of their own (dynalite and the PBX simulator), so that their CPU is not
 * counted in the latency of the code under test. Prints one JSON line with what the bench needs, then serves
 * until killed.
 */
import { randomUUID } from 'node:crypto';
import { AgentRepository } from '../lib/store/agents';
import { ApiKeyRepository, SCOPES } from '../lib/store/api-keys';
import { createDocumentClient } from '../lib/store/client';
import { TenantRepository } from '../lib/store/tenants';
import { createTable, startDynalite } from '../local/dynamo';
import { startPbxSimulator } from '../local/pbx-sim/simulator';

export const BENCH_AGENTS = 64;

async function main() {
  const dynamo = await startDynalite();
  const tableName = `c2c-bench-${randomUUID().slice(0, 8)}`;
  await createTable(dynamo.endpoint, tableName);
  const sim = await startPbxSimulator({ extensions: ['1000'] });
  const table = { doc: createDocumentClient({ region: 'local', endpoint: dynamo.endpoint }), name: tableName };
  await new TenantRepository(table).create({
    tenantId: 'bench',
    name: 'Bench',
    crmId: '100',
    clientId: '200',
    defaultCountry: 'GB',
    pbx: { urlShape: 'click2call', baseUrl: sim.url },
    // The bench measures the path, not the caps: they are all still checked, with room for the load.
    policy: { caps: { perDestination: { max: 1_000_000, windowSec: 900 }, perAgentPerMinute: 1_000_000, perTenantPerSecond: 1_000_000 } },
  });
  const agents = new AgentRepository(table);
  await agents.putMany(
    'bench',
    Array.from({ length: BENCH_AGENTS }, (_, i) => ({ crmUserId: `u-${i}`, extension: '1000' })),
  );
  const { key } = await new ApiKeyRepository(table).issue('bench', 'bench', [...SCOPES]);
  process.stdout.write(`${JSON.stringify({ endpoint: dynamo.endpoint, tableName, simUrl: sim.url, key })}\n`);
  const stop = async () => {
    await sim.close();
    await dynamo.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
