/**
 * One worker process of the concurrency section (bench/concurrency.ts): what a Lambda container is to one call in
 * flight. It loads the real call-request handler (`functions/calls-create`, its compose root and SDK client) and the
 * floor (bench/floor.ts) in-process, puts the latency model on both clients (bench/dynamo-meter.ts), says `ready`,
 * then places the calls it is sent one after the other: never two at once, as a container serves one request at a
 * time. Argument: a JSON object {endpoint, tableName, simUrl, key, latencyMs}. Messages (IPC): in, {kind, share}; out,
 * {ready} once, then per share the samples of bench/concurrency-plan.ts, with this process's CPU time and how busy
 * its event loop was.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { callEvent } from './call-event';
import type { WorkerSamples, WorkerShare } from './concurrency-plan';
import { DynamoMeter } from './dynamo-meter';
import { BENCH_AGENTS } from './tenant';
import { silenceStdout, useHandlerEnv } from './warm';

export type WorkerKind = 'handler' | 'floor';
export interface WorkerRequest {
  kind: WorkerKind;
  share: WorkerShare;
}
export interface WorkerReport extends WorkerSamples {
  /** This process's CPU time (user and system, every thread) over its share, in ms. */
  cpuMs: number;
  /** The share of the share's wall time this process's event loop was busy. */
  busy: number;
}
export type WorkerMessage = { ready: true } | { report: WorkerReport } | { error: string };

const args = JSON.parse(process.argv[2] ?? '{}') as { endpoint: string; tableName: string; simUrl: string; key: string; latencyMs: number };

async function main() {
  useHandlerEnv(args);
  silenceStdout();
  const meter = new DynamoMeter(args.endpoint, args.tableName);
  meter.latencyMs = args.latencyMs;
  const { table } = await import('../lib/compose/shared');
  // The handler's client is its compose root's, built once per process as in a container: the model goes on it.
  meter.instrument(table().doc);
  const { handler } = await import('../functions/calls-create');
  const { createFloor } = await import('./floor');
  const tag = `conc-${process.pid}`;
  const calls: Record<WorkerKind, (i: number) => Promise<void>> = {
    handler: async (i) => {
      const res = (await handler(callEvent(args.key, i, { agents: BENCH_AGENTS, tag }), {
        awsRequestId: randomUUID(),
      } as Context)) as APIGatewayProxyStructuredResultV2;
      if (res.statusCode !== 201) throw new Error(`handler answered ${res.statusCode}: ${res.body}`);
    },
    floor: createFloor({
      endpoint: args.endpoint,
      tableName: args.tableName,
      simUrl: args.simUrl,
      instrument: (doc) => meter.instrument(doc),
      onGet: () => undefined,
    }),
  };

  const send = (message: WorkerMessage) => process.send!(message);
  process.on('message', (request: WorkerRequest) => {
    placeShare(calls[request.kind], request.share).then(
      (report) => send({ report }),
      (error: unknown) => send({ error: error instanceof Error ? error.message : String(error) }),
    );
  });
  // The parent ends the run by closing the channel.
  process.on('disconnect', () => {
    meter.destroy();
    process.exit(0);
  });
  send({ ready: true });
}

async function placeShare(call: (i: number) => Promise<void>, share: WorkerShare): Promise<WorkerReport> {
  const latencies: number[] = [];
  const cpu = process.cpuUsage();
  const loop = performance.eventLoopUtilization();
  const start = performance.timeOrigin + performance.now();
  for (let j = 0; j < share.count; j++) {
    const t = performance.now();
    await call(share.first + j * share.stride);
    latencies.push(performance.now() - t);
  }
  const end = performance.timeOrigin + performance.now();
  const used = process.cpuUsage(cpu);
  return { latencies, start, end, cpuMs: (used.user + used.system) / 1000, busy: performance.eventLoopUtilization(loop).utilization };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
