/**
 * The warm path as AWS runs it under concurrency: each call in flight in a process of its own (a Lambda container
 * serves one request at a time), under the DynamoDB latency model, for the handler and for the floor.
 * `npx tsx bench/concurrency.ts [--requests N] [--write]` (or `npm run bench -- --only concurrency`): this section
 * alone, written into BENCHMARKS.md in place of its previous version.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { aggregate, placeSection, shareCalls } from './concurrency-plan';
import type { WorkerKind, WorkerMessage, WorkerReport, WorkerRequest } from './concurrency-worker';
import { busyShare } from './server-load';
import type { LatencyRun } from './stats';
import { editBenchmarks } from './sections';
import { BENCH_AGENTS } from './tenant';
import { MODEL_LATENCY_MS, startServers, type Servers } from './warm';

const ROOT = path.resolve(__dirname, '..');
export const CONCURRENCY_HEADING = '## Warm path with a process per call in flight';
/** The section it follows in BENCHMARKS.md. */
const AFTER_HEADING = '## Warm path under a DynamoDB latency model';
const TARGET_RATIO = 1.3;
/** Concurrency 1 for reference (one process), then the target's. */
const CONCURRENCY = [1, 16];
const WORKERS = Math.max(...CONCURRENCY);

export interface ConcurrencyRun extends LatencyRun {
  /** How busy the servers' process (dynalite and the PBX simulator, one thread) was during the run. */
  serversBusy: number;
  /** The servers' CPU time per call, ms. */
  serversCpuMsPerCall: number;
  /** The worker processes' CPU time per call (user and system, every thread), ms. */
  workersCpuMsPerCall: number;
  /** Cores' worth of CPU that other processes of the machine used during the run (NaN where /proc/stat is not). */
  otherCores: number;
}

export interface ConcurrencyResult {
  latencyMs: number;
  requests: number;
  warmup: number;
  cores: number;
  /** The machine's 1-minute load average at the start and at the end (other work shares the cores). */
  load: [number, number];
  handler: ConcurrencyRun[];
  floor: ConcurrencyRun[];
}

/** A worker process (bench/concurrency-worker.ts), started and loaded. */
interface Worker {
  place(request: WorkerRequest): Promise<WorkerReport>;
  stop(): void;
}

async function startWorker(servers: Servers): Promise<Worker> {
  const facts = { endpoint: servers.endpoint, tableName: servers.tableName, simUrl: servers.simUrl, key: servers.key };
  const child: ChildProcess = fork(
    path.join(ROOT, 'bench/concurrency-worker.ts'),
    [JSON.stringify({ ...facts, latencyMs: MODEL_LATENCY_MS })],
    {
      cwd: ROOT,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
    },
  );
  // One request at a time per worker: the next message answers the one pending.
  let pending: { resolve: (r: WorkerReport) => void; reject: (e: Error) => void } | undefined;
  let ready: (() => void) | undefined;
  const started = new Promise<void>((resolve, reject) => {
    ready = resolve;
    child.once('exit', (code) => {
      const error = new Error(`concurrency worker ${child.pid} exited with ${code}`);
      reject(error);
      pending?.reject(error);
    });
  });
  child.on('message', (message: WorkerMessage) => {
    if ('ready' in message) return ready?.();
    const waiting = pending;
    pending = undefined;
    if ('report' in message) waiting?.resolve(message.report);
    else waiting?.reject(new Error(`concurrency worker ${child.pid}: ${message.error}`));
  });
  await started;
  return {
    place: (request) =>
      new Promise<WorkerReport>((resolve, reject) => {
        pending = { resolve, reject };
        child.send(request);
      }),
    stop: () => child.connected && child.disconnect(),
  };
}

/**
 * Starts the servers and `WORKERS` worker processes, warms every worker on both paths, then for each concurrency
 * `c` places `requests` calls through the handler and through the floor with `c` workers at once.
 */
