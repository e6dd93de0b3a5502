/**
 * The headless Chromium of the console test, unpacked from @sparticuz/chromium once per version and machine.
 *
 * The package unpacks into a fixed path (`$TMPDIR/chromium`), writing the binary in place: a second test run
 * unpacking at the same moment rewrote the file the first was starting (`spawn ETXTBSY`), or handed out a binary
 * half written. Here each run unpacks into a folder of its own, then renames it into place: the rename is atomic,
 * so a binary at the versioned path is always whole. When another run got there first, its folder is used and
 * ours is dropped.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';

const PACKAGE_DIR = path.resolve(__dirname, '../../node_modules/@sparticuz/chromium');

/** The version of the packaged Chromium: a new version unpacks beside the old one, never over it. */
export const chromiumVersion = (): string =>
  (JSON.parse(readFileSync(path.join(PACKAGE_DIR, 'package.json'), 'utf8')) as { version: string }).version;

/** Where the binary of this version lives once unpacked: `<base>/c2c-chromium-<version>/chromium`. */
export const chromiumTarget = (baseDir = tmpdir()) => path.join(baseDir, `c2c-chromium-${chromiumVersion()}`);

/** The path of a whole Chromium binary of the packaged version, unpacking it first if no run has yet. */
export async function unpackChromium(baseDir = tmpdir()): Promise<string> {
  const target = chromiumTarget(baseDir);
  const binary = path.join(target, 'chromium');
  if (existsSync(binary)) return binary;
  const staging = mkdtempSync(`${target}.unpacking-`);
  try {
    // The package unpacks into $TMPDIR: pointed at our own folder, in a process of its own so no other code sees it.
    const script = `require(${JSON.stringify(path.join(PACKAGE_DIR, 'build/cjs/index.cjs'))}).executablePath()`;
    await promisify(execFile)(process.execPath, ['-e', script], {
      env: { ...process.env, TMPDIR: staging },
      timeout: 120_000,
    });
    if (!existsSync(path.join(staging, 'chromium'))) throw new Error(`@sparticuz/chromium left no binary in ${staging}`);
    renameSync(staging, target);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    // Another run renamed its folder into place first: that one is whole, and ours was not needed.
    if (existsSync(binary)) return binary;
    throw error;
  }
  return binary;
}

/**
 * Headless Chromium for the console test: CHROMIUM_PATH, or the packaged binary unpacked by {@link unpackChromium}.
 * A missing browser fails (the console test is the only check that the page works in one), it is never skipped.
 * Playwright gives each launch a fresh, throw-away profile.
 */
export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? (await unpackChromium());
  if (!existsSync(executablePath)) throw new Error(`No Chromium at ${executablePath}: set CHROMIUM_PATH to a Chromium binary.`);
  return chromium.launch({
    executablePath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
