/**
 * The partition model's pure parts (bench/partition-model.ts runs the flows): which table or index partition a request
 * reaches, what unit of heat a key is (DynamoDB splits a hot partition by sort key, except where the sort keys are
 * time-ordered: every new write then lands at the same end), who shares it (its fan-in, from the ids it holds) and the
 * ceiling in calls a second it puts under DynamoDB's per-partition limits.
 */

/** DynamoDB's documented limits per partition: 1,000 write units and 3,000 read units a second. */
export const PARTITION_LIMITS = { wcu: 1000, rcu: 3000 } as const;

/** Who writes or reads a key, widest first: it is shared by every call of that scope. */
export const FAN_INS = ['all tenants', 'one tenant', 'one team', 'one agent', 'one lead', 'one number', 'one call'] as const;
export type FanIn = (typeof FAN_INS)[number];

/** The ids of the calls a run made, by what they name; a key holding one of them is that narrow. */
export interface Ids {
  tenant: Iterable<string>;
  team: Iterable<string>;
  agent: Iterable<string>;
  lead: Iterable<string>;
  number: Iterable<string>;
  call: Iterable<string>;
}

/** The placeholder each kind of id becomes in a key's template, narrowest first (a segment is replaced by the first kind that holds it). */
const PLACEHOLDERS: Array<[keyof Ids, FanIn]> = [
  ['call', 'one call'],
  ['number', 'one number'],
  ['lead', 'one lead'],
  ['agent', 'one agent'],
  ['team', 'one team'],
  ['tenant', 'one tenant'],
];

// ---------------------------------------------------------------------------------------------------------------
// Which partitions a request reaches, from its wire body (what dynalite receives and the meter sees).

export interface KeySchemaLike {
  keys: string[];
  indexes: Array<{ name: string; keys: string[] }>;
}

export interface RequestTarget {
  access: 'read' | 'write';
  /** `table`, or the index a query reads. */
  index: string;
  pk: string;
  /** The sort key of an item; for a query, the sort-key prefix or bound it asked for (none: the whole partition). */
  sk?: string;
}

type Wire = Record<string, unknown>;
type WireItem = Record<string, { S?: string } & Record<string, unknown>>;

const valueText = (v: ({ S?: string } & Record<string, unknown>) | undefined) => (v === undefined ? undefined : (v.S ?? JSON.stringify(v)));

function itemTarget(access: RequestTarget['access'], item: WireItem, keys: string[], index = 'table'): RequestTarget {
  const pk = valueText(item[keys[0]!]) ?? '';
  const sk = keys[1] === undefined ? undefined : valueText(item[keys[1]]);
  return sk === undefined ? { access, index, pk } : { access, index, pk, sk };
}

