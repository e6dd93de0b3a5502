/**
 * `npm run bench`: measures the service against its floor and writes BENCHMARKS.md.
 * Sections: cold start (bundles), warm path (handler vs floor), DynamoDB round trips, the full local stack.
 * `--quick` runs fewer requests (a smoke run; BENCHMARKS.md is then not written unless --write).
 * `--only cold-start` measures the cold-start section alone and replaces only that section of BENCHMARKS.md; so do
 * `--only concurrency` (the warm path with a process per call in flight, bench/concurrency.ts), `--only partition-model`
 * and `--only load-test` for theirs.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  coldStartOnly,
  DEFAULT_LOAD_RATIO_TARGET,
  LOAD_RATIO_TARGETS,
  measureColdStarts,
  renderColdStartSection,
  type ColdStartResult,
  type ColdStartRow,
} from './cold-start';
import { concurrencyOnly, measureConcurrency, renderConcurrencySection, type ConcurrencyResult } from './concurrency';
import { ON_DEMAND_PRICES, type BilledWrite, type CallCost } from './dynamo-meter';
import { measureFullStack, type DynaliteBound, type FullStackResult, type FullStackRun } from './full-stack';
import { measureSealColdStart, renderSealSection, type SealColdStart } from './seal';
import { measureWarmPath, startServers, type WarmResult } from './warm';
import { loadTestInChild, renderLoadSection, type LoadResult } from './load-test';
import { partitionModelInChild, renderPartitionSection, scratchFile, type PartitionModel } from './partition-model';

const { values } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, write: { type: 'boolean', default: false }, only: { type: 'string' } },
});
const quick = values.quick;

const TARGETS = {
  warmRatio: 1.3,
  stagesBeforeGet: 2,
  gzipKb: 250,
  loadMs: 60,
  stackPerSecond: 300,
  // Six, and the do-not-call list's GetItem beside the first stage (docs/design.md, "Requests per call").
  requestsPerCall: 7,
  billedKb: 2.5,
  // Issue 22, "Cost per call": the table's writes and every index copy of them, per placed call.
  writeUnitsPerCall: 10,
};

const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;
const kb1 = (n: number) => `${(n / 1024).toFixed(2)} KB`;
const pct = (n: number) => (Number.isFinite(n) ? `${(n * 100).toFixed(0)} %` : 'n/a');
const billedBytes = (c: CallCost) => c.tableBytes + c.indexBytes;
/** The index write units of the last measured call, per index: which copies the placed call pays for. */
function indexUnits(c: CallCost): string {
  const units = new Map<string, number>();
  for (const w of c.writes) for (const x of w.indexes) units.set(x.index, (units.get(x.index) ?? 0) + x.wcu);
  return [...units].map(([index, n]) => `${index} ${n}`).join(', ') || 'none';
}
const sumBytes = (w: BilledWrite) => w.indexes.reduce((n, x) => n + x.bytes, 0);
const boundCallsOf = (b: DynaliteBound) => b.requestsPerSecond / b.requestsPerCall;
/** Requests by DynamoDB operation, most first: `UpdateItem 1302, GetItem 231`. */
const mix = (operations: Record<string, number>) =>
  Object.entries(operations)
    .sort((a, b) => b[1] - a[1])
    .map(([op, n]) => `${op} ${n}`)
    .join(', ');
const ms = (n: number) => `${n.toFixed(1)} ms`;
const verdict = (ok: boolean) => (ok ? 'holds' : '**missed**');

