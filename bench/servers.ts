/**
 * The bench's servers in a process of their own (dynalite and the PBX simulator), so that their CPU is not
 * counted in the latency of the code under test. Prints one JSON line with what the bench needs, then serves
 * until killed; to each `stats` line on stdin it answers one JSON line: the requests dynalite has received and its
 * event loop's busy and idle time so far (how close to saturation the one thread that serves DynamoDB is) and its CPU time.
 */
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { createDocumentClient } from '../lib/store/client';
import { createTable, startDynalite } from '../local/dynamo';
import { startPbxSimulator } from '../local/pbx-sim/simulator';
import { watchServer } from './server-load';
import { BENCH_AGENTS, benchExtension, seedBenchTenant } from './tenant';

async function main() {
  const dynamo = await startDynalite();
  const requests = watchServer(dynamo.port);
  const tableName = `c2c-bench-${randomUUID().slice(0, 8)}`;
  await createTable(dynamo.endpoint, tableName);
  const sim = await startPbxSimulator({ extensions: Array.from({ length: BENCH_AGENTS }, (_, i) => benchExtension(i)) });
  const table = { doc: createDocumentClient({ region: 'local', endpoint: dynamo.endpoint }), name: tableName };
  const key = await seedBenchTenant(table, 'bench', sim.url, BENCH_AGENTS);
  process.stdout.write(`${JSON.stringify({ endpoint: dynamo.endpoint, tableName, simUrl: sim.url, key })}\n`);
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() !== 'stats') return;
    const { active, idle } = performance.eventLoopUtilization();
    const cpu = process.cpuUsage();
    process.stdout.write(`${JSON.stringify({ requests: requests.count(), active, idle, cpuMs: (cpu.user + cpu.system) / 1000 })}\n`);
  });
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
