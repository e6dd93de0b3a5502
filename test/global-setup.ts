import { readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { buildCli } from '../scripts/build-cli.mjs';
import { ARTIFACTS_DIR, RUN_DIR } from './support/run-dir';

/** Folders of runs that ended long ago (or were cut short) are removed; a run beside this one is a day younger. */
const STALE_MS = 24 * 3600_000;

/**
 * Each run starts with empty log and secret folders of its own, so the log scan judges this run only; and with the CLI
 * built from the sources as they are, since the tests that run `c2c` as a user does run the built JavaScript.
 */
export default async function setup() {
  await buildCli();
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
