/** A target with this many slot runs going on by themselves has its other slots left alone ('paced') until one ends. */
export const MAX_SLOW_RUNS_PER_TARGET = 4;
/** A target that was slow is not waited for at all for this long after its last slow run began. */
export const SLOW_MEMORY_MS = 60_000;

/**
 * The slot runs of a process that a pass stopped waiting for (a transport's `detachAfterMs`): each goes on by itself,
 * its writes as conditional as ever, and settles its call when it ends. A hanging receiver thus holds a worker of
 * `deliverDue` (or a stream batch) no longer than `detachAfterMs`, once; while it has a slow run, its next slots are
 * not waited for at all; and with {@link MAX_SLOW_RUNS_PER_TARGET} of them it gets no more sockets. In memory: another
 * process meets the slot's lease (`startedAt`) instead.
 *
 * `run` keys one slot of one call (`tenant#call#transport`), `target` one receiver (`tenant#transport`).
 */
export class SlowRuns {
  private readonly runs = new Map<string, Promise<void>>();
  private readonly perTarget = new Map<string, number>();
  private readonly slowAt = new Map<string, number>();

  constructor(private readonly clock: () => number = Date.now) {}

  /** A run of this slot is going on by itself: a pass leaves the slot alone. */
  isRunning(run: string): boolean {
    return this.runs.has(run);
  }

  /** The target has as many slow runs as it may: a pass leaves its slots alone. */
  isFull(target: string): boolean {
    return this.count(target) >= MAX_SLOW_RUNS_PER_TARGET;
  }

  count(target: string): number {
    return this.perTarget.get(target) ?? 0;
  }

  /** Whether the target has a slow run, or had one lately: its slots are not waited for. */
  isSlow(target: string): boolean {
    const at = this.slowAt.get(target);
    if (at !== undefined && this.clock() - at >= SLOW_MEMORY_MS) this.slowAt.delete(target);
    return this.count(target) > 0 || this.slowAt.has(target);
  }

  /**
   * Waits for `work` at most `waitMs` (0 when the target is slow already); after that leaves it running, calls
   * `after` with its result when it ends, and answers 'detached'.
   */
  async wait<T>(work: Promise<T>, waitMs: number, keys: { run: string; target: string }, after: (result: T) => Promise<void>) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'detached'>((resolve) => {
      timer = setTimeout(() => resolve('detached'), this.isSlow(keys.target) ? 0 : waitMs);
      timer.unref();
    });
    const first = await Promise.race([work.then((done) => ({ done })), timeout]);
    clearTimeout(timer);
    if (first !== 'detached') return first;
    this.perTarget.set(keys.target, this.count(keys.target) + 1);
    this.slowAt.set(keys.target, this.clock());
    if (this.slowAt.size > 1000) for (const target of [...this.slowAt.keys()]) this.isSlow(target);
    // `after` logs its own failures: nothing is left to reject here.
    const ended = work
      .then(after)
      .catch(() => undefined)
      .finally(() => {
        this.runs.delete(keys.run);
        const left = this.count(keys.target) - 1;
        if (left > 0) this.perTarget.set(keys.target, left);
        else this.perTarget.delete(keys.target);
      });
    this.runs.set(keys.run, ended);
    return first;
  }

  /** Resolves once every run going on by itself has ended (tests, and a process that stops). */
  async idle(): Promise<void> {
    while (this.runs.size > 0) await Promise.allSettled([...this.runs.values()]);
  }
}
