/**
 * The partition model (`npm run bench -- --only partition-model`, or `npx tsx bench/partition-model.ts [--quick]
 * [--write] [--json]`): runs every kind of call's life against dynalite with the bench meter (bench/partition-flows.ts),
 * lists every key of the table and its indexes they touch, with fan-in, units per call and the ceiling each puts on
 * the whole service, one tenant and one team (bench/partition-keys.ts), checks the meter's counts against dynalite's,
 * and renders the section of BENCHMARKS.md.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { KINDS, runFlows, type FlowResult } from './partition-flows';
import {
  ceilingFor,
  classify,
  containerLoads,
  FAN_INS,
  keyLoads,
  lowestCeilings,
  PARTITION_LIMITS,
  type ContainerLoad,
  type KeyLoad,
  type Touch,
} from './partition-keys';
import { editBenchmarks, replaceSection, runAndExit } from './sections';

export const PARTITION_HEADING = '## Partition model: which keys bound the service';

export const PARTITION_TARGETS = { service: 100_000, tenant: 1_000, team: 100 } as const;

export interface PollLoad {
  index: string;
  unit: string;
  rcu: number;
  wcu: number;
}

export interface PartitionModel {
  callsPerKind: number;
  tenants: number;
  loads: KeyLoad[];
  /** Touches a container's cache spares most calls: their load grows with containers, not calls. */
  containers: ContainerLoad[];
  polls: PollLoad[];
  lives: FlowResult['lives'];
  check: {
    namings: number;
    differing: number;
    requestsMeter: number;
    requestsDynalite: number;
    operations: Array<[string, number, number]>;
  };
  seconds: number;
}

export async function measurePartitionModel(options: { callsPerKind: number; tenants: number }): Promise<PartitionModel> {
  const started = Date.now();
  const result = await runFlows(options);
  const loads = keyLoads(result.runs, result.ids, { cacheIntervalMs: result.cacheIntervalMs });
  const namings = new Set([...result.check.meter.keys(), ...result.check.dynalite.keys()]);
  const differing = [...namings].filter((k) => result.check.meter.get(k) !== result.check.dynalite.get(k)).length;
  const ops = new Set([...Object.keys(result.check.meterOps), ...Object.keys(result.check.dynaliteOps)]);
  const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
  return {
    ...options,
    loads,
    containers: containerLoads(result.runs, result.ids, result.cacheIntervalMs),
    polls: meanPoll(result.polls).map((p) => ({ ...p, unit: classify(p.unit, result.ids).template })),
    lives: result.lives,
    check: {
      namings: namings.size,
      differing,
      requestsMeter: sum(result.check.meterOps),
      requestsDynalite: sum(result.check.dynaliteOps),
      operations: [...ops].sort().map((op) => [op, result.check.meterOps[op] ?? 0, result.check.dynaliteOps[op] ?? 0]),
    },
    seconds: (Date.now() - started) / 1000,
  };
}

/** An idle poll of the scheduler, key by key: the mean over the polls measured. */
function meanPoll(polls: Touch[][]): PollLoad[] {
  const by = new Map<string, PollLoad>();
  for (const poll of polls)
    for (const t of poll) {
      const k = `${t.index} ${t.unit}`;
      const p = by.get(k) ?? { index: t.index, unit: t.unit, rcu: 0, wcu: 0 };
      p.rcu += t.rcu / polls.length;
      p.wcu += t.wcu / polls.length;
      by.set(k, p);
    }
  return [...by.values()];
}

const verdict = (ok: boolean) => (ok ? 'holds' : '**missed**');
const calls = (n: number) => (Number.isFinite(n) ? `${Math.floor(n).toLocaleString('en-US')} calls/s` : 'unbounded');
const units = (n: number) => (n === 0 ? '0' : n < 0.1 ? n.toFixed(2) : n.toFixed(1));
/** A key in a table cell: a code span, its `|` escaped (GFM splits cells on it even inside code). */
const code = (s: string) => `\`${s.replace(/\|/g, '\\|')}\``;

/** The kind whose calls load a key most, with its units per call and where they come from (stage: units). */
function whatSets(l: KeyLoad, kind = l.setBy): string {
  const k = l.perKind[kind];
  if (!k) return '';
  const limited = k.wcu / PARTITION_LIMITS.wcu >= k.rcu / PARTITION_LIMITS.rcu ? 'wcu' : 'rcu';
  const stages = Object.entries(l.byStage[kind] ?? {})
    .filter(([, u]) => u[limited] > 0)
    .sort((a, b) => b[1][limited] - a[1][limited])
    .map(([stage, u]) => `${stage} ${units(u[limited])}`)
    .join(', ');
  return `${kind} calls: ${units(k[limited])} ${limited === 'wcu' ? 'write' : 'read'} units a call at most (the mean by stage: ${stages})`;
}

