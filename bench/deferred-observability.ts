/**
 * What the logger's and the metrics' deferral moves out of module load (lib/observability/logger.ts, metrics.ts):
 * Powertools' Logger is built at the first line written, its Metrics at the first metric published. A cold start that
 * writes neither (a read that succeeds) never pays for them; a function that logs every call (callsCreate, hooks) pays
 * at its first request instead of at load, so its module load in this section is that much lighter than its cold start.
 * Measured here, so that BENCHMARKS.md says how much: the construction alone, in fresh processes with the modules
 * loaded, bundled with serverless.yml's esbuild settings.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { BuildOptions } from 'esbuild';
import { bundleBenchEntry } from './esbuild-options';
import { median } from './stats';

const run = promisify(execFile);

export interface DeferredConstruction {
  loggerMs: number;
  metricsMs: number;
}

const ENTRY = `import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
export function construct() {
  const t0 = performance.now();
  const logger = new Logger({ serviceName: 'c2c' });
  const t1 = performance.now();
  const metrics = new Metrics({ namespace: 'C2C', serviceName: 'c2c' });
  const t2 = performance.now();
  return { loggerMs: t1 - t0, metricsMs: t2 - t1, built: [logger, metrics] };
}
`;

export async function measureDeferredConstruction(esbuildOptions: BuildOptions, runs = 20): Promise<DeferredConstruction> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'c2c-bench-observability-'));
  try {
    const entry = path.join(dir, 'entry.ts');
    const outfile = path.join(dir, 'bundle.js');
    writeFileSync(entry, ENTRY);
    await bundleBenchEntry(esbuildOptions, entry, outfile);
    const logger: number[] = [];
    const metrics: number[] = [];
    const script = `const r=require(${JSON.stringify(outfile)}).construct();process.stdout.write(JSON.stringify([r.loggerMs,r.metricsMs]))`;
    for (let i = 0; i < runs; i++) {
      const { stdout } = await run(process.execPath, ['-e', script], {
        env: { PATH: process.env.PATH, NODE_OPTIONS: '--enable-source-maps' },
      });
      const [l, m] = JSON.parse(stdout) as [number, number];
      logger.push(l);
      metrics.push(m);
    }
    return { loggerMs: median(logger), metricsMs: median(metrics) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function renderDeferredConstruction(d: DeferredConstruction): string {
  return (
    `Built at first use, not at load: Powertools' Logger (${d.loggerMs.toFixed(1)} ms to construct, median of fresh processes) at the first ` +
    `line written, and its Metrics (${d.metricsMs.toFixed(1)} ms) at the first metric published. A read that succeeds writes neither and never ` +
    'pays for them; callsCreate and hooks log every call, so they pay them at their first request: their cold start is their load above plus ' +
    `about ${(d.loggerMs + d.metricsMs).toFixed(1)} ms.`
  );
}
