/**
 * `npm run package` while `npm start` runs: both ran serverless-esbuild in `.esbuild/`, and packaging empties that
 * folder when it is done, so every route of the running stack answered 500 from then on. The local stack now builds
 * in a folder of its own (serverless.yml `outputWorkFolder`, local/stack.ts). Run in a copy of the repository, so the
 * package written (`.serverless/`) and the folders emptied are the copy's, never those of another test's stack.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/stack';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const NOT_COPIED = new Set(['node_modules', '.git', '.esbuild', '.serverless', '.local', 'coverage', 'test', 'bench']);
const sandbox = mkdtempSync(path.join(tmpdir(), 'c2c-package-while-running-'));
const service = path.join(sandbox, 'service');
let stack: LocalStack;

beforeAll(async () => {
  cpSync(ROOT, service, { recursive: true, filter: (src) => !NOT_COPIED.has(path.relative(ROOT, src).split(path.sep)[0]!) });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(service, 'node_modules'), 'dir');
  stack = await startLocalStack({ serviceDir: service, notifyPollMs: 0, schedulerPollMs: 0, reconcilePollMs: 0 });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(sandbox, { recursive: true, force: true });
});

describe('npm run package beside a running local stack', () => {
  it('leaves every route of the running stack answering', { timeout: 240_000 }, async () => {
    const routes = async () => {
      const key = { authorization: `Bearer ${stack.demo.apiKey}` };
      return [
        (await fetch(`${stack.apiUrl}/v1/health`)).status,
        (await fetch(`${stack.apiUrl}/v1/agents`, { headers: key })).status,
        (await fetch(`${stack.apiUrl}/v1/calls?limit=1`, { headers: key })).status,
        (await fetch(`${stack.apiUrl}/console`)).status,
      ];
    };
    expect(await routes()).toEqual([200, 200, 200, 200]);
    // What `npm run package` runs after building the console, in the same service folder as the running stack.
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
    const packaging = run(process.execPath, [path.join(ROOT, 'node_modules/serverless/bin/serverless.js'), 'package', '--stage', 'dev'], {
      cwd: service,
      env: { ...env, AWS_SDK_LOAD_CONFIG: '0', AWS_SHARED_CREDENTIALS_FILE: path.join(sandbox, 'none') },
      timeout: 200_000,
      maxBuffer: 16 << 20,
    });
    // Asked while it bundles, and once it has emptied its build folder.
    const during = await routes();
    await packaging;
    expect(existsSync(path.join(service, '.serverless', 'cloudformation-template-update-stack.json'))).toBe(true);
    expect(existsSync(path.join(service, '.esbuild'))).toBe(false);
    expect(during).toEqual([200, 200, 200, 200]);
    expect(await routes()).toEqual([200, 200, 200, 200]);
  });
});