export function renderPartitionSection(m: PartitionModel): string[] {
  const lines = [PARTITION_HEADING, ''];
  lines.push(
    `\`bench/partition-model.ts\` runs ${m.callsPerKind} calls of each kind (${KINDS.join(', ')}: a call to a named agent now, a team call with a member free, ` +
      'a call scheduled 1.5 s ahead and dialled by the scheduler, a team call queued while its only member is away and dialled once the member is back, ' +
      `a call from a webhook source) over ${m.tenants} tenants, one at a time, against dynalite, each through its whole life: the request, the scheduler's pass ` +
      "where it waits, the PBX simulator's Call Start, Answer and End to the pbx-events handler over HTTP, and after each of those stages the notifier's pass " +
      "(as the table's stream invokes it) delivering to the tenant's callback and logging the call in HubSpot (the stand-in, `local/crm-fakes/hubspot.ts`). " +
      "The handlers and use cases are the compose root's, with the bench meter on its client (`bench/dynamo-meter.ts`): every request's keys, and for every " +
      'write the items before and after it, so each index copy it changed (its partition key, its units). ' +
      `DynamoDB's documented limits per partition: ${PARTITION_LIMITS.wcu.toLocaleString('en-US')} write units and ${PARTITION_LIMITS.rcu.toLocaleString('en-US')} ` +
      'read units a second. A hot key splits by sort key, down to one item, except where its sort keys are time-ordered (every new item lands at the same end): ' +
      "so the unit of heat is the item, or for a time-ordered sort key the partition key and its sort keys' prefix (`{time}`), or a key without a sort key. " +
      "A key's fan-in is read from the ids it holds (`bench/partition-keys.ts`): none, shared by all tenants; else the narrowest of a tenant's (its id, its API " +
      "key's hash), a team's, an agent's (id, extension, email), a lead's, a number's (E.164, its do-not-call hash) or a call's (id, PBX unique id). " +
      "Units per call: the most one call of the kind put on the key, over the shards a sharded key spreads one tenant's calls across (`{n}`: the most seen " +
      "for one tenant); a touch a container's cache spares most calls (the work directory's marker refresh, the copy of a key's or a PBX events URL's tenant) " +
      "is a container's, not a call's: its own table below. The ceiling: the limit " +
      'over those units for the kind that loads the key most. A key bounds the whole service if all tenants share it, one tenant if it is shared by all or by ' +
      "the tenant's calls, one team if the team's calls (team and queued kinds) share it. The scheduler's idle polls are counted per poll, not per call (below). " +
      'Run this section alone with `npm run bench -- --only partition-model`.',
    '',
  );

  const scopes = (['service', 'tenant', 'team'] as const).map((scope) => ({ scope, lowest: lowestCeilings(m.loads, scope, 3) }));
  const ceilingOf = (scope: 'service' | 'tenant' | 'team') => scopes.find((s) => s.scope === scope)!.lowest[0]?.scopes[scope] ?? Infinity;
  const shared = m.loads.filter((l) => l.fanIn === 'all tenants');
  const routing = m.loads.filter((l) => l.fanIn === 'one team').reduce((min, l) => Math.min(min, l.scopes.team), Infinity);
  const { lives } = m;
  lines.push('| target | by the model | verdict |', '|---|---|---|');
  lines.push(
    `| whole service at least ${PARTITION_TARGETS.service.toLocaleString('en-US')} calls/s: no key shared by all tenants on any call's path | ` +
      `${shared.length === 0 ? 'no key shared by all tenants' : `${shared.length} shared: ${shared.map((l) => code(l.template)).join(', ')}`}; ${calls(ceilingOf('service'))} | ${verdict(ceilingOf('service') >= PARTITION_TARGETS.service)} |`,
    `| one tenant at least ${PARTITION_TARGETS.tenant.toLocaleString('en-US')} calls/s | ${calls(ceilingOf('tenant'))} (${code(scopes[1]!.lowest[0]?.template ?? '-')}, ${scopes[1]!.lowest[0]?.index ?? ''}) | ${verdict(ceilingOf('tenant') >= PARTITION_TARGETS.tenant)} |`,
    `| one team at least ${PARTITION_TARGETS.team.toLocaleString('en-US')} calls/s, every key a team's calls touch (its own and its tenant's) | ${calls(ceilingOf('team'))} (${code(scopes[2]!.lowest[0]?.template ?? '-')}, ${scopes[2]!.lowest[0]?.index ?? ''}) | ${verdict(ceilingOf('team') >= PARTITION_TARGETS.team)} |`,
    `| one team's routing at least ${PARTITION_TARGETS.team.toLocaleString('en-US')} calls/s: the keys only a team shares | ${calls(routing)} | ${verdict(routing >= PARTITION_TARGETS.team)} |`,
    `| the meter's counts equal dynalite's | ${m.check.requestsMeter} requests metered, ${m.check.requestsDynalite} at dynalite; ${m.check.namings} keys named, ${m.check.differing} counted differently | ${verdict(m.check.differing === 0 && m.check.requestsMeter === m.check.requestsDynalite)} |`,
    `| every call's life played out: final state, dialled once, its notification delivered, its call logged | ${lives.calls} calls: ${lives.final} completed, ${lives.dialledOnce} dialled once, ${lives.notified} notified, ${lives.logged} logged in HubSpot | ${verdict(lives.final === lives.calls && lives.dialledOnce === lives.calls && lives.notified === lives.calls && lives.logged === lives.calls)} |`,
    '',
  );

  lines.push('The three lowest ceilings of each scope, and what sets them:', '');
  lines.push('| scope | key | index | fan-in | ceiling | what sets it |', '|---|---|---|---|---|---|');
  for (const { scope, lowest } of scopes) {
    if (lowest.length === 0) lines.push(`| ${scope === 'service' ? 'whole service' : `one ${scope}`} | none bounds it | | | unbounded | |`);
    for (const l of lowest)
      lines.push(
        `| ${scope === 'service' ? 'whole service' : `one ${scope}`} | ${code(l.template)} | ${l.index} | ${l.fanIn} | ${calls(l.scopes[scope])} | ${whatSets(l, scope === 'team' ? teamKind(l) : l.setBy)} |`,
      );
  }
  lines.push('');

  lines.push(
    "Every key, widest fan-in first. Units: per call of each kind on one instance of the key (write / read units); ceiling: calls a second one instance takes, set by the kind that loads it most; bounds: the scopes it caps. Stages: `request` (the API or webhook handler), `dispatch` (the scheduler's pass that dials a waiting call, less an idle poll), `pbx-event`, `notify`.",
    '',
  );
  lines.push(
    `| index | key | fan-in | shards | stages | ${KINDS.join(' | ')} | ceiling | bounds |`,
    `|---|---|---|---|---|${KINDS.map(() => '---|').join('')}---|---|`,
  );
  const sorted = [...m.loads].sort(
    (a, b) => FAN_INS.indexOf(a.fanIn) - FAN_INS.indexOf(b.fanIn) || a.ceiling - b.ceiling || a.template.localeCompare(b.template),
  );
  for (const l of sorted) {
    const perKind = KINDS.map((k) => (l.perKind[k] ? `${units(l.perKind[k].wcu)} / ${units(l.perKind[k].rcu)}` : ''));
    const bounds = (['service', 'tenant', 'team'] as const).filter((s) => Number.isFinite(l.scopes[s])).join(', ') || 'none';
    lines.push(
      `| ${l.index} | ${code(l.template)} | ${l.fanIn} | ${l.spread} | ${l.stages.join(', ')} | ${perKind.join(' | ')} | ${l.setBy ? `${calls(l.ceiling)} (${l.setBy})` : "a container's: below"} | ${bounds} |`,
    );
  }
  lines.push('');

  lines.push(...renderContainerLoads(m.containers));

  lines.push(
    `The scheduler's idle poll (every 2 s in AWS, a pass that finds nothing due), per poll: it lists the work directory's buckets. Read units per poll, and the polls a second each key takes.`,
    '',
  );
  lines.push('| index | key | read units a poll, per key | polls/s it takes |', '|---|---|---|---|');
  const polls = [...m.polls].sort((a, b) => b.rcu - a.rcu || a.unit.localeCompare(b.unit));
  const byTemplate = new Map<string, { index: string; unit: string; rcu: number; count: number }>();
  for (const p of polls) {
    const template = `${p.index} ${p.unit}`;
    const t = byTemplate.get(template) ?? { index: p.index, unit: p.unit, rcu: 0, count: 0 };
    t.rcu = Math.max(t.rcu, p.rcu);
    t.count++;
    byTemplate.set(template, t);
  }
  for (const t of byTemplate.values())
    lines.push(
      `| ${t.index} | ${code(t.unit)} (${t.count} seen) | ${units(t.rcu)} | ${Math.floor(PARTITION_LIMITS.rcu / Math.max(t.rcu, 1e-9)).toLocaleString('en-US')} |`,
    );
  lines.push('');

  lines.push(
    `The check against dynalite: every request dynalite received in the run (counted at its HTTP server from the request's own body, \`bench/dynalite-keys.ts\`, the meter's own reads and the seeding left out) against the meter's, by operation; then every key named (operation's access, table or index, partition and sort key): ${m.check.namings} keys, ${m.check.differing} counted differently. Run time: ${m.seconds.toFixed(0)} s.`,
    '',
  );
  lines.push('| operation | meter | dynalite |', '|---|---|---|');
  for (const [op, meter, dynalite] of m.check.operations) lines.push(`| ${op} | ${meter} | ${dynalite} |`);
  lines.push('');
  return lines;
}

