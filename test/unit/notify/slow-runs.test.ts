import { describe, expect, it } from 'vitest';
import { MAX_SLOW_RUNS_PER_TARGET, SLOW_MEMORY_MS, SlowRuns } from '../../../lib/notify/slow-runs';

/** A run that ends when told to. */
function gate<T>(value: T) {
  let open!: () => void;
  const done = new Promise<T>((resolve) => (open = () => resolve(value)));
  return { done, open };
}

describe('slow runs', () => {
  it('answers a run that ends within its wait, and keeps nothing of it', async () => {
    const runs = new SlowRuns();
    const after: string[] = [];
    expect(
      await runs.wait(Promise.resolve('delivered'), 1_000, { run: 't#c1#sub:a', target: 't#sub:a' }, (r) =>
        Promise.resolve(void after.push(r)),
      ),
    ).toEqual({
      done: 'delivered',
    });
    expect(runs.isRunning('t#c1#sub:a')).toBe(false);
    expect(runs.isSlow('t#sub:a')).toBe(false);
    expect(after).toEqual([]);
  });

  it('leaves a run that outlasts its wait going on, and hands its result over when it ends', async () => {
    const runs = new SlowRuns();
    const after: string[] = [];
    const run = gate('retrying');
    expect(await runs.wait(run.done, 0, { run: 't#c1#sub:a', target: 't#sub:a' }, (r) => Promise.resolve(void after.push(r)))).toBe(
      'detached',
    );
    expect(runs.isRunning('t#c1#sub:a')).toBe(true);
    expect(runs.count('t#sub:a')).toBe(1);
    run.open();
    await runs.idle();
    expect(after).toEqual(['retrying']);
    expect(runs.isRunning('t#c1#sub:a')).toBe(false);
    expect(runs.count('t#sub:a')).toBe(0);
  });

  it(`is full at ${MAX_SLOW_RUNS_PER_TARGET} slow runs of one target, and no other target counts`, async () => {
    const runs = new SlowRuns();
    const gates = Array.from({ length: MAX_SLOW_RUNS_PER_TARGET }, () => gate('x'));
    for (const [i, g] of gates.entries()) {
      expect(runs.isFull('t#sub:a')).toBe(false);
      await runs.wait(g.done, 0, { run: `t#c${i}#sub:a`, target: 't#sub:a' }, () => Promise.resolve());
    }
    expect(runs.isFull('t#sub:a')).toBe(true);
    expect(runs.isFull('t#sub:b')).toBe(false);
    gates[0]!.open();
    await gates[0]!.done;
    await new Promise((r) => setTimeout(r, 0));
    expect(runs.isFull('t#sub:a')).toBe(false);
    for (const g of gates) g.open();
    await runs.idle();
  });

  it(`does not wait at all for a target that was slow in the last ${SLOW_MEMORY_MS / 1000} s`, async () => {
    let now = 0;
    const runs = new SlowRuns(() => now);
    const slow = gate('x');
    await runs.wait(slow.done, 0, { run: 't#c1#sub:a', target: 't#sub:a' }, () => Promise.resolve());
    slow.open();
    await runs.idle();
    // A run that would end at once, but the target was slow: not waited for.
    const quick = gate('y');
    const waited = runs.wait(quick.done, 60_000, { run: 't#c2#sub:a', target: 't#sub:a' }, () => Promise.resolve());
    expect(await waited).toBe('detached');
    quick.open();
    await runs.idle();
    now += SLOW_MEMORY_MS;
    expect(runs.isSlow('t#sub:a')).toBe(false);
    expect(await runs.wait(Promise.resolve('z'), 60_000, { run: 't#c3#sub:a', target: 't#sub:a' }, () => Promise.resolve())).toEqual({
      done: 'z',
    });
  });
});