export async function measureConcurrency(requests = 1000, warmup = 100): Promise<ConcurrencyResult> {
  const load: [number, number] = [os.loadavg()[0]!, NaN];
  const servers = await startServers();
  const workers: Worker[] = [];
  try {
    const starting = Array.from({ length: WORKERS }, () => startWorker(servers));
    const settled = await Promise.allSettled(starting);
    for (const s of settled) if (s.status === 'fulfilled') workers.push(s.value);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;

    let offset = 0;
    const place = async (kind: WorkerKind, concurrency: number, total: number) => {
      const { shares, next } = shareCalls({ total, workers: concurrency, offset, agents: BENCH_AGENTS });
      offset = next;
      return Promise.all(shares.map((share, w) => workers[w]!.place({ kind, share })));
    };
    // Each process compiles its own code: every worker warms both paths before anything is measured.
    for (const kind of ['handler', 'floor'] as const) await place(kind, WORKERS, warmup * WORKERS);

    const run = async (kind: WorkerKind, concurrency: number): Promise<ConcurrencyRun> => {
      const [before, machineBefore, wallBefore] = [await servers.stats(), machineCpuMs(), performance.now()];
      const reports = await place(kind, concurrency, requests);
      const [after, machineAfter, wallAfter] = [await servers.stats(), machineCpuMs(), performance.now()];
      const [serversCpu, workersCpu] = [after.cpuMs - before.cpuMs, reports.reduce((n, r) => n + r.cpuMs, 0)];
      return {
        ...aggregate(concurrency, reports),
        serversBusy: busyShare(before, after),
        serversCpuMsPerCall: serversCpu / requests,
        workersCpuMsPerCall: workersCpu / requests,
        otherCores: Math.max(0, machineAfter - machineBefore - serversCpu - workersCpu) / (wallAfter - wallBefore),
      };
    };
    const result: ConcurrencyResult = {
      latencyMs: MODEL_LATENCY_MS,
      requests,
      warmup,
      cores: os.cpus().length,
      load,
      handler: [],
      floor: [],
    };
    for (const concurrency of CONCURRENCY) {
      // Interleaved, so that both see the same state of the servers and of the machine.
      result.handler.push(await run('handler', concurrency));
      result.floor.push(await run('floor', concurrency));
    }
    load[1] = os.loadavg()[0]!;
    return result;
  } finally {
    for (const w of workers) w.stop();
    await servers.stop();
  }
}

/** The CPU time every process of the machine has used since boot, ms (Linux: /proc/stat's first line, in USER_HZ ticks). */
function machineCpuMs(): number {
  try {
    const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
    // user nice system idle iowait irq softirq steal: all but idle and iowait is work.
    const busy = ticks.slice(0, 8).reduce((n, t, i) => (i === 3 || i === 4 ? n : n + t), 0);
    return busy * 10;
  } catch {
    return NaN;
  }
}

const ms = (n: number) => `${n.toFixed(1)} ms`;
const pct = (n: number) => `${(n * 100).toFixed(0)} %`;
const perSec = (n: number) => `${n.toFixed(0)}/s`;

/** What bounds a run's calls per second on this machine, from its own figures. */
const cpuPerCall = (run: ConcurrencyRun) => run.workersCpuMsPerCall + run.serversCpuMsPerCall;

export function boundsOf(run: ConcurrencyRun, alone: LatencyRun, cores: number) {
  return {
    /** The rate `run.concurrency` calls in flight would reach if each took as long as one call alone. */
    demand: (run.concurrency * 1000) / alone.p50,
    /** The servers' one thread, at their CPU time per call. */
    servers: 1000 / run.serversCpuMsPerCall,
    /** The machine's cores, at the CPU time per call of the workers and the servers together. */
    cores: (cores * 1000) / cpuPerCall(run),
    /** The cores other work left to the bench during the run. */
    coresLeft: ((cores - run.otherCores) * 1000) / cpuPerCall(run),
    /** Little's law: the mean time a call spends in the system, `concurrency` in flight at the rate measured. */
    littleMs: (run.concurrency * 1000) / run.perSecond,
  };
}