/**
 * The container's touches: told apart by the run itself (bench/partition-keys.ts `containerTouchIds`): calls of the
 * kind went through the stage without them, and those that paid were no more than one per lifetime of the cache per
 * instance. Their load on a key is the containers that serve its tenant, one touch each per lifetime.
 */
function renderContainerLoads(loads: ContainerLoad[]): string[] {
  if (loads.length === 0) return [];
  const interval = (loads[0]!.intervalMs / 1000).toFixed(0);
  const lines = [
    `Once per container, not per call: touches that some calls of a kind paid and the others, later in the same process, did not, no more often than once per instance of the key every ${interval} s (the shortest lifetime of the containers' caches: \`WORK_REFRESH_MS\`, \`AUTH_CACHE_TTL_MS\`). They are the work directory's marker refresh, the copies of a key's or a PBX events URL's tenant, and the reset of the waiting count's returned slots when a due marker starts a new count (once per marker's life, rarer still). Their load grows with the containers that serve a tenant, not with its calls: "containers" is how many, each touching the key once every ${interval} s, the partition's limit allows.`,
    '',
    '| index | key | fan-in | kind | stage | calls that paid it | units each time (write / read) | containers the key takes |',
    '|---|---|---|---|---|---|---|---|',
  ];
  const sorted = [...loads].sort(
    (a, b) => a.containers - b.containers || a.template.localeCompare(b.template) || a.kind.localeCompare(b.kind),
  );
  for (const l of sorted)
    lines.push(
      `| ${l.index} | ${code(l.template)} | ${l.fanIn} | ${l.kind} | ${l.stage} | ${l.payers} of ${l.calls} | ${units(l.wcu)} / ${units(l.rcu)} | ${Math.floor(l.containers).toLocaleString('en-US')} |`,
    );
  lines.push('');
  return lines;
}

