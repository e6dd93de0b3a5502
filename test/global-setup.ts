import { readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { ARTIFACTS_DIR, RUN_DIR } from './support/run-dir';

/** Folders of runs that ended long ago (or were cut short) are removed; a run beside this one is a day younger. */
const STALE_MS = 24 * 3600_000;

/** Each run starts with empty log and secret folders of its own, so the log scan judges this run only. */
export default function setup() {
  rmSync(RUN_DIR, { recursive: true, force: true });
  let entries: string[] = [];
  try {
    entries = readdirSync(ARTIFACTS_DIR).filter((name) => name.startsWith('run-'));
  } catch {
    return;
  }
  for (const name of entries) {
    const dir = path.join(ARTIFACTS_DIR, name);
    try {
      if (Date.now() - statSync(dir).mtimeMs > STALE_MS) rmSync(dir, { recursive: true, force: true });
    } catch {
      // Removed by another run meanwhile.
    }
  }
}