export function renderConcurrencySection(r: ConcurrencyResult): string[] {
  const at = (runs: ConcurrencyRun[], c: number) => runs.find((x) => x.concurrency === c)!;
  const [h, f] = [at(r.handler, WORKERS), at(r.floor, WORKERS)];
  const ratio = h.p50 / f.p50;
  const lines = [CONCURRENCY_HEADING, ''];
  lines.push(
    `In the sections above every call in flight shares the bench's one Node.js thread; in AWS each has a Lambda container, its own process and event loop. Here ${WORKERS} worker processes (\`bench/concurrency-worker.ts\`), started and warmed before anything is measured (${r.warmup} calls of each path each), each load the real handler \`functions/calls-create\` with its compose root and SDK client, and the floor (\`bench/floor.ts\`), in-process, and place their calls one after the other, never two at once, as a container does. At concurrency c, c of them place ${r.requests} calls between them, dealt round-robin so that no two call one agent at once (\`bench/concurrency-plan.ts\`). Every DynamoDB request of both paths is delayed ${r.latencyMs} ms at the client, as in the latency model above. p50 and p99 over every call of every worker; calls/s over the run's wall time, first start to last end.`,
    '',
    `What the processes still share, where AWS would give each its own: the servers' process, dynalite and the PBX simulator on one thread (every DynamoDB request of every worker waits its turn there, where DynamoDB serves each in parallel), and this machine's ${r.cores} cores, on which the ${WORKERS} workers, the servers and other work run (1-minute load average ${r.load[0].toFixed(1)} at the start, ${r.load[1].toFixed(1)} at the end). "CPU per call": the CPU time (user and system, every thread: code, SDK, GC) of the workers and of the servers' process, per call. "Other work": the cores' worth of CPU the machine's other processes used meanwhile (\`/proc/stat\`).`,
    '',
    '| target | measured | verdict |',
    '|---|---|---|',
    `| warm p50 at concurrency ${WORKERS}, a process per call in flight, at most ${TARGET_RATIO} x floor, DynamoDB latency model (${r.latencyMs} ms a request) | ${ratio.toFixed(2)} x (${ms(h.p50)} vs ${ms(f.p50)}) | ${ratio <= TARGET_RATIO ? 'holds' : '**missed**'} |`,
    '',
    '| concurrency | handler p50 | handler p99 | handler calls/s | floor p50 | floor p99 | floor calls/s | p50 ratio | servers busy (handler / floor) | CPU per call, workers + servers (handler / floor) | other work, cores (handler / floor) |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const [i, hr] of r.handler.entries()) {
    const fr = r.floor[i]!;
    lines.push(
      `| ${hr.concurrency} | ${ms(hr.p50)} | ${ms(hr.p99)} | ${hr.perSecond.toFixed(0)} | ${ms(fr.p50)} | ${ms(fr.p99)} | ${fr.perSecond.toFixed(0)} | ${(hr.p50 / fr.p50).toFixed(2)} | ${pct(hr.serversBusy)} / ${pct(fr.serversBusy)} | ${cpu(hr)} / ${cpu(fr)} | ${cores(hr.otherCores)} / ${cores(fr.otherCores)} |`,
    );
  }
  const bounds = { handler: boundsOf(h, at(r.handler, 1), r.cores), floor: boundsOf(f, at(r.floor, 1), r.cores) };
  lines.push(
    '',
    `What the shared parts allow at concurrency ${WORKERS}, from this run's own figures: "asked", the rate ${WORKERS} calls in flight would reach if each took the p50 of one call alone (concurrency 1 above); "the servers' thread allows", 1 s over the servers' CPU per call; "the cores allow", ${r.cores} cores over the CPU per call of workers and servers together, then the same with the cores other work left; "in the system", the mean time a call spent in flight by Little's law, ${WORKERS} over the rate measured.`,
    '',
    `| path | asked | the servers' thread allows | ${r.cores} cores allow | the cores other work left allow | measured | in the system |`,
    '|---|---|---|---|---|---|---|',
  );
  for (const [name, run, b] of [
    ['handler', h, bounds.handler],
    ['floor', f, bounds.floor],
  ] as const) {
    lines.push(
      `| ${name} | ${perSec(b.demand)} | ${perSec(b.servers)} | ${perSec(b.cores)} | ${perSec(b.coresLeft)} | ${perSec(run.perSecond)} | ${ms(b.littleMs)} |`,
    );
  }
  lines.push('', reading([h, bounds.handler], [f, bounds.floor], ratio, [at(r.handler, 1), at(r.floor, 1)]), '');
  return lines;
}

