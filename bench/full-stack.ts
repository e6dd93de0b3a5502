import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import type autocannon from 'autocannon';
import { CallRepository } from '../lib/store/calls';
import { createDocumentClient } from '../lib/store/client';
import { startLocalStack } from '../local/stack';
import { seedBenchTenant } from './tenant';

const execFileAsync = promisify(execFile);

export interface FullStackRun {
  connections: number;
  durationSec: number;
  requests: number;
  perSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  dials: number;
  created: number;
  recorded: number;
  duplicateDials: number;
}

/**
 * The whole local stack (serverless-offline, dynalite, the simulator) under autocannon: every request a new call
 * (its own Idempotency-Key), agents in rotation so the one-call-at-a-time rule is not what is measured.
 */
export async function measureFullStack(options: { connections: number[]; durationSec: number }): Promise<FullStackRun[]> {
  const stack = await startLocalStack();
  // The load measures call placement: no PBX Stats webhooks playing each call out seconds later.
  stack.simulator.setWebhooks([]);
  const table = { doc: createDocumentClient({ region: 'local', endpoint: stack.dynamoEndpoint }), name: stack.tableName };
  try {
    const runs: FullStackRun[] = [];
    for (const [n, connections] of options.connections.entries()) {
      const tenantId = `load-${n}`;
      const agentCount = connections * 4;
      const key = await seedBenchTenant(table, tenantId, stack.pbxSimulatorUrl, agentCount);
      stack.simulator.clearRequests();

      // Warm up first, untimed: the first requests load the handlers and open the connections.
      await fire(stack.apiUrl, key, connections, 3, agentCount, `warm-${n}`);
      // autocannon stops at its deadline with requests still in flight: let them land before counting.
      await settled(() => stack.simulator.requests().length);
      stack.simulator.clearRequests();
      const warmCalls = await countCalls(table, tenantId);

      const result = await fire(stack.apiUrl, key, connections, options.durationSec, agentCount, `run-${n}`);
      await settled(() => stack.simulator.requests().length);
      const dials = stack.simulator.requests();
      const callIds = dials.map((d) => d.query.c2c_call_id);
      const created = result['2xx'];
      runs.push({
        connections,
        durationSec: options.durationSec,
        requests: result.requests.total,
        perSecond: result.requests.average,
        p50: result.latency.p50,
        p99: result.latency.p99,
        non2xx: result.non2xx,
        errors: result.errors + result.timeouts,
        dials: dials.length,
        created,
        recorded: (await countCalls(table, tenantId)) - warmCalls,
        duplicateDials: callIds.length - new Set(callIds).size,
      });
    }
    return runs;
  } finally {
    table.doc.destroy();
    await stack.stop();
  }
}

/** Runs the load client in a child process; asynchronously, since dynalite and the simulator serve from this one. */
async function fire(
  url: string,
  key: string,
  connections: number,
  durationSec: number,
  agents: number,
  tag: string,
): Promise<autocannon.Result> {
  const { stdout } = await execFileAsync(
    process.execPath,
    ['--import', 'tsx', path.join(__dirname, 'load-client.ts'), JSON.stringify({ url, key, connections, durationSec, agents, tag })],
    {
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
    },
  );
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as autocannon.Result;
}

/** Waits until `count` has not moved for a second (at most 30 s). */
async function settled(count: () => number) {
  let last = -1;
  for (let i = 0; i < 30 && count() !== last; i++) {
    last = count();
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function countCalls(table: { doc: ReturnType<typeof createDocumentClient>; name: string }, tenantId: string): Promise<number> {
  const calls = new CallRepository(table);
  let count = 0;
  let cursor: string | undefined;
  do {
    const page = await calls.list(tenantId, {}, { limit: 200, cursor });
    count += page.items.filter((c) => c.state === 'dialing' || c.state === 'completed' || c.state === 'answered').length;
    cursor = page.nextCursor;
  } while (cursor);
  return count;
}
