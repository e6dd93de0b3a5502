import { execFile, execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import zlib from 'node:zlib';
import { build } from 'esbuild';
import { esbuildOptionsOf } from './esbuild-options';
import { measureDeferredConstruction, renderDeferredConstruction, type DeferredConstruction } from './deferred-observability';
import { measurePhoneMetadata, renderPhoneMetadata, type MetadataResult } from './phone-metadata';
import { median } from './stats';
import { editBenchmarks } from './sections';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..');
const COPIED = ['functions', 'lib', 'types', 'resources', 'serverless.yml', 'package.json', 'tsconfig.json'];
const REFERENCE_ENTRY = path.join(__dirname, 'reference/handler.ts');
/** The module load of a function before the import-graph fixes, when recorded (`--save-before`): BENCHMARKS.md shows both. */
const BEFORE_FILE = path.join(__dirname, 'cold-start-before.json');

/**
 * Module load as a ratio to the reference bundle (bench/reference/handler.ts: @middy/core, zod and the DynamoDB
 * document client, one GetItem), issue 22's targets. The two functions that place calls carry the phone-number metadata
 * and time zones their policy needs; every other function should cost about what the minimal stack costs.
 */
export const LOAD_RATIO_TARGETS: Record<string, number> = { callsCreate: 1.3, hooks: 1.3 };
export const DEFAULT_LOAD_RATIO_TARGET = 1.1;
export const loadRatioTarget = (fn: string) => LOAD_RATIO_TARGETS[fn] ?? DEFAULT_LOAD_RATIO_TARGET;

export interface ColdStartRow {
  fn: string;
  zipBytes: number;
  rawBytes: number;
  gzipBytes: number;
  /** Median module load with the deployed NODE_OPTIONS (source maps on). */
  loadMs: number;
  /** Median module load without source-map support, for comparison. */
  loadMsNoMaps: number;
  /** Median over the rounds of this bundle's load over the reference's in the same round (source maps on). */
  ratio: number;
  /** The same without source maps. */
  ratioNoMaps: number;
  target: number;
}

export interface ColdStartResult {
  rows: ColdStartRow[];
  reference: Omit<ColdStartRow, 'fn' | 'zipBytes' | 'ratio' | 'ratioNoMaps' | 'target'>;
  packageMs: number;
  runs: number;
  /** Recorded by an earlier run with `--save-before`, if any. */
  before?: SavedColdStart;
  /** The phone-number metadata sets of the call policy compared (bench/phone-metadata.ts). */
  phoneMetadata: MetadataResult;
  /** What the logger's and metrics' construction at first use keeps out of the loads above. */
  deferred: DeferredConstruction;
}

interface SavedColdStart {
  when: string;
  referenceLoadMs: number;
  rows: Record<string, { rawBytes: number; gzipBytes: number; loadMs: number; ratio: number }>;
}

/**
 * Packages the service as `serverless package` does for a deploy (in a copy, so a running local stack is not
 * disturbed), bundles the reference with the same esbuild settings (serverless.yml's `custom.esbuild`), then times
 * the `require` of every bundle in fresh Node processes. The bundles take turns within each round, so a load
 * change on the machine (other work, CPU throttling) shifts the reference and the functions alike.
 */
export async function measureColdStarts(runs = 20): Promise<ColdStartResult> {
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

    const referenceJs = path.join(sandbox, 'reference', 'handler.js');
    await build({
      ...esbuildOptionsOf(path.join(ROOT, 'serverless.yml')),
      entryPoints: [REFERENCE_ENTRY],
      outfile: referenceJs,
      logLevel: 'silent',
    });

    const bundles: { fn: string; js: string; zipBytes: number }[] = [];
    const zips = readdirSync(path.join(sandbox, '.serverless')).filter((f) => f.endsWith('.zip'));
    for (const zip of zips.sort()) {
      const fn = zip.replace(/\.zip$/, '');
      const dir = path.join(sandbox, 'unzipped', fn);
      mkdirSync(dir, { recursive: true });
      execFileSync('unzip', ['-q', '-o', path.join(sandbox, '.serverless', zip), '-d', dir]);
      bundles.push({ fn, js: findMainJs(dir), zipBytes: statSync(path.join(sandbox, '.serverless', zip)).size });
    }

    const files = [referenceJs, ...bundles.map((b) => b.js)];
    const withMaps = await loadTimes(files, runs, '--enable-source-maps');
    const withoutMaps = await loadTimes(files, runs, '');
    const sizes = (js: string) => {
      const code = readFileSync(js);
      return { rawBytes: code.length, gzipBytes: zlib.gzipSync(code).length };
    };
    const reference = {
      ...sizes(referenceJs),
      loadMs: median(withMaps.get(referenceJs)!),
      loadMsNoMaps: median(withoutMaps.get(referenceJs)!),
    };
    // Paired by round: a burst of other work on the machine slows the reference and the function of that round alike.
    const ratioOf = (samples: Map<string, number[]>, js: string) =>
      median(samples.get(js)!.map((t, i) => t / samples.get(referenceJs)![i]!));
    const rows = bundles.map(({ fn, js, zipBytes }) => ({
      fn,
      zipBytes,
      ...sizes(js),
      loadMs: median(withMaps.get(js)!),
      loadMsNoMaps: median(withoutMaps.get(js)!),
      ratio: ratioOf(withMaps, js),
      ratioNoMaps: ratioOf(withoutMaps, js),
      target: loadRatioTarget(fn),
    }));
    const before = existsSync(BEFORE_FILE) ? (JSON.parse(readFileSync(BEFORE_FILE, 'utf8')) as SavedColdStart) : undefined;
    const options = esbuildOptionsOf(path.join(ROOT, 'serverless.yml'));
    const phoneMetadata = await measurePhoneMetadata(options, runs);
    const deferred = await measureDeferredConstruction(options, runs);
    return { rows, reference, packageMs, runs, phoneMetadata, deferred, ...(before ? { before } : {}) };
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

/** Per file, `runs` samples (one a round) of the time `require` takes in a fresh process: module evaluation, client construction included. */
async function loadTimes(files: string[], runs: number, nodeOptions: string): Promise<Map<string, number[]>> {
  const samples = new Map(files.map((f) => [f, [] as number[]]));
  for (let i = 0; i < runs; i++) {
    for (const file of files) {
      const script = `const t=performance.now();require(${JSON.stringify(file)});process.stdout.write(String(performance.now()-t))`;
      const { stdout } = await run(process.execPath, ['-e', script], {
        env: {
          PATH: process.env.PATH,
          NODE_OPTIONS: nodeOptions,
          TABLE_NAME: 'c2c-bench',
          // As the stack sets it: a stage without a seal key refuses to start (lib/secrets/seal.ts).
          SEAL_KMS_KEY_ID: 'alias/c2c-bench',
          // Likewise a stage without a cursor secret (lib/store/pagination.ts).
          CURSOR_SECRET: 'c2c-bench-cursor-secret-of-32-characters-or-more',
          AWS_REGION: 'eu-west-1',
          AWS_NODEJS_CONNECTION_REUSE_ENABLED: '1',
          NODE_NO_WARNINGS: '1',
        },
      });
      samples.get(file)!.push(Number(stdout));
    }
  }
  return samples;
}

const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;
const ms = (n: number) => `${n.toFixed(1)} ms`;
const verdict = (ok: boolean) => (ok ? 'holds' : '**missed**');

export const COLD_START_HEADING = '## Cold start, per function';

/** The section of BENCHMARKS.md: per function, sizes, module load and its ratio to the reference, with the verdicts. */
export function renderColdStartSection(r: ColdStartResult): string[] {
  const lines = [COLD_START_HEADING, ''];
  lines.push(
    `From the zips of \`serverless package\` (${(r.packageMs / 1000).toFixed(1)} s to package). Module load: median of ${r.runs} fresh Node processes timing ` +
      '`require` of the bundle (evaluation and client construction), with the deployed `NODE_OPTIONS=--enable-source-maps`, and without it. ' +
      "Ratio: each round loads every bundle once, in turn; the ratio is the median over the rounds of the function's load over the reference's in the same round " +
      '(the verdict reads it with source maps on, as deployed). ' +
      'The reference (`bench/reference/handler.ts`) is the minimal stack for one endpoint: `@middy/core`, `zod` and the DynamoDB document client, ' +
      "one GetItem, bundled in the same run with serverless.yml's `custom.esbuild` settings. Targets (issue 22): callsCreate and hooks at most " +
      `${LOAD_RATIO_TARGETS.callsCreate} x (they carry the phone-number metadata and time zones of the call policy), every other function at most ${DEFAULT_LOAD_RATIO_TARGET} x. ` +
      'Run this section alone with `npm run bench -- --only cold-start`. ' +
      'The notification transports (the webhook, the CRM call logging of HubSpot, Pipedrive and Salesforce, over HTTP with no CRM SDK) ' +
      "run in `notify` and `notifyRetry`: their rows are the transports' bundle and cold start; `callsCreate` and `hooks` carry none of them " +
      '(test/unit/compose/bundles.test.ts). `callsGet`, `callsList`, `callsCancel`, `agents`, `dnc`, `hookDeliveries` and `statsAgents` ' +
      'read tenants without their sealed fields and carry no KMS client. ' +
      renderDeferredConstruction(r.deferred),
    '',
  );
  const ref = r.reference;
  lines.push(
    '| function | zip | bundle raw | bundle gzip | load (source maps on) | load (off) | ratio to reference (maps on) | ratio (maps off) | target | verdict |',
    '|---|---|---|---|---|---|---|---|---|---|',
  );
  lines.push(
    `| *reference* | | ${kb(ref.rawBytes)} | ${kb(ref.gzipBytes)} | ${ms(ref.loadMs)} | ${ms(ref.loadMsNoMaps)} | 1.00 x | 1.00 x | | |`,
  );
  for (const row of r.rows) {
    lines.push(
      `| ${row.fn} | ${kb(row.zipBytes)} | ${kb(row.rawBytes)} | ${kb(row.gzipBytes)} | ${ms(row.loadMs)} | ${ms(row.loadMsNoMaps)} | ${row.ratio.toFixed(2)} x | ${row.ratioNoMaps.toFixed(2)} x | ${row.target} x | ${verdict(row.ratio <= row.target)} |`,
    );
  }
  lines.push('');
  if (r.before) {
    lines.push(
      `Before the import-graph fixes: the same measurement recorded on ${r.before.when} (\`bench/cold-start-before.json\`, made by ` +
        '`npx tsx bench/cold-start.ts --save-before` on the tree before them). Ratios compare across runs; milliseconds do not (other load on the machine).',
      '',
    );
    lines.push(
      '| function | bundle raw before | now | gzip before | now | ratio before | now | target |',
      '|---|---|---|---|---|---|---|---|',
    );
    for (const row of r.rows) {
      const b = r.before.rows[row.fn];
      if (!b) continue;
      lines.push(
        `| ${row.fn} | ${kb(b.rawBytes)} | ${kb(row.rawBytes)} | ${kb(b.gzipBytes)} | ${kb(row.gzipBytes)} | ${b.ratio.toFixed(2)} x | ${row.ratio.toFixed(2)} x | ${row.target} x |`,
      );
    }
    lines.push('');
  }
  lines.push(...renderPhoneMetadata(r.phoneMetadata));
  return lines;
}

/** Replaces the cold-start section of an existing BENCHMARKS.md (up to the next `## ` heading), keeping the rest. */
export function replaceColdStartSection(markdown: string, section: string[]): string {
  const start = markdown.indexOf(`${COLD_START_HEADING}\n`);
  if (start < 0) return `${markdown.trimEnd()}\n\n${section.join('\n')}\n`;
  const next = markdown.indexOf('\n## ', start + COLD_START_HEADING.length);
  return `${markdown.slice(0, start)}${section.join('\n')}\n${next < 0 ? '' : markdown.slice(next + 1)}`;
}

function save(r: ColdStartResult): void {
  const saved: SavedColdStart = {
    when: new Date().toISOString(),
    referenceLoadMs: r.reference.loadMs,
    rows: Object.fromEntries(
      r.rows.map((row) => [row.fn, { rawBytes: row.rawBytes, gzipBytes: row.gzipBytes, loadMs: row.loadMs, ratio: row.ratio }]),
    ),
  };
  writeFileSync(BEFORE_FILE, `${JSON.stringify(saved, null, 2)}\n`);
}

/** `npx tsx bench/cold-start.ts [--runs N] [--write] [--save-before]`: this section alone. */
export async function coldStartOnly(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      runs: { type: 'string', default: '20' },
      write: { type: 'boolean', default: false },
      'save-before': { type: 'boolean', default: false },
    },
  });
  const result = await measureColdStarts(Number(values.runs));
  if (values['save-before']) {
    save(result);
    delete result.before;
  }
  const section = renderColdStartSection(result);
  console.log(section.join('\n'));
  if (values.write) {
    editBenchmarks((markdown) => replaceColdStartSection(markdown, section));
  }
}

if (require.main === module) {
  coldStartOnly(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
