import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import type autocannon from 'autocannon';
import { CallRepository } from '../lib/store/calls';
import { createDocumentClient } from '../lib/store/client';
import { startLocalStack } from '../local/stack';
import type { SaturationResult } from './saturate';
import { busyShare, watchServer } from './server-load';
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
  /** DynamoDB requests dynalite received per second over autocannon's window (counted at its HTTP server). */
  dynamoPerSecond: number;
  /** DynamoDB requests per dialled call, over the run and until its last call landed (the notification deliverer's and the scheduler's polls included). */
  dynamoPerCall: number;
  /** Share of the window the event loop of dynalite's process (dynalite, the simulator, the pollers) was busy. */
  dynaliteBusy: number;
  /** dynalite's requests over the window by DynamoDB operation. */
  operations: Record<string, number>;
}

/** dynalite's bound: the same request mix as fast as it can serve it (bench/saturate.ts), in the same process layout. */
export interface DynaliteBound {
  concurrency: number;
  durationSec: number;
  /** DynamoDB requests per second dynalite served. */
  requestsPerSecond: number;
  /** Calls per second the saturating handler completed. */
  callsPerSecond: number;
  /** DynamoDB requests per call in the saturation run. */
  requestsPerCall: number;
  dynaliteBusy: number;
  /** dynalite's requests over the window by DynamoDB operation. */
  operations: Record<string, number>;
  errors: number;
}

export interface FullStackResult {
  runs: FullStackRun[];
  bound: DynaliteBound;
}

/**
 * The whole local stack (serverless-offline, dynalite, the simulator) under autocannon: every request a new call
 * (its own Idempotency-Key), agents in rotation so the one-call-at-a-time rule is not what is measured.
 */
export async function measureFullStack(options: {
  connections: number[];
  durationSec: number;
  saturation: { concurrency: number; durationSec: number };
}): Promise<FullStackResult> {
  const stack = await startLocalStack();
  // dynalite runs in this process (local/dynamo.ts): its requests are counted where they arrive.
  const dynamo = watchServer(Number(new URL(stack.dynamoEndpoint).port));
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

      const fired = Date.now();
      const busy = sampleBusy();
      const result = await fire(stack.apiUrl, key, connections, options.durationSec, agentCount, `run-${n}`);
      const samples = busy.stop();
      await settled(() => stack.simulator.requests().length);
      // autocannon's window opens with its first request, which reaches dynalite within milliseconds.
      const from = dynamo.firstFrom(fired) ?? fired;
      const to = from + options.durationSec * 1000;
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
        dynamoPerSecond: dynamo.between(from, to) / options.durationSec,
        dynamoPerCall: dynamo.between(fired, Date.now()) / Math.max(1, dials.length),
        dynaliteBusy: busyBetween(samples, from, to),
        operations: dynamo.operationsBetween(from, to),
      });
    }

    // dynalite's bound: the stack idle, a handler in a process of its own saturating the same dynalite. First the
    // stack's notification deliverer catches up with the runs' calls, so that only the saturating calls' work is counted.
    await quiet(dynamo);
    const key = await seedBenchTenant(table, 'saturate', stack.pbxSimulatorUrl, SATURATION_AGENTS);
    const busy = sampleBusy();
    const sat = await saturate({
      endpoint: stack.dynamoEndpoint,
      tableName: stack.tableName,
      key,
      agents: SATURATION_AGENTS,
      concurrency: options.saturation.concurrency,
      warmupSec: 2,
      durationSec: options.saturation.durationSec,
    });
    const samples = busy.stop();
    const seconds = (sat.end - sat.start) / 1000;
    const requests = dynamo.between(sat.start, sat.end);
    const bound: DynaliteBound = {
      concurrency: options.saturation.concurrency,
      durationSec: options.saturation.durationSec,
      requestsPerSecond: requests / seconds,
      callsPerSecond: sat.calls / seconds,
      requestsPerCall: requests / Math.max(1, sat.calls),
      dynaliteBusy: busyBetween(samples, sat.start, sat.end),
      operations: dynamo.operationsBetween(sat.start, sat.end),
      errors: sat.errors,
    };
    if (sat.errors) throw new Error(`saturation run: ${sat.errors} calls failed (first: ${sat.firstError})`);
    return { runs, bound };
  } finally {
    dynamo.stop();
    table.doc.destroy();
    await stack.stop();
  }
}

/** Waits (at most 60 s) until dynalite sees no more than the stack's idle pollers' requests: 10 in a second. */
async function quiet(dynamo: ReturnType<typeof watchServer>) {
  for (let i = 0; i < 60; i++) {
    const before = dynamo.count();
    await new Promise((r) => setTimeout(r, 1000));
    if (dynamo.count() - before <= 10) return;
  }
}

/** Agents of the saturating tenant: more than the calls in flight, so that no call waits for a busy agent. */
const SATURATION_AGENTS = 128;

async function saturate(args: {
  endpoint: string;
  tableName: string;
  key: string;
  agents: number;
  concurrency: number;
  warmupSec: number;
  durationSec: number;
}): Promise<SaturationResult> {
  const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'saturate.ts'), JSON.stringify(args)], {
    maxBuffer: 16 * 1024 * 1024,
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as SaturationResult;
}

/** Readings of this process's event-loop utilization every 100 ms (the window is known only afterwards). */
function sampleBusy() {
  const samples: { at: number; active: number; idle: number }[] = [];
  const take = () => {
    const { active, idle } = performance.eventLoopUtilization();
    samples.push({ at: Date.now(), active, idle });
  };
  take();
  const timer = setInterval(take, 100);
  return {
    stop: () => {
      clearInterval(timer);
      take();
      return samples;
    },
  };
}

/** The busy share between the readings closest inside [from, to]. */
function busyBetween(samples: { at: number; active: number; idle: number }[], from: number, to: number): number {
  const inside = samples.filter((s) => s.at >= from && s.at <= to);
  return inside.length >= 2 ? busyShare(inside[0]!, inside[inside.length - 1]!) : NaN;
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
    const page = await calls.queries.list(tenantId, {}, { limit: 200, cursor });
    count += page.items.filter((c) => c.state === 'dialing' || c.state === 'completed' || c.state === 'answered').length;
    cursor = page.nextCursor;
  } while (cursor);
  return count;
}
