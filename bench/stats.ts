/** Percentile of sorted samples (nearest rank). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

export interface LatencyRun {
  concurrency: number;
  requests: number;
  p50: number;
  p99: number;
  perSecond: number;
}

/** Runs `fn` `total` times with `concurrency` in flight, after `warmup` untimed runs. */
export async function measure(
  fn: (i: number) => Promise<void>,
  options: { total: number; concurrency: number; warmup: number; offset?: number },
): Promise<LatencyRun> {
  let next = options.offset ?? 0;
  for (let i = 0; i < options.warmup; i++) await fn(next++);
  const latencies: number[] = [];
  const end = next + options.total;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < end) {
        const i = next++;
        const t = performance.now();
        await fn(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = performance.now() - started;
  latencies.sort((a, b) => a - b);
  return {
    concurrency: options.concurrency,
    requests: latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    perSecond: (latencies.length / elapsed) * 1000,
  };
}