/** The team kind (team, queued) that loads a key most. */
function teamKind(l: KeyLoad): string {
  const kinds = ['team', 'queued'].filter((k) => l.perKind[k]);
  return kinds.sort((a, b) => ceilingFor(l.perKind[a]!) - ceilingFor(l.perKind[b]!))[0] ?? l.setBy;
}

/** The model as JSON (Infinity as null): what the load test reads to rank its keys. */
export const modelJson = (m: PartitionModel) => JSON.stringify(m, (_k, v: unknown) => (v === Infinity ? null : v));
export const parseModel = (text: string) =>
  JSON.parse(text, (k, v: unknown) =>
    v === null && ['service', 'tenant', 'team', 'ceiling'].includes(k) ? Infinity : v,
  ) as PartitionModel;

export const ROOT = path.resolve(__dirname, '..');

/**
 * The model measured in a process of its own (its handlers bind the compose root to its own dynalite, which the
 * warm path's would otherwise share), written as JSON to `file`; `--only partition-model` runs it with `write`.
 */
export async function partitionModelInChild(options: { quick: boolean; file: string; write?: boolean }): Promise<PartitionModel> {
  await promisify(execFile)(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(__dirname, 'partition-model.ts'),
      '--json',
      options.file,
      ...(options.quick ? ['--quick'] : []),
      ...(options.write ? ['--write'] : []),
    ],
    { env: { ...process.env, NODE_NO_WARNINGS: '1' }, maxBuffer: 64 * 1024 * 1024 },
  );
  return parseModel(readFileSync(options.file, 'utf8'));
}

/** A scratch file for a section's results. */
export const scratchFile = (name: string) => path.join(os.tmpdir(), `c2c-${name}-${process.pid}-${Date.now()}.json`);

async function main() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      write: { type: 'boolean', default: false },
      json: { type: 'string' },
    },
  });
  const model = await measurePartitionModel({ callsPerKind: values.quick ? 3 : 16, tenants: 2 });
  const section = renderPartitionSection(model);
  if (values.json) writeFileSync(values.json, modelJson(model));
  console.log(section.join('\n'));
  if (values.write) {
    editBenchmarks((markdown) => replaceSection(markdown, PARTITION_HEADING, section));
  }
}

if (require.main === module) runAndExit(main);
