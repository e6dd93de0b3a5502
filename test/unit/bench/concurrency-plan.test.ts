import { describe, expect, it } from 'vitest';
import { aggregate, placeSection, shareCalls, type WorkerSamples } from '../../../bench/concurrency-plan';

const indicesOf = (share: { first: number; stride: number; count: number }) =>
  Array.from({ length: share.count }, (_, j) => share.first + j * share.stride);

describe('shareCalls', () => {
  it.each([
    // total, workers, offset, agents, each worker's indices, next offset
    { total: 5, workers: 1, offset: 0, agents: 64, indices: [[0, 1, 2, 3, 4]], next: 5 },
    {
      total: 8,
      workers: 4,
      offset: 0,
      agents: 64,
      indices: [
        [0, 4],
        [1, 5],
        [2, 6],
        [3, 7],
      ],
      next: 8,
    },
    { total: 6, workers: 4, offset: 100, agents: 64, indices: [[100, 104], [101, 105], [102], [103]], next: 108 },
    { total: 3, workers: 4, offset: 8, agents: 8, indices: [[8], [9], [10], []], next: 12 },
    { total: 0, workers: 2, offset: 7, agents: 64, indices: [[], []], next: 7 },
  ])('deals $total calls over $workers workers from $offset', ({ total, workers, offset, agents, indices, next }) => {
    const plan = shareCalls({ total, workers, offset, agents });
    expect(plan.shares.map(indicesOf)).toEqual(indices);
    expect(plan.next).toBe(next);
  });

  it.each([
    { total: 1000, workers: 16, offset: 0 },
    { total: 999, workers: 16, offset: 1600 },
    { total: 77, workers: 8, offset: 3 },
  ])('places each of $total calls once, and no agent in two workers ($workers workers)', ({ total, workers, offset }) => {
    const agents = 64;
    const plan = shareCalls({ total, workers, offset, agents });
    const all = plan.shares.flatMap(indicesOf).sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: total }, (_, i) => offset + i));
    expect(plan.next).toBeGreaterThanOrEqual(offset + total);
    const agentsOf = plan.shares.map((s) => new Set(indicesOf(s).map((i) => i % agents)));
    for (const [w, mine] of agentsOf.entries())
      for (const theirs of agentsOf.slice(w + 1)) expect([...mine].filter((a) => theirs.has(a))).toEqual([]);
  });

  it.each([
    { total: 10, workers: 3, agents: 64, error: /3 workers do not divide 64 agents/ },
    { total: 10, workers: 0, agents: 64, error: /workers must be a positive integer/ },
    { total: 1.5, workers: 2, agents: 64, error: /total must be a whole number/ },
    { total: -1, workers: 2, agents: 64, error: /total must be a whole number/ },
  ])('refuses $total calls over $workers workers for $agents agents', ({ total, workers, agents, error }) => {
    expect(() => shareCalls({ total, workers, offset: 0, agents })).toThrow(error);
  });
});

describe('aggregate', () => {
  const w = (latencies: number[], start: number, end: number): WorkerSamples => ({ latencies, start, end });
  it.each([
    { name: 'one worker', workers: [w([3, 1, 2], 1000, 1500)], p50: 2, p99: 3, perSecond: 6 },
    {
      name: 'percentiles over every worker, rate over first start to last end',
      workers: [w([10, 40], 1000, 1100), w([20, 30], 1050, 1200)],
      p50: 20,
      p99: 40,
      perSecond: 20,
    },
    {
      name: 'a worker that started late and ended last sets the end',
      workers: [w([1], 0, 100), w([5, 5, 5], 500, 1000)],
      p50: 5,
      p99: 5,
      perSecond: 4,
    },
  ])('$name', ({ workers, p50, p99, perSecond }) => {
    expect(aggregate(16, workers)).toEqual({
      concurrency: 16,
      requests: workers.reduce((n, x) => n + x.latencies.length, 0),
      p50,
      p99,
      perSecond,
    });
  });

  it('refuses a run without a call', () => {
    expect(() => aggregate(2, [w([], 0, 10), w([], 0, 10)])).toThrow(/no call/);
  });
});

describe('placeSection', () => {
  const mine = ['## Mine', '', 'new body', ''];
  it.each([
    {
      name: 'replaces its own section, up to the next heading',
      markdown: '# T\n\n## A\n\na\n\n## Mine\n\nold body\nmore\n\n## B\n\nb\n',
      expected: '# T\n\n## A\n\na\n\n## Mine\n\nnew body\n\n## B\n\nb\n',
    },
    {
      name: 'replaces its own section at the end of the file',
      markdown: '# T\n\n## A\n\na\n\n## Mine\n\nold body\n',
      expected: '# T\n\n## A\n\na\n\n## Mine\n\nnew body\n',
    },
    {
      name: 'goes right after the anchor section when absent',
      markdown: '# T\n\n## A\n\na\n\n## B\n\nb\n',
      expected: '# T\n\n## A\n\na\n\n## Mine\n\nnew body\n\n## B\n\nb\n',
    },
    {
      name: 'goes at the end when the anchor section is the last',
      markdown: '# T\n\n## B\n\nb\n\n## A\n\na\n',
      expected: '# T\n\n## B\n\nb\n\n## A\n\na\n\n## Mine\n\nnew body\n',
    },
    {
      name: 'goes at the end without the anchor',
      markdown: '# T\n\n## B\n\nb\n',
      expected: '# T\n\n## B\n\nb\n\n## Mine\n\nnew body\n',
    },
    {
      name: 'does not take a heading that only begins like its own',
      markdown: '# T\n\n## Mine and more\n\nx\n\n## A\n\na\n',
      expected: '# T\n\n## Mine and more\n\nx\n\n## A\n\na\n\n## Mine\n\nnew body\n',
    },
  ])('$name', ({ markdown, expected }) => {
    expect(placeSection(markdown, mine, '## A')).toBe(expected);
  });
});
