import { classify, heatUnit, type FanIn, type Ids, type KeyLoad } from './partition-keys';
import type { RequestTarget } from './partition-keys';

/**
 * The load test's hottest keys against the model's: writes counted at dynalite per unit of heat, grouped by template
 * (the hottest instance of each), and what the model predicts for the same run from its writes per call of each kind
 * and the calls the run made in each key's scope (its tenant's, its team's, its agent's...).
 */

/** A call the load test made: its kind (the model's), tenant, team if it named one, the agent that took it. */
export interface LoadCall {
  kind: string;
  tenantId: string;
  team?: string;
  agent?: string;
  callId: string;
}

export interface HotKey {
  template: string;
  fanIn: FanIn;
  /** Writes on its hottest instance, counted at dynalite. */
  counted: number;
  /** The model's writes for the same instance scope, from the run's calls. */
  predicted: number;
}

/** Writes per unit of heat, from the requests dynalite received (their table targets). */
export function countWrites(targets: RequestTarget[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const t of targets) {
    if (t.access !== 'write' || t.index !== 'table') continue;
    const unit = heatUnit({ pk: t.pk, sk: t.sk });
    counts.set(unit, (counts.get(unit) ?? 0) + 1);
  }
  return counts;
}

/** The scope a call falls in for a key of this fan-in (its instance of the key), or none when the call is outside it. */
function scopeOf(call: LoadCall, fanIn: FanIn): string | undefined {
  switch (fanIn) {
    case 'all tenants':
      return 'all';
    case 'one tenant':
      return call.tenantId;
    case 'one team':
      return call.team === undefined ? undefined : `${call.tenantId}/${call.team}`;
    case 'one agent':
      return call.agent === undefined ? undefined : `${call.tenantId}/${call.agent}`;
    default:
      return call.callId;
  }
}

/** Writes the model predicts on the hottest instance of a key: its writes per call of each kind, summed over the calls of each scope. */
export function predictHottest(load: KeyLoad, calls: LoadCall[]): number {
  const byScope = new Map<string, number>();
  for (const call of calls) {
    const scope = scopeOf(call, load.fanIn);
    const writes = load.perKind[call.kind]?.writes ?? 0;
    if (scope === undefined || writes === 0) continue;
    byScope.set(scope, (byScope.get(scope) ?? 0) + writes);
  }
  return Math.max(0, ...byScope.values());
}

/**
 * The hottest keys of the table by writes: dynalite's counts (the hottest instance of each template) beside the
 * model's prediction, the `top` hottest of either, dynalite's first; and how alike the two rankings are (Spearman).
 */
export function compareRankings(
  counts: Map<string, number>,
  ids: Ids,
  loads: KeyLoad[],
  calls: LoadCall[],
  top = 8,
): { keys: HotKey[]; correlation: number; sameHottest: boolean } {
  const counted = new Map<string, { fanIn: FanIn; count: number }>();
  for (const [unit, count] of counts) {
    const c = classify(unit, ids);
    const seen = counted.get(c.template);
    if (!seen || seen.count < count) counted.set(c.template, { fanIn: c.fanIn, count });
  }
  const model = new Map(
    loads.filter((l) => l.index === 'table').map((l) => [l.template, { fanIn: l.fanIn, predicted: predictHottest(l, calls) }]),
  );
  const topOf = (entries: Array<[string, number]>) =>
    entries
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, top)
      .map(([t]) => t);
  const byDynalite = topOf([...counted].map(([t, v]) => [t, v.count]));
  const byModel = topOf([...model].map(([t, v]) => [t, v.predicted]));
  const templates = [...new Set([...byDynalite, ...byModel])];
  const keys = templates.map((template) => ({
    template,
    fanIn: counted.get(template)?.fanIn ?? model.get(template)!.fanIn,
    counted: counted.get(template)?.count ?? 0,
    predicted: model.get(template)?.predicted ?? 0,
  }));
  return {
    keys,
    correlation: rankCorrelation(
      keys.map((k) => k.counted),
      keys.map((k) => k.predicted),
    ),
    sameHottest: byDynalite[0] !== undefined && byDynalite[0] === byModel[0],
  };
}

/**
 * Spearman's rank correlation of two scorings of the same keys (ties get their mean rank): 1 when both order the keys
 * alike, -1 when reversed. Fewer than two keys: 1.
 */
export function rankCorrelation(a: number[], b: number[]): number {
  if (a.length !== b.length) throw new Error('rankings of different lengths');
  const n = a.length;
  if (n < 2) return 1;
  const ranks = (xs: number[]) => {
    const order = xs.map((x, i) => ({ x, i })).sort((p, q) => q.x - p.x);
    const out = new Array<number>(n);
    for (let i = 0; i < n;) {
      let j = i;
      while (j + 1 < n && order[j + 1]!.x === order[i]!.x) j++;
      for (let k = i; k <= j; k++) out[order[k]!.i] = (i + j) / 2 + 1;
      i = j + 1;
    }
    return out;
  };
  const [ra, rb] = [ranks(a), ranks(b)];
  const mean = (n + 1) / 2;
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < n; i++) {
    cov += (ra[i]! - mean) * (rb[i]! - mean);
    va += (ra[i]! - mean) ** 2;
    vb += (rb[i]! - mean) ** 2;
  }
  return va === 0 || vb === 0 ? (va === vb ? 1 : 0) : cov / Math.sqrt(va * vb);
}
