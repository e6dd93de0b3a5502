/**
 * Two test runs on one machine unpack the console test's Chromium at the same moment (test/support/chromium.ts): each
 * unpacks into a folder of its own and renames it into place, so both get a whole binary that starts, and neither
 * sees the other's half-written file (`spawn ETXTBSY`). Two processes, as two `npm test` runs are.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { chromiumTarget } from '../support/chromium';

const run = promisify(execFile);
const base = mkdtempSync(path.join(tmpdir(), 'c2c-chromium-race-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** `unpackChromium(base)` in a process of its own; answers the path it printed. */
async function unpackInAnotherProcess(): Promise<string> {
  const script = `require('./test/support/chromium.ts').unpackChromium(${JSON.stringify(base)}).then((p) => process.stdout.write(p))`;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '-e', script], { cwd: process.cwd(), timeout: 60_000 });
  return stdout;
}

describe('unpacking Chromium', () => {
  it('two processes unpacking at once both get a working binary at the versioned path, and leave no staging folder', async () => {
    const paths = await Promise.all([unpackInAnotherProcess(), unpackInAnotherProcess()]);
    const binary = path.join(chromiumTarget(base), 'chromium');
    expect(paths).toEqual([binary, binary]);
    const versions = await Promise.all(paths.map((p) => run(p, ['--headless', '--no-sandbox', '--version'], { timeout: 20_000 })));
    for (const { stdout } of versions) expect(stdout).toMatch(/^Chromium \d+\./);
    expect(readdirSync(base)).toEqual([path.basename(chromiumTarget(base))]);
    // Once in place, the next run takes it as it is.
    expect(await unpackInAnotherProcess()).toBe(binary);
    expect(existsSync(binary)).toBe(true);
  }, 60_000);
});
