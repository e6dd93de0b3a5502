import type { ChildProcess } from 'node:child_process';

// The local stack's timers and child processes: polling, waiting for the API, stopping.

/** Runs `pass` every `intervalMs`, never two at once; `stop` waits for the pass in progress. */
export function startPoller(
  pass: () => Promise<unknown>,
  intervalMs: number,
  onError: (error: unknown) => void,
): { stop(): Promise<void> } {
  if (intervalMs <= 0) return { stop: () => Promise.resolve() };
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    // A pass that throws synchronously is contained like one that rejects: the next tick still comes.
    running = Promise.resolve()
      .then(pass)
      .then(
        () => undefined,
        (error: unknown) => {
          try {
            onError(error);
          } catch {
            // the reporter's own fault: nothing left to tell
          }
        },
      )
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  timer = setTimeout(tick, intervalMs);
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

export async function runCleanups(cleanups: Array<() => Promise<void>>) {
  for (const cleanup of cleanups.reverse()) {
    // A cleanup that throws before its promise exists must not leave the ones after it undone.
    await Promise.resolve()
      .then(cleanup)
      .catch(() => undefined);
  }
  cleanups.length = 0;
}

export async function waitForHealth(apiUrl: string, child: ChildProcess, timeoutMs: number, signal: AbortSignal | undefined) {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  while (Date.now() < deadline) {
    if (exited) throw new Error('serverless-offline exited before it was ready');
    if (signal?.aborted) throw new Error('the local stack was stopped while starting');
    try {
      const res = await fetch(`${apiUrl}/v1/health`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`serverless-offline was not ready within ${timeoutMs} ms`);
}

/** SIGTERM, then SIGKILL after 3 s: `npm start` promises every child gone within 5 s of Ctrl-C. */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
