import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { callEvent } from './call-event';
import { costPerCall, DynamoMeter, type BilledRequest, type CallCost, type Trace } from './dynamo-meter';
import { busyShare } from './server-load';
import { BENCH_AGENTS } from './tenant';
import { measure, type LatencyRun } from './stats';

const ROOT = path.resolve(__dirname, '..');

export interface Servers {
  endpoint: string;
  tableName: string;
  simUrl: string;
  key: string;
  stats(): Promise<ServerStats>;
  stop(): Promise<void>;
}

/** dynalite and the simulator in a child process (bench/servers.ts). */
export async function startServers(): Promise<Servers> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/servers.ts')], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });
  const lines = createInterface({ input: child.stdout! });
  const line = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bench servers exited with ${code}`)));
    lines.once('line', resolve);
  });
  const facts = JSON.parse(line) as Omit<Servers, 'stop' | 'stats'>;
  // Answers to `stats`, in the order asked.
  const waiting: Array<(s: ServerStats) => void> = [];
  lines.on('line', (answer) => waiting.shift()?.(JSON.parse(answer) as ServerStats));
  return {
    ...facts,
    stats: () =>
      new Promise<ServerStats>((resolve) => {
        waiting.push(resolve);
        child.stdin!.write('stats\n');
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** What bench/servers.ts reports: requests dynalite received, its event loop's busy and idle time (ms) so far. */
export interface ServerStats {
  requests: number;
  active: number;
  idle: number;
  /** The process's CPU time so far (user and system, every thread), ms: unlike `active`, not inflated when the OS runs another process. */
  cpuMs: number;
}

export interface RoundTrips {
  /** Sequential DynamoDB stages before the Click2Call GET (parallel requests count as one stage). */
  stagesBeforeGet: number;
  requestsBeforeGet: number;
  stagesTotal: number;
  requestsTotal: number;
  commands: string;
  /** JSON bytes sent in write requests (Put/Update/Delete/BatchWrite/TransactWrite), per call. */
  bytesWritten: number;
}

/** A latency run, with how busy dynalite's one thread was meanwhile (warm-up included). */
export interface WarmRun extends LatencyRun {
  dynaliteBusy: number;
  /** How busy this process's event loop was meanwhile: the code under test and its SDK client, all calls in flight on one thread. */
  benchBusy: number;
  /** This process's busy time per call (warm-up included), in ms. */
  benchMsPerCall: number;
  /** DynamoDB requests dynalite served per second during the run. */
  dynamoPerSecond: number;
}

export interface WarmResult {
  handler: WarmRun[];
  floor: WarmRun[];
  /** The use case alone (no HTTP parsing, no auth), with the caps as configured: what the HTTP layer costs. */
  useCase: LatencyRun[];
  /** The use case without the tenant's and the destination's counters: what those conditional writes cost on this server. */
  useCaseNoCaps: LatencyRun[];
  /** The same handler and floor with every DynamoDB request delayed by `latencyMs` at the client. */
  model: { latencyMs: number; requests: number; handler: WarmRun[]; floor: WarmRun[] };
  trips: RoundTrips;
  floorTrips: RoundTrips;
  /** What DynamoDB would bill per call, from the items written and read (bench/dynamo-meter.ts). */
  cost: { handler: CallCost; floor: CallCost };
}

const CONCURRENCY = [1, 16];
/**
 * The latency model: a typical in-Region DynamoDB request (GetItem, a single-item write) takes a few milliseconds
 * from a Lambda function; 5 ms per request, each on its own timer, so that the requests of a parallel stage overlap.
 */
export const MODEL_LATENCY_MS = 5;
/** Calls whose billed cost is measured (each adds a consistent GetItem before and after each of its writes). */
const BILLED_CALLS = 20;

/**
 * The call-request handler invoked in-process, against dynalite and the simulator in another process, and the
 * floor: the same clients doing only the I/O a call request cannot avoid. Then both again under the latency model,
 * then what each call is billed.
 */
export async function measureWarmPath(servers: Servers, requests = 2000): Promise<WarmResult> {
  useHandlerEnv(servers);
  const silenced = silenceStdout();
  const meter = new DynamoMeter(servers.endpoint, servers.tableName);
  try {
    const { agents, calls, table, tenants } = await import('../lib/compose/shared');
    const c = { table: table(), tenants: tenants(), calls: calls(), agents: agents() };
    const { handler } = await import('../functions/calls-create');
    const { Click2CallClient } = await import('../lib/pbx/click2call');

    // The handler's client is the compose root's (lib/compose/shared.ts builds it once per root): the meter goes on
    // that very client, so the product's code is measured as it is, with nothing of the bench in lib/.
    meter.instrument(c.table.doc);
    const gets: number[] = [];
    // eslint-disable-next-line @typescript-eslint/unbound-method -- unbound on purpose: the wrapper re-binds it with dial.apply(this, …)
    const dial = Click2CallClient.prototype.dial;
    Click2CallClient.prototype.dial = function (...args) {
      if (meter.tracing) gets.push(performance.now());
      return dial.apply(this, args);
    };

    const invoke = async (i: number) => {
      const res = (await handler(callEvent(servers.key, i, { agents: BENCH_AGENTS, tag: `bench-${process.pid}` }), {
        awsRequestId: randomUUID(),
      } as Context)) as APIGatewayProxyStructuredResultV2;
      if (res.statusCode !== 201) throw new Error(`handler answered ${res.statusCode}: ${res.body}`);
    };

    const floor = await import('./floor');
    const floorCall = floor.createFloor({
      endpoint: servers.endpoint,
      tableName: servers.tableName,
      simUrl: servers.simUrl,
      instrument: (doc) => meter.instrument(doc),
      onGet: () => meter.tracing && gets.push(performance.now()),
    });

    const { PlaceCall } = await import('../lib/calls/place-call');
    const { callRequestSchema } = await import('../lib/calls/request');
    const { CallCaps } = await import('../lib/policy/caps');
    const { RateLimitRepository } = await import('../lib/store/rate-limits');
    const { DedupeWindowRepository } = await import('../lib/store/dedupe-windows');
    const { DoNotCallRepository } = await import('../lib/store/do-not-call');
    const tenant = (await c.tenants.get('bench'))!;
    const quiet = { info: () => undefined, warn: () => undefined } as never;
    const useCaseOf = (caps: ConstructorParameters<typeof PlaceCall>[0]['caps']) => {
      const placeCall = new PlaceCall({
        calls: c.calls,
        agents: c.agents,
        caps,
        windows: new DedupeWindowRepository(c.table),
        dnc: new DoNotCallRepository(c.table),
        pbx: new Click2CallClient(),
        pbxTimeoutMs: 5000,
        logger: quiet,
      });
      return async (i: number) => {
        const event = callEvent(servers.key, i, { agents: BENCH_AGENTS, tag: `bench-${process.pid}` });
        const outcome = await placeCall.execute({
          tenant,
          request: callRequestSchema.parse(JSON.parse(event.body!)),
          idempotencyKey: `uc-${caps === noCaps}-${i}`,
          source: 'api',
        });
        if (outcome.kind !== 'call' || outcome.progress !== 'dialled') {
          throw new Error(`use case answered ${outcome.kind === 'call' ? outcome.progress : outcome.code}`);
        }
      };
    };
    const realCaps = new CallCaps(new RateLimitRepository(c.table));
    // "Counters off": the tenant's per-second counter and the destination's window answer at once, without a write;
    // the agent's lock (which also reads the agent) stays, since a call cannot be placed without it. A proxy, so that
    // the real methods calling these (`admit`) take the stubs too.
    const noCaps = new Proxy(realCaps, {
      get(target, name, receiver) {
        if (name === 'admitRequest') return () => Promise.resolve({});
        if (name === 'admitDestination') return () => Promise.resolve({ giveBack: () => Promise.resolve(undefined) });
        return Reflect.get(target, name, receiver) as unknown;
      },
    });
    const useCase = useCaseOf(realCaps);
    const useCaseNoCaps = useCaseOf(noCaps);

    let offset = 0;
    const run = async (fn: (i: number) => Promise<void>, concurrency: number, total: number): Promise<WarmRun> => {
      const before = await servers.stats();
      const started = performance.now();
      const loop = performance.eventLoopUtilization();
      const result = await measure(fn, { total, concurrency, warmup: 100, offset });
      const { utilization: benchBusy, active } = performance.eventLoopUtilization(loop);
      const seconds = (performance.now() - started) / 1000;
      const after = await servers.stats();
      offset += total + 100;
      return {
        ...result,
        dynaliteBusy: busyShare(before, after),
        benchBusy,
        benchMsPerCall: active / (total + 100),
        dynamoPerSecond: (after.requests - before.requests) / seconds,
      };
    };

    const handlerRuns: WarmRun[] = [];
    const floorRuns: WarmRun[] = [];
    const useCaseRuns: LatencyRun[] = [];
    const useCaseNoCapsRuns: LatencyRun[] = [];
    for (const concurrency of CONCURRENCY) {
      // Interleave handler and floor so that both see the same state of the servers.
      handlerRuns.push(await run(invoke, concurrency, requests));
      floorRuns.push(await run(floorCall, concurrency, requests));
      useCaseRuns.push(await run(useCase, concurrency, requests));
      useCaseNoCapsRuns.push(await run(useCaseNoCaps, concurrency, requests));
    }

    // The latency model: the same handler and floor, every DynamoDB request of both delayed alike.
    const modelRequests = Math.min(requests, 1000);
    const model = { latencyMs: MODEL_LATENCY_MS, requests: modelRequests, handler: [] as WarmRun[], floor: [] as WarmRun[] };
    meter.latencyMs = MODEL_LATENCY_MS;
    try {
      for (const concurrency of CONCURRENCY) {
        model.handler.push(await run(invoke, concurrency, modelRequests));
        model.floor.push(await run(floorCall, concurrency, modelRequests));
      }
    } finally {
      meter.latencyMs = 0;
    }

    const tripsOf = async (fn: (i: number) => Promise<void>) => {
      const perCall: RoundTrips[] = [];
      for (let n = 0; n < 50; n++) {
        meter.traces.length = 0;
        gets.length = 0;
        meter.tracing = true;
        await fn(offset++);
        meter.tracing = false;
        perCall.push(summarize(meter.traces, gets[0]));
      }
      return perCall[perCall.length - 1]!;
    };
    const costOf = async (fn: (i: number) => Promise<void>) => {
      const perCall: { requests: BilledRequest[]; bytesSent: number }[] = [];
      for (let n = 0; n < BILLED_CALLS; n++) {
        meter.traces.length = 0;
        meter.billed.length = 0;
        meter.tracing = meter.billing = true;
        await fn(offset++);
        meter.tracing = meter.billing = false;
        perCall.push({ requests: [...meter.billed], bytesSent: bytesWritten(meter.traces) });
      }
      return costPerCall(perCall);
    };
    return {
      handler: handlerRuns,
      floor: floorRuns,
      useCase: useCaseRuns,
      useCaseNoCaps: useCaseNoCapsRuns,
      model,
      trips: await tripsOf(invoke),
      floorTrips: await tripsOf(floorCall),
      cost: { handler: await costOf(invoke), floor: await costOf(floorCall) },
    };
  } finally {
    meter.destroy();
    silenced.restore();
  }
}

const WRITES = /^(Put|Update|Delete|BatchWrite|TransactWrite)/;
const bytesWritten = (traces: Trace[]) => traces.filter((t) => WRITES.test(t.command)).reduce((n, t) => n + t.bytes, 0);

/** Groups requests into sequential stages: a request that starts after every request of the current stage ended opens the next. */
function summarize(traces: Trace[], getAt: number | undefined): RoundTrips {
  const sorted = [...traces].sort((a, b) => a.start - b.start);
  const stages: Trace[][] = [];
  let stageEnd = -Infinity;
  for (const t of sorted) {
    if (t.start >= stageEnd) {
      stages.push([t]);
      stageEnd = t.end;
    } else {
      stages[stages.length - 1]!.push(t);
      stageEnd = Math.max(stageEnd, t.end);
    }
  }
  const before = getAt === undefined ? stages : stages.filter((s) => s[0]!.start < getAt);
  return {
    stagesBeforeGet: before.length,
    requestsBeforeGet: before.reduce((n, s) => n + s.length, 0),
    stagesTotal: stages.length,
    requestsTotal: sorted.length,
    commands: stages.map((s) => s.map((t) => t.command).join('+')).join(' → '),
    bytesWritten: bytesWritten(sorted),
  };
}

export function silenceStdout() {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = () => true;
  return { restore: () => (process.stdout.write = write) };
}

/**
 * The environment the handlers and the compose root read, set in the bench's process before they load: the table on
 * dynalite, the production log level (one line per call: kept, but out of the terminal), the PBX timeout.
 */
export function useHandlerEnv(target: { endpoint: string; tableName: string }): void {
  Object.assign(process.env, {
    TABLE_NAME: target.tableName,
    DYNAMODB_ENDPOINT: target.endpoint,
    AWS_REGION: 'eu-west-1',
    POWERTOOLS_LOG_LEVEL: 'INFO',
    PBX_TIMEOUT_MS: '5000',
    // The simulator listens on loopback, which only the local stage may reach (lib/net/outbound.ts); the floor's client reads it too.
    ALLOW_PRIVATE_OUTBOUND: 'true',
    // Off AWS the handlers seal secrets under a local key (lib/secrets/seal.ts); the bench tenant has none.
    C2C_LOCAL_SEAL_KEY: Buffer.alloc(32, 1).toString('base64'),
  });
}
