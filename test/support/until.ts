/**
 * Polls `probe` until it answers something other than undefined, and returns that; throws naming `what` once
 * `timeoutMs` has passed. For the end-to-end suites, which wait on real processes (the local stack, the simulator, a
 * receiver) rather than on a clock they control.
 */
export async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (${timeoutMs} ms)`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}
