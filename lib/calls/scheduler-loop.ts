import type { DispatchReport } from './dispatch-due';

/**
 * Runs the scheduler's pass again and again for `runForMs`, `pollMs` apart, and stops early when the invocation
 * has less than a pass and a margin left. Runs of two invocations may overlap: every claim is conditional.
 */
export async function runScheduler(
  pass: () => Promise<DispatchReport>,
  options: { pollMs: number; runForMs: number; remainingMs: () => number; sleep?: (ms: number) => Promise<void> },
): Promise<{ passes: number; sent: number; failed: number }> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const started = Date.now();
  const totals = { passes: 0, sent: 0, failed: 0 };
  for (;;) {
    const report = await pass();
    totals.passes++;
    totals.sent += report.sent;
    totals.failed += report.failed;
    if (Date.now() - started + options.pollMs >= options.runForMs || options.remainingMs() < options.pollMs + 10_000) return totals;
    await sleep(options.pollMs);
  }
}
