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
  it('leaves every route of the running stack answering, those first called after it too', { timeout: 240_000 }, async () => {
    const key = { authorization: `Bearer ${stack.demo.apiKey}` };
    expect((await fetch(`${stack.apiUrl}/v1/health`)).status).toBe(200);
    // What `npm run package` runs after building the console, in the same service folder as the running stack.
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
    await run(process.execPath, [path.join(ROOT, 'node_modules/serverless/bin/serverless.js'), 'package', '--stage', 'dev'], {
      cwd: service,
      env: { ...env, AWS_SDK_LOAD_CONFIG: '0', AWS_SHARED_CREDENTIALS_FILE: path.join(sandbox, 'none') },
      timeout: 200_000,
      maxBuffer: 16 << 20,
    });
    expect(existsSync(path.join(service, '.serverless', 'cloudformation-template-update-stack.json'))).toBe(true);
    // Packaging has emptied its own build folder. A handler serverless-offline already loaded lives on in memory; these
    // are loaded now, for the first time, from the stack's build folder.
    expect(existsSync(path.join(service, '.esbuild'))).toBe(false);
    // serverless-offline answers a handler it cannot load with 200 and an `errorMessage`: each answer is read.
    const answer = async (p: string, headers: Record<string, string> = {}) => {
      const res = await fetch(`${stack.apiUrl}${p}`, { headers });
      return `${res.status} ${(await res.text()).slice(0, 60)}`;
    };
    expect(await answer('/v1/health')).toMatch(/^200 \{"status":"ok"/);
    expect(await answer('/v1/openapi.json')).toMatch(/^200 \{"openapi":"3\.1/);
    expect(await answer('/docs/api.md')).toMatch(/^200 <!doctype html>/);
    expect(await answer('/v1/agents', key)).toMatch(/^200 \{"agents":\[/);
    expect(await answer('/v1/calls/c_NOSUCHCALL0000000000000000', key)).toMatch(/^404 \{"type":"\/docs\/api\.md#problem-not_found"/);
    expect(await answer('/console')).toMatch(/^200 <!doctype html>/);
  });
});
