import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

// Each local stack's serverless-offline bundles into a folder of its own, never `.esbuild/`: `serverless package`
// (and another stack) empties that one when it is done, which would pull the bundles from under running handlers.

const ROOT = path.join('.local', 'offline-build');

/**
 * The folder a stack in this process serving on `apiPort` builds in, relative to the service directory. The pid
 * makes it the stack's own even when another process's stack took the same port a moment after this one let go of
 * it; the port keeps two stacks of one process apart.
 */
export function buildFolderFor(apiPort: number, pid = process.pid): string {
  return path.join(ROOT, `${apiPort}-${pid}`);
}

/**
 * Removes the folders of stacks whose process is gone (a killed `npm start`, a test worker that crashed): each
 * holds about 30 MB of bundles that nothing will read again. A folder whose process still runs is left alone,
 * and so is one this cannot attribute (an older naming, or a stranger's).
 */
export function sweepBuildFolders(serviceDir: string, isAlive: (pid: number) => boolean = processIsAlive): string[] {
  let entries: string[];
  try {
    entries = readdirSync(path.join(serviceDir, ROOT));
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const entry of entries) {
    const pid = ownerPid(entry);
    if (pid === undefined || isAlive(pid)) continue;
    removeBuildFolder(serviceDir, path.join(ROOT, entry));
    removed.push(entry);
  }
  return removed;
}

/**
 * Removes a build folder; never throws. Retries because its removal has failed with ENOTEMPTY after
 * serverless-offline exited (something, most likely the bundler's own process, was still writing); what is left
 * after the retries is swept by the next stack to start.
 */
export function removeBuildFolder(serviceDir: string, folder: string): void {
  try {
    rmSync(path.join(serviceDir, folder), { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  } catch {
    // best effort: a folder left behind costs disk, never correctness
  }
}

/** `<port>-<pid>` names the process that owns the folder; anything else is not ours to judge. */
export function ownerPid(entry: string): number | undefined {
  const match = /^\d{1,5}-(\d{1,10})$/.exec(entry);
  if (!match) return undefined;
  const pid = Number(match[1]);
  return pid > 0 ? pid : undefined;
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, but another user's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
