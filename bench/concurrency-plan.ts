import { percentile, type LatencyRun } from './stats';

/**
 * The pure parts of the concurrency section (bench/concurrency.ts): which calls each worker process places, how
 * their samples make one run, and where the section goes in BENCHMARKS.md.
 */

/** Worker `w`'s calls: indices `first`, `first + stride`, ... (`count` of them), placed one after the other. */
export interface WorkerShare {
  first: number;
  stride: number;
  count: number;
}

/**
 * Deals `total` calls, numbered from `offset`, over `workers` processes round-robin: worker `w` takes the indices
 * congruent to `offset + w` modulo `workers`. Call `i` goes to agent `i mod agents` (bench/call-event.ts), and an
 * agent takes one call at a time (`agent_busy`), so when `workers` divides `agents` no two processes ever call the
 * same agent at once. `next`: the offset of the following run (no index, hence no Idempotency-Key, comes twice).
 */
export function shareCalls(options: { total: number; workers: number; offset: number; agents: number }): {
  shares: WorkerShare[];
  next: number;
} {
  const { total, workers, offset, agents } = options;
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`workers must be a positive integer, not ${workers}`);
  if (!Number.isInteger(total) || total < 0) throw new Error(`total must be a whole number, not ${total}`);
  if (agents % workers !== 0) throw new Error(`${workers} workers do not divide ${agents} agents: two would call one agent at once`);
  const shares = Array.from({ length: workers }, (_, w) => ({
    first: offset + w,
    stride: workers,
    count: Math.floor(total / workers) + (w < total % workers ? 1 : 0),
  }));
  return { shares, next: offset + workers * Math.ceil(total / workers) };
}

/** What one worker reports for its share: each call's latency (ms), and when its share started and ended (epoch ms). */
export interface WorkerSamples {
  latencies: number[];
  start: number;
  end: number;
}

/**
 * One run from its workers' samples: percentiles over every call of every worker, and calls per second over the
 * run's wall time, from the first worker's start to the last one's end (the same clock: one machine).
 */
export function aggregate(concurrency: number, workers: WorkerSamples[]): LatencyRun {
  const latencies = workers.flatMap((w) => w.latencies).sort((a, b) => a - b);
  if (latencies.length === 0) throw new Error('no call was measured');
  const elapsed = Math.max(...workers.map((w) => w.end)) - Math.min(...workers.map((w) => w.start));
  return {
    concurrency,
    requests: latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    perSecond: elapsed > 0 ? (latencies.length / elapsed) * 1000 : NaN,
  };
}

/**
 * BENCHMARKS.md with `section` (its first line the `## ` heading) in place of the section of the same heading, up to
 * the next `## ` heading; when there is none yet, right after the section headed `after`, else at the end.
 */
export function placeSection(markdown: string, section: string[], after: string): string {
  const body = `${section.join('\n').trimEnd()}\n`;
  const sectionEnd = (start: number) => {
    const next = markdown.indexOf('\n## ', start + 1);
    return next < 0 ? markdown.length : next + 1;
  };
  const own = headingAt(markdown, section[0]!);
  if (own >= 0) {
    const end = sectionEnd(own);
    return `${markdown.slice(0, own)}${body}${end < markdown.length ? `\n${markdown.slice(end)}` : ''}`;
  }
  const anchor = headingAt(markdown, after);
  if (anchor < 0) return `${markdown.trimEnd()}\n\n${body}`;
  const end = sectionEnd(anchor);
  if (end >= markdown.length) return `${markdown.trimEnd()}\n\n${body}`;
  return `${markdown.slice(0, end)}${body}\n${markdown.slice(end)}`;
}

/** Where the line `heading` starts, or -1. */
function headingAt(markdown: string, heading: string): number {
  if (markdown.startsWith(`${heading}\n`)) return 0;
  const at = markdown.indexOf(`\n${heading}\n`);
  return at < 0 ? -1 : at + 1;
}