/** A query's partition key and sort-key condition, read from its KeyConditionExpression. */
function queryTarget(body: Wire, schema: KeySchemaLike): RequestTarget {
  const indexName = typeof body.IndexName === 'string' ? body.IndexName : undefined;
  const keys = indexName === undefined ? schema.keys : (schema.indexes.find((i) => i.name === indexName)?.keys ?? []);
  const names = (body.ExpressionAttributeNames ?? {}) as Record<string, string>;
  const values = (body.ExpressionAttributeValues ?? {}) as WireItem;
  const condition = typeof body.KeyConditionExpression === 'string' ? body.KeyConditionExpression : '';
  const attr = (token: string) => names[token] ?? token;
  let pk = '';
  let sk: string | undefined;
  for (const clause of condition.split(/\s+AND\s+(?![^(]*\))/i)) {
    const begins = /^\s*begins_with\(\s*([#\w]+)\s*,\s*(:\w+)\s*\)\s*$/i.exec(clause);
    const between = /^\s*([#\w]+)\s+BETWEEN\s+(:\w+)\s*$/i.exec(clause);
    const compare = /^\s*([#\w]+)\s*(=|<=|>=|<|>)\s*(:\w+)\s*$/.exec(clause);
    const [name, token] = begins
      ? [begins[1]!, begins[2]!]
      : between
        ? [between[1]!, between[2]!]
        : compare
          ? [compare[1]!, compare[3]!]
          : ['', ''];
    if (!name) continue;
    const value = valueText(values[token]) ?? '';
    if (attr(name) === keys[0] && compare?.[2] === '=') pk = value;
    else if (attr(name) === keys[1]) sk = value;
  }
  return sk === undefined ? { access: 'read', index: indexName ?? 'table', pk } : { access: 'read', index: indexName ?? 'table', pk, sk };
}

/** The partitions one request reaches: its items (writes and reads by key), or the partition a query reads (a scan: `*`). */
export function requestTargets(operation: string, body: Wire, schema: KeySchemaLike): RequestTarget[] {
  const table = schema.keys;
  switch (operation) {
    case 'PutItem':
      return [itemTarget('write', body.Item as WireItem, table)];
    case 'UpdateItem':
    case 'DeleteItem':
      return [itemTarget('write', body.Key as WireItem, table)];
    case 'GetItem':
      return [itemTarget('read', body.Key as WireItem, table)];
    case 'BatchGetItem':
      return Object.values(body.RequestItems as Record<string, { Keys: WireItem[] }>).flatMap((spec) =>
        spec.Keys.map((k) => itemTarget('read', k, table)),
      );
    case 'BatchWriteItem':
      return Object.values(
        body.RequestItems as Record<string, Array<{ PutRequest?: { Item: WireItem }; DeleteRequest?: { Key: WireItem } }>>,
      )
        .flat()
        .map((r) => itemTarget('write', r.PutRequest ? r.PutRequest.Item : r.DeleteRequest!.Key, table));
    case 'TransactWriteItems':
      return (body.TransactItems as Array<Record<string, { Item?: WireItem; Key?: WireItem }>>).map((member) => {
        const spec = Object.values(member)[0]!;
        return itemTarget('write', spec.Item ?? spec.Key!, table);
      });
    case 'TransactGetItems':
      return (body.TransactItems as Array<{ Get: { Key: WireItem } }>).map((m) => itemTarget('read', m.Get.Key, table));
    case 'Query':
      return [queryTarget(body, schema)];
    case 'Scan':
      return [{ access: 'read', index: typeof body.IndexName === 'string' ? body.IndexName : 'table', pk: '*' }];
    default:
      return [];
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Units of heat, their templates and fan-in.

/** An ISO timestamp or an epoch number (seconds or milliseconds) in a key segment: the key is time-ordered from there. */
const TIME_SEGMENT = /^(\d{4}-\d{2}-\d{2}T[\d:.]+Z?|\d{10}|\d{13})$/;
const SEPARATORS = /([#:])/;

/**
 * The unit of heat a key falls in. Without a sort key: its partition key. With a sort key that is time-ordered (a
 * timestamp segment: every new item sorts after the last, so a split for heat leaves all new writes on one side), the
 * partition key and the sort key's part before the time: every write of that family lands on one partition. With any
 * other sort key DynamoDB splits a hot key's items by sort key, down to one item: the unit is the item. A query reads
 * the range it names (a prefix), or the whole partition.
 */
export function heatUnit(target: { pk: string; sk?: string; range?: boolean }): string {
  if (target.sk === undefined) return target.range ? `${target.pk} | *` : target.pk;
  const parts = target.sk.split(SEPARATORS);
  const time = parts.findIndex((p) => TIME_SEGMENT.test(p));
  if (time >= 0) return `${target.pk} | ${parts.slice(0, time).join('')}{time}`;
  return target.range ? `${target.pk} | ${target.sk}*` : `${target.pk} | ${target.sk}`;
}

export interface Classified {
  /** The unit with its ids as placeholders: `TENANT#{tenant} | AGENTLOCK#{agent}`. */
  template: string;
  fanIn: FanIn;
  /** The shard or bucket number a key holds (a small number segment, `{n}` in the template), if any. */
  shard?: string;
  /** The unit with its ids kept and only its shard number as `{n}`: the instances one family of calls spreads over. */
  family: string;
}

/** The unit's template and fan-in: each `#`- or `:`-separated segment that is a known id becomes its placeholder; the narrowest id decides. */
export function classify(unit: string, ids: Ids): Classified {
  const sets = PLACEHOLDERS.map(([kind, fanIn]) => ({ kind, fanIn, values: new Set(ids[kind]) }));
  let narrowest = FAN_INS.indexOf('all tenants');
  let shard: string | undefined;
  const segments = unit.split(/( \| |[#:])/).map((segment) => {
    const hit = sets.find((s) => s.values.has(segment));
    if (hit) {
      narrowest = Math.max(narrowest, FAN_INS.indexOf(hit.fanIn));
      return { segment, as: `{${hit.kind}}` };
    }
    if (/^\d{1,3}$/.test(segment)) {
      shard = segment;
      return { segment: '{n}', as: '{n}' };
    }
    return { segment, as: segment };
  });
  const template = segments.map((s) => s.as).join('');
  const family = segments.map((s) => s.segment).join('');
  const fanIn = FAN_INS[narrowest]!;
  return shard === undefined ? { template, fanIn, family } : { template, fanIn, shard, family };
}

// ---------------------------------------------------------------------------------------------------------------
// Load per call and the ceilings it sets.

/** What one call put on one unit of heat, in one stage of its life. */
export interface Touch {
  unit: string;
  /** `table` or an index. */
  index: string;
  stage: string;
  wcu: number;
  rcu: number;
  /** Requests that name the unit's key (a write to an index copy is no request of its own). */
  requests: number;
  /** Those of them that write. */
  writes: number;
}

/** The calls of one kind (`immediate`, `scheduled`...), each with what it touched. */
export interface KindRun {
  kind: string;
  /** Whether the kind routes through a team (the team's ceiling is read on these). */
  team: boolean;
  calls: Touch[][];
  /** How long the kind's calls took, one after the other, in this process (what a container's cache spans). */
  seconds?: number;
}

/**
 * A touch a container makes at most once per its cache's lifetime, not once per call: the work directory's marker
 * refresh, a copy of the tenant. Its load on the key grows with the containers that serve the tenant, not with its
 * calls: the limit allows `containers` of them refreshing at once every lifetime.
 */
export interface ContainerLoad {
  index: string;
  template: string;
  fanIn: FanIn;
  kind: string;
  stage: string;
  /** Calls of the kind that paid it, of those whose life went through the stage. */
  payers: number;
  calls: number;
  /** Units each time it is paid (the most seen). */
  wcu: number;
  rcu: number;
  /** Containers the partition limit allows, each paying it once per `intervalMs`. */
  containers: number;
  intervalMs: number;
}

export interface KeyLoad {
  index: string;
  template: string;
  fanIn: FanIn;
  /** Instances one family of calls spreads over: the most shards of one key (same ids) seen in the run; 1 unsharded. */
  spread: number;
  stages: string[];
  /** Per kind: the most one call put on one instance (a call's units on the template over the spread), and the mean requests. */
  perKind: Record<string, { wcu: number; rcu: number; requests: number; writes: number }>;
  /** Per kind and stage: the mean units one call put on one instance. */
  byStage: Record<string, Record<string, { wcu: number; rcu: number }>>;
  /** Calls a second one instance takes, from the kind that loads it most; and that kind. */
  ceiling: number;
  setBy: string;
  /** The ceiling the key puts on the whole service, one tenant, one team (Infinity: it does not bound that scope). */
  scopes: { service: number; tenant: number; team: number };
}

const SCOPE_OF: Record<FanIn, Array<keyof KeyLoad['scopes']>> = {
  'all tenants': ['service', 'tenant', 'team'],
  'one tenant': ['tenant', 'team'],
  'one team': ['team'],
  'one agent': [],
  'one lead': [],
  'one number': [],
  'one call': [],
};

/**
 * Every key the runs touched, with its load per call and ceilings. A call's units on a template are summed over the
 * instances it touched; per instance they are the most any call of the kind put, divided by the spread of a sharded key
 * (its calls spread evenly over its shards). With `cacheIntervalMs`, a touch a container's cache spares most calls
 * (containerTouchIds) puts no units per call: it is a container's, in containerLoads; requests and writes still count it. The ceiling: the limit over those units, for the kind that loads the key most; the
 * team scope reads only the kinds that route through a team.
 */
/**
 * Which touches of a kind's run a container's cache spared some calls (`<index> <template> <stage>`): some calls of the
 * kind went through the stage without them, and the calls that paid them are no more than one a lifetime per instance of
 * the key (and one more for the start) over the kind's run. A touch that every call of the stage pays is the call's.
 */
export function containerTouchIds(run: KindRun, ids: Ids, intervalMs: number): Set<string> {
  if (run.seconds === undefined) return new Set();
  const through = new Map<string, number>();
  const payers = new Map<string, number>();
  const instances = new Map<string, Set<string>>();
  for (const call of run.calls) {
    for (const stage of new Set(call.map((t) => t.stage))) through.set(stage, (through.get(stage) ?? 0) + 1);
    const paid = new Set<string>();
    for (const t of call) {
      const c = classify(t.unit, ids);
      const id = `${t.index} ${c.template} ${t.stage}`;
      paid.add(id);
      instances.set(id, (instances.get(id) ?? new Set()).add(t.unit));
    }
    for (const id of paid) payers.set(id, (payers.get(id) ?? 0) + 1);
  }
  const lifetimes = Math.floor((run.seconds * 1000) / intervalMs) + 1;
  const cached = new Set<string>();
  for (const [id, paid] of payers) {
    const stage = id.slice(id.lastIndexOf(' ') + 1);
    if (paid < (through.get(stage) ?? 0) && paid <= instances.get(id)!.size * lifetimes) cached.add(id);
  }
  return cached;
}

/** The touches `containerTouchIds` tells apart, key by key and stage: who pays them and how many containers a key takes. */
export function containerLoads(runs: KindRun[], ids: Ids, intervalMs: number): ContainerLoad[] {
  const out = new Map<string, ContainerLoad>();
  for (const run of runs) {
    const cached = containerTouchIds(run, ids, intervalMs);
    const through = (stage: string) => run.calls.filter((call) => call.some((t) => t.stage === stage)).length;
    for (const call of run.calls) {
      const seen = new Set<string>();
      for (const t of call) {
        const c = classify(t.unit, ids);
        const id = `${t.index} ${c.template} ${t.stage}`;
        if (!cached.has(id)) continue;
        const key = `${run.kind} ${id}`;
        const load = out.get(key) ?? {
          index: t.index,
          template: c.template,
          fanIn: c.fanIn,
          kind: run.kind,
          stage: t.stage,
          payers: 0,
          calls: through(t.stage),
          wcu: 0,
          rcu: 0,
          containers: Infinity,
          intervalMs,
        };
        if (!seen.has(id)) load.payers++;
        seen.add(id);
        load.wcu = Math.max(load.wcu, t.wcu);
        load.rcu = Math.max(load.rcu, t.rcu);
        load.containers = ceilingFor(load) * (intervalMs / 1000);
        out.set(key, load);
      }
    }
  }
  return [...out.values()];
}

export function keyLoads(runs: KindRun[], ids: Ids, options: { cacheIntervalMs?: number } = {}): KeyLoad[] {
  const byKey = new Map<
    string,
    {
      index: string;
      c: Classified;
      families: Map<string, Set<string>>;
      stages: Set<string>;
      perKind: KeyLoad['perKind'];
      byStage: KeyLoad['byStage'];
    }
  >();
  const entry = (index: string, c: Classified) => {
    const id = `${index} ${c.template}`;
    let e = byKey.get(id);
    if (!e) byKey.set(id, (e = { index, c, families: new Map(), stages: new Set(), perKind: {}, byStage: {} }));
    return e;
  };
  for (const run of runs) {
    const cached = options.cacheIntervalMs === undefined ? new Set<string>() : containerTouchIds(run, ids, options.cacheIntervalMs);
    for (const call of run.calls) {
      const sums = new Map<string, { wcu: number; rcu: number; requests: number; writes: number }>();
      for (const t of call) {
        const c = classify(t.unit, ids);
        const e = entry(t.index, c);
        if (c.shard !== undefined) e.families.set(c.family, (e.families.get(c.family) ?? new Set()).add(c.shard));
        e.stages.add(t.stage);
        // A container's cached touch is in the run's requests, not in the units a call puts on the key (containerLoads).
        const units = cached.has(`${t.index} ${c.template} ${t.stage}`) ? { wcu: 0, rcu: 0 } : { wcu: t.wcu, rcu: t.rcu };
        const stage = ((e.byStage[run.kind] ??= {})[t.stage] ??= { wcu: 0, rcu: 0 });
        stage.wcu += units.wcu / run.calls.length;
        stage.rcu += units.rcu / run.calls.length;
        const id = `${t.index} ${c.template}`;
        const s = sums.get(id) ?? { wcu: 0, rcu: 0, requests: 0, writes: 0 };
        sums.set(id, { wcu: s.wcu + units.wcu, rcu: s.rcu + units.rcu, requests: s.requests + t.requests, writes: s.writes + t.writes });
      }
      for (const [id, s] of sums) {
        const e = byKey.get(id)!;
        const k = (e.perKind[run.kind] ??= { wcu: 0, rcu: 0, requests: 0, writes: 0 });
        k.wcu = Math.max(k.wcu, s.wcu);
        k.rcu = Math.max(k.rcu, s.rcu);
        k.requests += s.requests / run.calls.length;
        k.writes += s.writes / run.calls.length;
      }
    }
  }
  const teamKinds = new Set(runs.filter((r) => r.team).map((r) => r.kind));
  return [...byKey.values()].map((e) => {
    const spread = Math.max(1, ...[...e.families.values()].map((shards) => shards.size));
    const perKind = Object.fromEntries(
      Object.entries(e.perKind).map(([kind, k]) => [
        kind,
        { wcu: k.wcu / spread, rcu: k.rcu / spread, requests: k.requests / spread, writes: k.writes / spread },
      ]),
    );
    const byStage = Object.fromEntries(
      Object.entries(e.byStage).map(([kind, stages]) => [
        kind,
        Object.fromEntries(Object.entries(stages).map(([stage, u]) => [stage, { wcu: u.wcu / spread, rcu: u.rcu / spread }])),
      ]),
    );
    const ceilingOf = (kinds: string[]) =>
      kinds.reduce(
        (best, kind) => {
          const c = ceilingFor(perKind[kind]!);
          return c < best.ceiling ? { ceiling: c, kind } : best;
        },
        { ceiling: Infinity, kind: '' },
      );
    const all = ceilingOf(Object.keys(perKind));
    const team = ceilingOf(Object.keys(perKind).filter((k) => teamKinds.has(k)));
    const bounds = SCOPE_OF[e.c.fanIn];
    return {
      index: e.index,
      template: e.c.template,
      fanIn: e.c.fanIn,
      spread,
      stages: [...e.stages].sort(),
      perKind,
      byStage,
      ceiling: all.ceiling,
      setBy: all.kind,
      scopes: {
        service: bounds.includes('service') ? all.ceiling : Infinity,
        tenant: bounds.includes('tenant') ? all.ceiling : Infinity,
        team: bounds.includes('team') ? team.ceiling : Infinity,
      },
    };
  });
}

/** Calls a second a partition takes when each puts these units on it. */
export function ceilingFor(units: { wcu: number; rcu: number }): number {
  return Math.min(units.wcu > 0 ? PARTITION_LIMITS.wcu / units.wcu : Infinity, units.rcu > 0 ? PARTITION_LIMITS.rcu / units.rcu : Infinity);
}

/** The `n` lowest ceilings of a scope, lowest first (keys that do not bound it left out). */
export function lowestCeilings(loads: KeyLoad[], scope: keyof KeyLoad['scopes'], n = 3): KeyLoad[] {
  return loads
    .filter((l) => Number.isFinite(l.scopes[scope]))
    .sort((a, b) => a.scopes[scope] - b.scopes[scope])
    .slice(0, n);
}