async function main() {
  const write = !quick || values.write;
  if (values.only === 'cold-start') return coldStartOnly(['--runs', quick ? '5' : '20', ...(write ? ['--write'] : [])]);
  if (values.only === 'concurrency')
    return concurrencyOnly(['--requests', quick ? '200' : '1000', '--warmup', quick ? '10' : '100', ...(write ? ['--write'] : [])]);
  if (values.only === 'partition-model') {
    console.log(renderPartitionSection(await partitionModelInChild({ quick, file: scratchFile('partition-model'), write })).join('\n'));
    return;
  }
  if (values.only === 'load-test') {
    console.log(renderLoadSection(await loadTestInChild({ quick, write })).join('\n'));
    return;
  }
  if (values.only !== undefined)
    throw new Error(`--only takes "cold-start", "concurrency", "partition-model" or "load-test", not "${values.only}"`);
  const started = Date.now();
  console.log('cold start: packaging and loading bundles...');
  const cold = await measureColdStarts(quick ? 5 : 20);
  console.log('cold start: secrets at rest (sealer, KMS SDK, first open)...');
  const seal = await measureSealColdStart(quick ? 5 : 20);
  console.log('warm path: handler and floor...');
  const servers = await startServers();
  let warm: WarmResult;
  try {
    warm = await measureWarmPath(servers, quick ? 300 : 2000);
  } finally {
    await servers.stop();
  }
  console.log('warm path: a worker process per call in flight...');
  const concurrency = await measureConcurrency(quick ? 200 : 1000, quick ? 10 : 100);
  console.log('full stack: serverless-offline under autocannon...');
  const stack = await measureFullStack({
    connections: [16, 32],
    durationSec: quick ? 5 : 20,
    saturation: { concurrency: 64, durationSec: quick ? 5 : 10 },
  });
  console.log('partition model: every kind of call against dynalite, key by key...');
  const modelFile = scratchFile('partition-model');
  const model = await partitionModelInChild({ quick, file: modelFile });
  console.log('load test: 50 tenants on the local stack...');
  const load = await loadTestInChild({ quick, modelFile });
  const report = render(cold, warm, stack, Date.now() - started, seal, concurrency, { model, load });
  console.log(report);
  if (write) writeFileSync(path.resolve(__dirname, '../BENCHMARKS.md'), report);
}

