/**
 * Saturates a dynalite with the request mix of placed calls: the call-request handler in this process, in a closed
 * loop at a high concurrency, with the PBX's GET answered at once (no simulator: only DynamoDB does work), so that
 * dynalite's one thread, in the process that runs it, is what limits the rate. Argument: a JSON object {endpoint,
 * tableName, key, agents, concurrency, warmupSec, durationSec}; prints one JSON line: the calls completed in the
 * measured window, its start and end (Date.now(), for the process that counts dynalite's requests), the errors.
 * The window opens after `warmupSec`, two calls per worker and one per agent.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { DialOutcome } from '../lib/pbx/click2call';
import { callEvent } from './call-event';
import { silenceStdout, useHandlerEnv } from './warm';

const args = JSON.parse(process.argv[2] ?? '{}') as {
  endpoint: string;
  tableName: string;
  key: string;
  agents: number;
  concurrency: number;
  warmupSec: number;
  durationSec: number;
};

export interface SaturationResult {
  calls: number;
  start: number;
  end: number;
  errors: number;
  firstError?: string;
}

async function main() {
  useHandlerEnv(args);
  const { Click2CallClient } = await import('../lib/pbx/click2call');
  let unique = 1000;
  // The simulator's answer, without the simulator: a unique id of the same shape (lib/store keeps it).
  Click2CallClient.prototype.dial = (_settings, request): Promise<DialOutcome> =>
    Promise.resolve({
      kind: 'accepted',
      uniqueId: `${Math.floor(Date.now() / 1000)}.${++unique}`,
      message: 'OK',
      legA: request.legA,
      legB: request.legB,
      pbxHost: 'sim.pbx.commpeak.local',
      latencyMs: 0,
    });
  const { handler } = await import('../functions/calls-create');

  const silenced = silenceStdout();
  // The window opens once the loop is warm: the warm-up time has passed, every worker has completed two calls (the
  // first ones load the handler's modules and open the connections) and every agent has been called once.
  const warmUntil = Date.now() + args.warmupSec * 1000;
  let warmCalls = 0;
  let start = Infinity;
  let end = Infinity;
  const result: SaturationResult = { calls: 0, start, end, errors: 0 };
  let next = 0;
  const tag = `sat-${process.pid}`;
  try {
    await Promise.all(
      Array.from({ length: args.concurrency }, async () => {
        while (Date.now() < end) {
          const res = (await handler(callEvent(args.key, next++, { agents: args.agents, tag }), {
            awsRequestId: randomUUID(),
          } as Context)) as APIGatewayProxyStructuredResultV2;
          const done = Date.now();
          if (res.statusCode !== 201) {
            result.errors++;
            result.firstError ??= `${res.statusCode}: ${res.body}`;
          } else if (done >= start && done < end) result.calls++;
          if (start === Infinity && ++warmCalls >= Math.max(2 * args.concurrency, args.agents) && done >= warmUntil) {
            start = done;
            end = start + args.durationSec * 1000;
          }
        }
      }),
    );
  } finally {
    silenced.restore();
  }
  Object.assign(result, { start, end });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
