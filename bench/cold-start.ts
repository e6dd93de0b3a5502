import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { median } from './stats';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..');
const COPIED = ['functions', 'lib', 'types', 'resources', 'serverless.yml', 'package.json', 'tsconfig.json'];

export interface ColdStartRow {
  fn: string;
  zipBytes: number;
  rawBytes: number;
  gzipBytes: number;
  /** Median module load with the deployed NODE_OPTIONS (source maps on). */
  loadMs: number;
  /** Median module load without source-map support, for comparison. */
  loadMsNoMaps: number;
}

/**
 * Packages the service as `serverless package` does for a deploy (in a copy, so a running local stack is not
 * disturbed), then measures each function's bundle and the time to load it in fresh Node processes.
 */
export async function measureColdStarts(runs = 20): Promise<{ rows: ColdStartRow[]; packageMs: number }> {
  const sandbox = mkdtempSync(path.join(os.tmpdir(), 'c2c-bench-pkg-'));
  try {
    for (const entry of COPIED) cpSync(path.join(ROOT, entry), path.join(sandbox, entry), { recursive: true });
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(sandbox, 'node_modules'));
    const started = performance.now();
    await run(process.execPath, [path.join(ROOT, 'node_modules/serverless/bin/serverless.js'), 'package', '--stage', 'bench'], {
      cwd: sandbox,
      env: { PATH: process.env.PATH, HOME: sandbox, SLS_TELEMETRY_DISABLED: '1' },
      maxBuffer: 16 * 1024 * 1024,
    });
    const packageMs = performance.now() - started;
    const zips = readdirSync(path.join(sandbox, '.serverless')).filter((f) => f.endsWith('.zip'));
    const rows: ColdStartRow[] = [];
    for (const zip of zips.sort()) {
      const fn = zip.replace(/\.zip$/, '');
      const dir = path.join(sandbox, 'unzipped', fn);
      mkdirSync(dir, { recursive: true });
      execFileSync('unzip', ['-q', '-o', path.join(sandbox, '.serverless', zip), '-d', dir]);
      const js = findMainJs(dir);
      const code = readFileSync(js);
      rows.push({
        fn,
        zipBytes: statSync(path.join(sandbox, '.serverless', zip)).size,
        rawBytes: code.length,
        gzipBytes: zlib.gzipSync(code).length,
        loadMs: await loadTime(js, runs, '--enable-source-maps'),
        loadMsNoMaps: await loadTime(js, runs, ''),
      });
    }
    return { rows, packageMs };
  } finally {
    rmSync(sandbox, { recursive: true, force: true });
  }
}

function findMainJs(dir: string): string {
  const functionsDir = path.join(dir, 'functions');
  const file = readdirSync(functionsDir).find((f) => f.endsWith('.js'));
  if (!file) throw new Error(`No bundle in ${dir}`);
  return path.join(functionsDir, file);
}

/** Median over `runs` fresh processes of the time `require` takes: module evaluation, client construction included. */
async function loadTime(file: string, runs: number, nodeOptions: string): Promise<number> {
  const script = `const t=performance.now();require(${JSON.stringify(file)});process.stdout.write(String(performance.now()-t))`;
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const { stdout } = await run(process.execPath, ['-e', script], {
      env: {
        PATH: process.env.PATH,
        NODE_OPTIONS: nodeOptions,
        TABLE_NAME: 'c2c-bench',
        // As the stack sets it: a stage without a seal key refuses to start (lib/secrets/seal.ts).
        SEAL_KMS_KEY_ID: 'alias/c2c-bench',
        AWS_REGION: 'eu-west-1',
        AWS_NODEJS_CONNECTION_REUSE_ENABLED: '1',
        NODE_NO_WARNINGS: '1',
      },
    });
    samples.push(Number(stdout));
  }
  return median(samples);
}