function render(
  coldStart: ColdStartResult,
  warm: WarmResult,
  { runs: stack, bound }: FullStackResult,
  elapsedMs: number,
  seal: SealColdStart,
  concurrency: ConcurrencyResult,
  scale: { model: PartitionModel; load: LoadResult },
): string {
  const cold = coldStart.rows;
  const create = cold.find((r) => r.fn === 'callsCreate');
  const lines: string[] = [];
  lines.push('# Benchmarks', '');
  lines.push('Made by `npm run bench` on a clean checkout. Every figure is measured by that command; none is typed in.', '');
  lines.push(`- When: ${new Date().toISOString()}`);
  lines.push(
    `- Machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node.js ${process.version}`,
  );
  lines.push(`- Wall time of the run: ${(elapsedMs / 1000).toFixed(0)} s`, '');

  lines.push('## Targets', '');
  lines.push('| target | measured | verdict |', '|---|---|---|');
  for (const [i, c] of [1, 16].entries()) {
    const ratio = warm.handler[i]!.p50 / warm.floor[i]!.p50;
    lines.push(
      `| warm p50 at concurrency ${c} at most ${TARGETS.warmRatio} x floor | ${ratio.toFixed(2)} x (${ms(warm.handler[i]!.p50)} vs ${ms(warm.floor[i]!.p50)}) | ${verdict(ratio <= TARGETS.warmRatio)} |`,
    );
  }
  for (const [i, c] of [1, 16].entries()) {
    const [h, f] = [warm.model.handler[i]!, warm.model.floor[i]!];
    const ratio = h.p50 / f.p50;
    lines.push(
      `| warm p50 at concurrency ${c} at most ${TARGETS.warmRatio} x floor, DynamoDB latency model (${warm.model.latencyMs} ms a request) | ${ratio.toFixed(2)} x (${ms(h.p50)} vs ${ms(f.p50)}) | ${verdict(ratio <= TARGETS.warmRatio)} |`,
    );
  }
  const cost = warm.cost.handler;
  lines.push(
    `| at most ${TARGETS.requestsPerCall} DynamoDB requests per placed call | ${warm.trips.requestsTotal} | ${verdict(warm.trips.requestsTotal <= TARGETS.requestsPerCall)} |`,
    `| at most ${TARGETS.billedKb} KB written per call: the items written, billed on the larger of before and after (the call item's size counts twice) | ${kb1(cost.tableBytes)} | ${verdict(cost.tableBytes <= TARGETS.billedKb * 1024)} |`,
    `| at most ${TARGETS.writeUnitsPerCall} write units per placed call, the table's and the index copies' | ${(cost.tableWcu + cost.indexWcu).toFixed(1)} (${cost.tableWcu.toFixed(1)} table, ${cost.indexWcu.toFixed(1)} indexes: ${indexUnits(cost)}); ${kb1(cost.indexBytes)} of index copies, ${kb1(billedBytes(cost))} billed in all, $${cost.dollarsPerMillion.toFixed(2)} per million calls | ${verdict(cost.tableWcu + cost.indexWcu <= TARGETS.writeUnitsPerCall)} |`,
  );
  lines.push(
    `| at most ${TARGETS.stagesBeforeGet} sequential DynamoDB round trips before the GET | ${warm.trips.stagesBeforeGet} | ${verdict(warm.trips.stagesBeforeGet <= TARGETS.stagesBeforeGet)} |`,
  );
  if (create) {
    lines.push(
      `| callsCreate at most ${TARGETS.gzipKb} KB gzip | ${kb(create.gzipBytes)} | ${verdict(create.gzipBytes <= TARGETS.gzipKb * 1024)} |`,
    );
    lines.push(
      `| callsCreate module load at most ${TARGETS.loadMs} ms | ${ms(create.loadMs)} | ${verdict(create.loadMs <= TARGETS.loadMs)} |`,
    );
  }
  const missedRatios = cold.filter((r) => r.ratio > r.target);
  lines.push(
    `| module load at most ${LOAD_RATIO_TARGETS.callsCreate} x the reference for callsCreate and hooks, ${DEFAULT_LOAD_RATIO_TARGET} x for the others | ${cold.length - missedRatios.length} of ${cold.length} functions hold` +
      `${missedRatios.length ? ` (missed: ${missedRatios.map((r) => `${r.fn} ${r.ratio.toFixed(2)} x`).join(', ')})` : ''} | ${verdict(missedRatios.length === 0)} |`,
  );
  // autocannon does not count requests still in flight at its deadline; the service still serves them. So: every
  // GET has its call recorded, every 201 counted is among them, no call dialled twice, no error.
  const best = stack
    .filter((r) => r.errors === 0 && r.non2xx === 0 && r.duplicateDials === 0 && r.recorded === r.dials && r.created <= r.recorded)
    .sort((a, b) => b.perSecond - a.perSecond)[0];
  lines.push(
    `| full stack at least ${TARGETS.stackPerSecond} requests/s, zero errors | ${best ? `${best.perSecond.toFixed(0)}/s at ${best.connections} connections` : 'no clean run'} | ${verdict(!!best && best.perSecond >= TARGETS.stackPerSecond)} |`,
    '',
  );

  lines.push(...analysis(cold, warm, stack, bound), '');

  lines.push(...renderColdStartSection(coldStart));

  lines.push(...renderSealSection(seal), '');

  lines.push('## Warm path: the call-request handler against the floor', '');
  lines.push(
    'The handler `functions/calls-create` invoked in-process (API Gateway v2 events), dynalite and the PBX simulator in another process. The floor: the same SDK and PBX clients doing only what a call request cannot avoid: read the agent, reserve the key (conditional put), the GET, record the answer (`bench/floor.ts`). "dynalite busy": the share of the run its process\'s event loop was busy (one thread serves every DynamoDB request); "bench process busy": the same for the process that runs the handler or the floor (all calls in flight share its one thread, where in AWS each would have a Lambda container of its own).',
    '',
  );
  lines.push(
    '| concurrency | handler p50 | handler p99 | handler calls/s | floor p50 | floor p99 | floor calls/s | p50 ratio | dynalite busy (handler / floor) | bench process busy (handler / floor) |',
    '|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const [i, h] of warm.handler.entries()) {
    const f = warm.floor[i]!;
    lines.push(
      `| ${h.concurrency} | ${ms(h.p50)} | ${ms(h.p99)} | ${h.perSecond.toFixed(0)} | ${ms(f.p50)} | ${ms(f.p99)} | ${f.perSecond.toFixed(0)} | ${(h.p50 / f.p50).toFixed(2)} | ${pct(h.dynaliteBusy)} / ${pct(f.dynaliteBusy)} | ${pct(h.benchBusy)} / ${pct(f.benchBusy)} |`,
    );
  }
  lines.push('');
  lines.push(
    "Where the difference goes: the same requests through the use case alone (`PlaceCall`, no HTTP parsing, no auth), with the caps as configured, and with the tenant's per-second and the destination's counters answering without a write (the agent's take, which also reads the agent, stays).",
    '',
  );
  lines.push('| concurrency | handler p50 | use case p50 | use case, counters off, p50 | floor p50 |', '|---|---|---|---|---|');
  for (const [i, h] of warm.handler.entries()) {
    lines.push(
      `| ${h.concurrency} | ${ms(h.p50)} | ${ms(warm.useCase[i]!.p50)} | ${ms(warm.useCaseNoCaps[i]!.p50)} | ${ms(warm.floor[i]!.p50)} |`,
    );
  }
  lines.push('');

  lines.push('## Warm path under a DynamoDB latency model', '');
  lines.push(
    `The same handler and floor, ${warm.model.requests} calls each, with every DynamoDB request of both delayed by ${warm.model.latencyMs} ms at the client (a middleware on the handler's client, the compose root's, and on the floor's: \`bench/dynamo-meter.ts\`), about what a GetItem or a single-item write takes in the Region from a Lambda function. Each request waits on its own timer, so the requests of a parallel stage overlap as DynamoDB serves them; dynalite's own time comes on top. Where dynalite is busy most of the run, its single thread still shapes the figure.`,
    '',
  );
  lines.push(
    '| concurrency | handler p50 | handler p99 | handler calls/s | floor p50 | floor p99 | floor calls/s | p50 ratio | dynalite busy (handler / floor) | bench process busy (handler / floor) |',
    '|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const [i, h] of warm.model.handler.entries()) {
    const f = warm.model.floor[i]!;
    lines.push(
      `| ${h.concurrency} | ${ms(h.p50)} | ${ms(h.p99)} | ${h.perSecond.toFixed(0)} | ${ms(f.p50)} | ${ms(f.p99)} | ${f.perSecond.toFixed(0)} | ${(h.p50 / f.p50).toFixed(2)} | ${pct(h.dynaliteBusy)} / ${pct(f.dynaliteBusy)} | ${pct(h.benchBusy)} / ${pct(f.benchBusy)} |`,
    );
  }
  lines.push('');

  lines.push(...renderConcurrencySection(concurrency));

  lines.push('## DynamoDB requests and bytes per call', '');
  lines.push(
    'Counted by a middleware on the SDK client (`finalizeRequest` step), not by reading the code. Requests in flight together are one stage. Bytes sent: JSON of the write requests.',
    '',
  );
  lines.push(
    '| path | stages before the GET | requests before the GET | stages in all | requests in all | bytes sent | sequence |',
    '|---|---|---|---|---|---|---|',
  );
  for (const [name, t] of [
    ['handler', warm.trips],
    ['floor', warm.floorTrips],
  ] as const) {
    lines.push(
      `| ${name} | ${t.stagesBeforeGet} | ${t.requestsBeforeGet} | ${t.stagesTotal} | ${t.requestsTotal} | ${t.bytesWritten} | ${t.commands} |`,
    );
  }
  lines.push('');
  lines.push(
    `What DynamoDB bills, mean of ${warm.cost.handler.calls} calls each: the same middleware reads every item a write touches just before and after it (consistent GetItem, in a pass of its own, untimed) and sizes it by DynamoDB's rules (attribute names and values; numbers by significant digits; lists and maps 3 bytes plus 1 per element). A write is billed on the larger of the item before and after (a delete: the item deleted; a refused condition: the item as it stands), 1 write unit per KB started; a transactional write twice. Each global secondary index of \`lib/store/table-schema.json\` whose keys the item carries before or after takes a copy: its projection (ALL: the item; KEYS_ONLY: the table's and the index's keys; INCLUDE: those and the included attributes), one write when the item enters, leaves or changes in the index, two when its index key changes, 1 write unit per KB started each. Reads: 1 read unit per 4 KB strongly consistent, half eventually consistent; a query per page of the items it read. Cost: ${ON_DEMAND_PRICES.basis}: $${ON_DEMAND_PRICES.writePerMillion} per million write request units, $${ON_DEMAND_PRICES.readPerMillion} per million read request units (storage and data transfer not included).`,
    '',
  );
  lines.push(
    '| path | requests | bytes sent | billed: items | billed: index copies | billed in all | write units, table | write units, indexes | read units | $ per million calls |',
    '|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const [name, c] of [
    ['handler', warm.cost.handler],
    ['floor', warm.cost.floor],
  ] as const) {
    lines.push(
      `| ${name} | ${c.requests.toFixed(1)} | ${c.bytesSent.toFixed(0)} | ${c.tableBytes.toFixed(0)} | ${c.indexBytes.toFixed(0)} | ${billedBytes(c).toFixed(0)} (${kb1(billedBytes(c))}) | ${c.tableWcu.toFixed(2)} | ${c.indexWcu.toFixed(2)} | ${c.rru.toFixed(2)} | $${c.dollarsPerMillion.toFixed(2)} |`,
    );
  }
  lines.push('');
  lines.push("The handler's writes, one call (the last measured): item is the sort key's prefix; bytes the size billed.", '');
  lines.push('| write | item | bytes | write units | index copies (index: kind bytes) |', '|---|---|---|---|---|');
  for (const w of warm.cost.handler.writes) {
    const copies = w.indexes.map((x) => `${x.index}: ${x.kind} ${x.bytes}`).join(', ');
    lines.push(`| ${w.command}${w.refused ? ' (refused)' : ''} | ${w.item} | ${w.bytes} | ${w.wcu} | ${copies || 'none'} |`);
  }
  lines.push('');

  lines.push('## Full local stack under load', '');
  lines.push(
    '`npm start`\'s stack (serverless-offline, dynalite, the simulator) and autocannon (in a process of its own), all on this machine; each request a new call. "201s": answers autocannon counted before its deadline (requests still in flight then are served but not counted); "GETs": dials the simulator received; "recorded": calls in the table in state `dialing` or later; "duplicate dials": GETs for a call id already dialled. A clean run: no error, every GET recorded, no duplicate. "DynamoDB requests/s": the requests dynalite received over autocannon\'s window, counted at its HTTP server (Node\'s `http.server.request.start` channel); "per call": its requests from the start of the run until the last call landed, over the GETs (the notification deliverer\'s pass over each call and the scheduler\'s polls included); "dynalite busy": the share of the window the event loop of its process (dynalite, the simulator, the pollers) was busy.',
    '',
  );
  lines.push(
    '| connections | seconds | requests | requests/s | p50 | p99 | errors | non-2xx | 201s | GETs | recorded | duplicate dials | DynamoDB requests/s | per call | dynalite busy |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const r of stack)
    lines.push(
      `| ${r.connections} | ${r.durationSec} | ${r.requests} | ${r.perSecond.toFixed(0)} | ${r.p50} ms | ${r.p99} ms | ${r.errors} | ${r.non2xx} | ${r.created} | ${r.dials} | ${r.recorded} | ${r.duplicateDials} | ${r.dynamoPerSecond.toFixed(0)} | ${r.dynamoPerCall.toFixed(1)} | ${pct(r.dynaliteBusy)} |`,
    );
  lines.push('');
  const boundCalls = boundCallsOf(bound);
  lines.push(
    `dynalite's bound, measured in the same run: once the stack is idle again, the call-request handler in a process of its own (\`bench/saturate.ts\`, the PBX answered at once, no simulator) places calls at concurrency ${bound.concurrency} for ${bound.durationSec} s against the same dynalite, while the stack's notification deliverer and scheduler poll as during the runs: the request mix of a placed call on this stack. The handler makes ${warm.trips.requestsTotal} requests a call (its trace above); the stack's own figure adds the deliverer's pass over each call's outbox entry (in AWS the notify function, on the table's stream) and the pollers.`,
    '',
  );
  lines.push('| what | measured |', '|---|---|');
  lines.push(
    `| dynalite's bound: DynamoDB requests/s at saturation | ${bound.requestsPerSecond.toFixed(0)} (dynalite busy ${pct(bound.dynaliteBusy)}) |`,
    `| requests per call in that mix | ${bound.requestsPerCall.toFixed(1)} (${mix(bound.operations)}) |`,
    `| calls/s bound: bound requests/s ÷ requests per call | ${boundCalls.toFixed(0)} |`,
  );
  for (const r of stack)
    lines.push(
      `| stack at ${r.connections} connections: calls/s; dynalite's requests/s | ${r.perSecond.toFixed(0)} (${pct(r.perSecond / boundCalls)} of the bound); ${r.dynamoPerSecond.toFixed(0)} (${pct(r.dynamoPerSecond / bound.requestsPerSecond)} of the bound; ${mix(r.operations)}) |`,
    );
  lines.push('');
  lines.push(...renderPartitionSection(scale.model), ...renderLoadSection(scale.load));
  return `${lines.join('\n')}\n`;
}