const cpu = (run: ConcurrencyRun) => `${ms(run.workersCpuMsPerCall)} + ${ms(run.serversCpuMsPerCall)}`;
const cores = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');

/** The shared part that sets a path's rate, if the rate it asks for exceeds one: the tighter of the servers' thread and the cores left. */
function limitOf(b: ReturnType<typeof boundsOf>): { what: string; allows: number } | undefined {
  const left = Number.isFinite(b.coresLeft) ? b.coresLeft : b.cores;
  const cores = Number.isFinite(b.coresLeft) ? 'the cores other work left' : 'the cores';
  const tightest = b.servers <= left ? { what: "the servers' one thread", allows: b.servers } : { what: cores, allows: left };
  return b.demand > tightest.allows ? tightest : undefined;
}

/** The section's conclusion, computed: which shared part, if any, sets each path's figure, and so what the ratio measures. */
function reading(
  [h, hb]: [ConcurrencyRun, ReturnType<typeof boundsOf>],
  [f, fb]: [ConcurrencyRun, ReturnType<typeof boundsOf>],
  ratio: number,
  [handlerAlone, floorAlone]: [LatencyRun, LatencyRun],
): string {
  const [hl, fl] = [limitOf(hb), limitOf(fb)];
  const what = (name: string, run: ConcurrencyRun, b: ReturnType<typeof boundsOf>, l: ReturnType<typeof limitOf>) =>
    l
      ? `the ${name} asks for ${perSec(b.demand)}, more than ${l.what} allow${l.what.startsWith('the cores') ? '' : 's'} (${perSec(l.allows)}): its calls queue there, and its p50 (${ms(run.p50)}) is that queue's`
      : `the ${name} asks for ${perSec(b.demand)}, within what the servers' thread (${perSec(b.servers)}) and the cores (${perSec(b.coresLeft)}) allow: its p50 (${ms(run.p50)}) is its own`;
  const cpuRatio = cpuPerCall(h) / cpuPerCall(f);
  const conclusion =
    hl && fl
      ? `Both queue on what the processes share, so the ratio of ${ratio.toFixed(2)} x follows the ratio of their CPU per call (${ms(cpuPerCall(h))} against ${ms(cpuPerCall(f))}: ${cpuRatio.toFixed(2)} x), not their latencies where each container has its own CPU and DynamoDB serves every request in parallel.`
      : hl
        ? `So the ratio of ${ratio.toFixed(2)} x measures the handler's CPU per call on this machine (${ms(cpuPerCall(h))} against the floor's ${ms(cpuPerCall(f))}) as much as its latency: in AWS each container has its own CPU and DynamoDB serves every request in parallel.`
        : fl
          ? `The floor queues and the handler does not: the ratio of ${ratio.toFixed(2)} x understates the handler's cost over the floor.`
          : `Neither queues on what the processes share: the ratio of ${ratio.toFixed(2)} x is the two paths' own under the latency model.`;
  const alone = ` Where nothing is shared, a call among ${WORKERS} in flight takes what one alone takes: the concurrency-1 row, where the handler's p50 is ${(handlerAlone.p50 / floorAlone.p50).toFixed(2)} x the floor's.`;
  return `Reading: ${what('handler', h, hb, hl)}; ${what('floor', f, fb, fl)}. ${conclusion}${hl || fl ? alone : ''}`;
}

/** `--only concurrency`: this section alone, replacing its previous version in BENCHMARKS.md when written. */
export async function concurrencyOnly(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      requests: { type: 'string', default: '1000' },
      warmup: { type: 'string', default: '100' },
      write: { type: 'boolean', default: false },
    },
  });
  const section = renderConcurrencySection(await measureConcurrency(Number(values.requests), Number(values.warmup)));
  console.log(section.join('\n'));
  if (values.write) {
    editBenchmarks((markdown) => placeSection(markdown, section, AFTER_HEADING));
  }
}

if (require.main === module) {
  concurrencyOnly(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
