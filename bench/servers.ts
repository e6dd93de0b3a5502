/**
 * The bench's servers in a process of their own (dynalite and the PBX simulator), so that their CPU is not
 * counted in the latency of the code under test. Prints one JSON line with what the bench needs, then serves
 * until killed.
 */
import { randomUUID } from 'node:crypto';
import { createDocumentClient } from '../lib/store/client';
import { createTable, startDynalite } from '../local/dynamo';
import { startPbxSimulator } from '../local/pbx-sim/simulator';
import { seedBenchTenant } from './tenant';

export const BENCH_AGENTS = 64;

async function main() {
  const dynamo = await startDynalite();
  const tableName = `c2c-bench-${randomUUID().slice(0, 8)}`;
  await createTable(dynamo.endpoint, tableName);
  const sim = await startPbxSimulator({ extensions: ['1000'] });
  const table = { doc: createDocumentClient({ region: 'local', endpoint: dynamo.endpoint }), name: tableName };
  const key = await seedBenchTenant(table, 'bench', sim.url, BENCH_AGENTS);
  process.stdout.write(`${JSON.stringify({ endpoint: dynamo.endpoint, tableName, simUrl: sim.url, key })}\n`);
  const stop = async () => {
    await sim.close();
    await dynamo.close();
    process.exit(0);
  };
  // A signal listener's promise is not awaited by anyone: stop() ends the process itself.
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