/** Where the misses come from, computed from this run's own figures. */
function analysis(cold: ColdStartRow[], warm: WarmResult, stack: FullStackRun[], bound: DynaliteBound): string[] {
  const out = ['## Where the time goes', ''];
  const [h1, f1, u1, n1] = [warm.handler[0]!, warm.floor[0]!, warm.useCase[0]!, warm.useCaseNoCaps[0]!];
  out.push(
    `- Warm path at concurrency 1: the handler takes ${ms(h1.p50)} against the floor's ${ms(f1.p50)}. Of the ${ms(h1.p50 - f1.p50)} between them, ` +
      `the HTTP layer (event parsing, API-key check from the container cache, zod, problem mapping, the response) costs ${ms(h1.p50 - u1.p50)}, ` +
      `the tenant's and the destination's counters ${ms(u1.p50 - n1.p50)}, and the rest of the use case over the floor ${ms(n1.p50 - f1.p50)} (number parsing and policy, ` +
      `the requests the floor does not make, the larger item with its index keys).`,
    `- DynamoDB requests per call: ${warm.trips.requestsTotal} for the handler (${warm.trips.commands}) against ${warm.floorTrips.requestsTotal} for the floor. ` +
      `They run in ${warm.trips.stagesBeforeGet} sequential stages before the GET (the floor: ${warm.floorTrips.stagesBeforeGet}); but dynalite is one Node.js process ` +
      `that serves the parallel writes of a stage one after the other, so here a stage costs the sum of its requests, where DynamoDB would cost ` +
      `about the slowest one. On this server the floor's ratio is bounded by the request count, not by the number of round trips; the latency model below weighs the round trips.`,
  );
  const [hm1, fm1, hm16, fm16] = [warm.model.handler[0]!, warm.model.floor[0]!, warm.model.handler[1]!, warm.model.floor[1]!];
  const cost = warm.cost.handler;
  const heaviest = [...cost.writes].sort((a, b) => b.bytes + sumBytes(b) - (a.bytes + sumBytes(a)))[0];
  out.push(
    `- Under the latency model (${warm.model.latencyMs} ms a request): ${ms(hm1.p50)} against the floor's ${ms(fm1.p50)} at concurrency 1 ` +
      `(${(hm1.p50 / fm1.p50).toFixed(2)} x), ${ms(hm16.p50)} against ${ms(fm16.p50)} at 16 (${(hm16.p50 / fm16.p50).toFixed(2)} x). ` +
      `The model charges each sequential stage one delay: the handler has ${warm.trips.stagesTotal} stages, the floor ${warm.floorTrips.stagesTotal}. ` +
      `At concurrency 16 dynalite was busy ${pct(hm16.dynaliteBusy)} of the handler's run (the floor's: ${pct(fm16.dynaliteBusy)}) and the bench process ` +
      `${pct(hm16.benchBusy)} (${pct(fm16.benchBusy)})` +
      (hm16.dynaliteBusy > 0.8
        ? `: dynalite's one thread, not the model, sets the handler's figure there, and the ratio tracks the request count (${warm.trips.requestsTotal} against ${warm.floorTrips.requestsTotal}).`
        : hm16.benchBusy > 0.8
          ? `: the handler's own CPU, 16 calls on one thread, sets its figure there (in AWS each call would have a container of its own): ` +
            `${ms(hm16.benchMsPerCall)} of the bench process's time per call against the floor's ${ms(fm16.benchMsPerCall)}.`
          : '.'),
    `- Billed per call: ${kb1(billedBytes(cost))} written (items ${kb1(cost.tableBytes)}, index copies ${kb1(cost.indexBytes)}), ` +
      `${(cost.tableWcu + cost.indexWcu).toFixed(1)} write units (${cost.tableWcu.toFixed(1)} table, ${cost.indexWcu.toFixed(1)} indexes) and ${cost.rru.toFixed(1)} read units: ` +
      `$${cost.dollarsPerMillion.toFixed(2)} per million calls, against the floor's $${warm.cost.floor.dollarsPerMillion.toFixed(2)}.` +
      (heaviest
        ? ` The heaviest write: ${heaviest.command} of the ${heaviest.item} item, ${heaviest.bytes} bytes and ${heaviest.indexes.length} index ${heaviest.indexes.length === 1 ? 'copy' : 'copies'} (${sumBytes(heaviest)} bytes).`
        : ''),
  );
  const create = cold.find((r) => r.fn === 'callsCreate');
  if (create) {
    out.push(
      `- Module load of callsCreate: ${ms(create.loadMs)} with source maps, ${ms(create.loadMsNoMaps)} without. Most of it is V8 compiling ` +
        `${kb(create.rawBytes)} of bundle: the AWS SDK v3 DynamoDB client and its credential chain, zod, libphonenumber-js with the full metadata's patterns ` +
        `(what "valid for its country" and the premium-rate check need; its formatting rules left out, "Phone-number metadata" below). Tried: the namespace import of zod (bundle -68 KB gzip, by keeping zod's ` +
        `locales out), dropping esbuild's keepNames (about -30 ms).`,
    );
  }
  const best = [...stack].sort((a, b) => b.perSecond - a.perSecond)[0];
  if (best) {
    const boundCalls = boundCallsOf(bound);
    out.push(
      `- Full stack: ${best.perSecond.toFixed(0)} requests/s at ${best.connections} connections, every call placed once and recorded, with dynalite serving ` +
        `${best.dynamoPerSecond.toFixed(0)} DynamoDB requests/s (busy ${pct(best.dynaliteBusy)}). Saturated with the same mix, dynalite serves ` +
        `${bound.requestsPerSecond.toFixed(0)} requests/s: ${boundCalls.toFixed(0)} calls/s at ${bound.requestsPerCall.toFixed(1)} requests a call (the handler's ${warm.trips.requestsTotal}, the notification deliverer's and the pollers'), so the stack reaches ` +
        `${pct(best.perSecond / boundCalls)} of the bound the embedded database sets. The three processes (serverless-offline with the handlers in-process, ` +
        `dynalite with the simulator, autocannon) share 2 cores. Tried: handlers in-process in serverless-offline (otherwise it starts a worker ` +
        `thread, which loads the bundle anew, for each concurrent request), autocannon in its own process.`,
    );
  }
  return out;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
