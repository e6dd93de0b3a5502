import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { measure, type LatencyRun } from './stats';

const ROOT = path.resolve(__dirname, '..');

export interface Servers {
  endpoint: string;
  tableName: string;
  simUrl: string;
  key: string;
  stop(): Promise<void>;
}

/** dynalite and the simulator in a child process (bench/servers.ts). */
export async function startServers(): Promise<Servers> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/servers.ts')], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });
  const line = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bench servers exited with ${code}`)));
    createInterface({ input: child.stdout! }).once('line', resolve);
  });
  const facts = JSON.parse(line) as Omit<Servers, 'stop'>;
  return {
    ...facts,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

interface Trace {
  command: string;
  start: number;
  end: number;
  bytes: number;
}

export interface RoundTrips {
  /** Sequential DynamoDB stages before the Click2Call GET (parallel requests count as one stage). */
  stagesBeforeGet: number;
  requestsBeforeGet: number;
  stagesTotal: number;
  requestsTotal: number;
  commands: string;
  /** JSON bytes sent in write requests (Put/Update/Delete), per call. */
  bytesWritten: number;
}

export interface WarmResult {
  handler: LatencyRun[];
  floor: LatencyRun[];
  /** The use case alone (no HTTP parsing, no auth), with the caps as configured: what the HTTP layer costs. */
  useCase: LatencyRun[];
  /** The use case with the caps switched off: what the caps' conditional writes cost on this server. */
  useCaseNoCaps: LatencyRun[];
  trips: RoundTrips;
  floorTrips: RoundTrips;
}

const CONCURRENCY = [1, 16];

/**
 * The call-request handler invoked in-process, against dynalite and the simulator in another process, and the
 * floor: the same clients doing only the I/O a call request cannot avoid.
 */
export async function measureWarmPath(servers: Servers, requests = 2000): Promise<WarmResult> {
  Object.assign(process.env, {
    TABLE_NAME: servers.tableName,
    DYNAMODB_ENDPOINT: servers.endpoint,
    AWS_REGION: 'eu-west-1',
    // Production logs INFO: one line per call. Keep it, but out of the terminal.
    POWERTOOLS_LOG_LEVEL: 'INFO',
    PBX_TIMEOUT_MS: '5000',
    // The simulator listens on loopback, which only the local stage may reach (lib/net/outbound.ts); the floor's client reads it too.
    ALLOW_PRIVATE_OUTBOUND: 'true',
    // Off AWS the handlers seal secrets under a local key (lib/secrets/seal.ts); the bench tenant has none.
    C2C_LOCAL_SEAL_KEY: Buffer.alloc(32, 1).toString('base64'),
  });
  const silenced = silenceStdout();
  try {
    const { agents, calls, table, tenants } = await import('../lib/compose/shared');
    const c = { table: table(), tenants: tenants(), calls: calls(), agents: agents() };
    const { handler } = await import('../functions/calls-create');
    const { Click2CallClient } = await import('../lib/pbx/click2call');

    const traces: Trace[] = [];
    const gets: number[] = [];
    let tracing = false;
    c.table.doc.middlewareStack.add(
      (next, context) => async (args) => {
        const start = performance.now();
        const request = (args as { request?: { body?: string } }).request;
        const out = await next(args);
        if (tracing)
          traces.push({
            command: context.commandName ?? '?',
            start,
            end: performance.now(),
            bytes: Buffer.byteLength(request?.body ?? ''),
          });
        return out;
      },
      { step: 'finalizeRequest', name: 'benchTrace' },
    );
    // eslint-disable-next-line @typescript-eslint/unbound-method -- unbound on purpose: the wrapper re-binds it with dial.apply(this, …)
    const dial = Click2CallClient.prototype.dial;
    Click2CallClient.prototype.dial = function (...args) {
      if (tracing) gets.push(performance.now());
      return dial.apply(this, args);
    };

    const invoke = async (i: number) => {
      const res = (await handler(callEvent(servers.key, i), {
        awsRequestId: randomUUID(),
      } as Context)) as APIGatewayProxyStructuredResultV2;
      if (res.statusCode !== 201) throw new Error(`handler answered ${res.statusCode}: ${res.body}`);
    };

    const floor = await import('./floor');
    const floorCall = floor.createFloor({
      endpoint: servers.endpoint,
      tableName: servers.tableName,
      simUrl: servers.simUrl,
      traces: (t) => tracing && traces.push(t),
      onGet: () => tracing && gets.push(performance.now()),
    });

    const { PlaceCall } = await import('../lib/calls/place-call');
    const { callRequestSchema } = await import('../lib/calls/request');
    const { CallCaps } = await import('../lib/policy/caps');
    const { RateLimitRepository } = await import('../lib/store/rate-limits');
    const { DedupeWindowRepository } = await import('../lib/store/dedupe-windows');
    const tenant = (await c.tenants.get('bench'))!;
    const quiet = { info: () => undefined, warn: () => undefined } as never;
    const useCaseOf = (caps: ConstructorParameters<typeof PlaceCall>[0]['caps']) => {
      const placeCall = new PlaceCall({
        calls: c.calls,
        agents: c.agents,
        caps,
        windows: new DedupeWindowRepository(c.table),
        pbx: new Click2CallClient(),
        pbxTimeoutMs: 5000,
        logger: quiet,
      });
      return async (i: number) => {
        const event = callEvent(servers.key, i);
        const outcome = await placeCall.execute({
          tenant,
          request: callRequestSchema.parse(JSON.parse(event.body!)),
          idempotencyKey: `uc-${caps === noCaps}-${i}`,
          source: 'api',
        });
        if (outcome.status !== 201) throw new Error(`use case answered ${outcome.status}`);
      };
    };
    const noCaps = {
      admitRequest: () => Promise.resolve({}),
      admit: () => Promise.resolve({ release: () => Promise.resolve(undefined) }),
    } as unknown as ConstructorParameters<typeof PlaceCall>[0]['caps'];
    const useCase = useCaseOf(new CallCaps(new RateLimitRepository(c.table)));
    const useCaseNoCaps = useCaseOf(noCaps);

    const handlerRuns: LatencyRun[] = [];
    const floorRuns: LatencyRun[] = [];
    const useCaseRuns: LatencyRun[] = [];
    const useCaseNoCapsRuns: LatencyRun[] = [];
    let offset = 0;
    for (const concurrency of CONCURRENCY) {
      // Interleave handler and floor so that both see the same state of the servers.
      handlerRuns.push(await measure(invoke, { total: requests, concurrency, warmup: 100, offset }));
      offset += requests + 100;
      floorRuns.push(await measure(floorCall, { total: requests, concurrency, warmup: 100, offset }));
      offset += requests + 100;
      useCaseRuns.push(await measure(useCase, { total: requests, concurrency, warmup: 100, offset }));
      offset += requests + 100;
      useCaseNoCapsRuns.push(await measure(useCaseNoCaps, { total: requests, concurrency, warmup: 100, offset }));
      offset += requests + 100;
    }

    const tripsOf = async (fn: (i: number) => Promise<void>) => {
      const perCall: RoundTrips[] = [];
      for (let n = 0; n < 50; n++) {
        traces.length = 0;
        gets.length = 0;
        tracing = true;
        await fn(offset++);
        tracing = false;
        perCall.push(summarize(traces, gets[0]));
      }
      return perCall[perCall.length - 1]!;
    };
    return {
      handler: handlerRuns,
      floor: floorRuns,
      useCase: useCaseRuns,
      useCaseNoCaps: useCaseNoCapsRuns,
      trips: await tripsOf(invoke),
      floorTrips: await tripsOf(floorCall),
    };
  } finally {
    silenced.restore();
  }
}

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
    commands: stages.map((s) => s.map((t) => t.command.replace(/Command$/, '')).join('+')).join(' → '),
    bytesWritten: sorted.filter((t) => /^(Put|Update|Delete)/.test(t.command)).reduce((n, t) => n + t.bytes, 0),
  };
}

function callEvent(key: string, i: number): APIGatewayProxyEventV2 {
  const body = JSON.stringify({ agent: { crmUserId: `u-${i % 64}` }, to: `+44 7766 ${800000 + (i % 100000)}`, lead: { id: `lead-${i}` } });
  return {
    version: '2.0',
    routeKey: 'POST /v1/calls',
    rawPath: '/v1/calls',
    rawQueryString: '',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': `bench-${process.pid}-${i}` },
    requestContext: { requestId: randomUUID() },
    body,
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEventV2;
}

function silenceStdout() {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = () => true;
  return { restore: () => (process.stdout.write = write) };
}
