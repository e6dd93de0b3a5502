import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { build } from 'esbuild';
import { EnvelopeSealer, type DataKeyProvider } from '../lib/secrets/seal';
import { median } from './stats';

const run = promisify(execFile);

export interface SealColdStart {
  /** gzip bytes of the callsCreate bundle as deployed: the KMS SDK inside (imported lazily, evaluated on first use). */
  gzipBytes: number;
  /** The same bundle with the KMS SDK left out: the difference is what the SDK adds to a function. */
  gzipBytesNoSdk: number;
  /** Median `require` of each bundle in fresh processes: the SDK's code is parsed, not evaluated. */
  loadMs: number;
  loadMsNoSdk: number;
  /** Median `require` of the sealer alone (lib/secrets/seal.ts without the SDK). */
  sealerLoadMs: number;
  /** First open in a fresh process: SDK evaluation, client, credentials, one Decrypt round trip (local stand-in), AES-GCM. */
  firstOpenMs: number;
  /** Second open of the same container: the data key is cached, so AES-GCM only. */
  secondOpenMs: number;
  runs: number;
}

const DATA_KEY = Buffer.alloc(32, 5);
const BLOB = Buffer.from('bench-wrapped-data-key-blob-0000');

/**
 * Cold-start cost of secrets at rest (lib/secrets/seal.ts): the sealer bundled as serverless-esbuild bundles the
 * functions, required in fresh Node processes, then a first and a second open against a stand-in KMS on loopback
 * that answers Decrypt with a fixed key (the real SDK path: serialisation, SigV4, HTTP; no AWS round trip).
 */
export async function measureSealColdStart(runs = 20): Promise<SealColdStart> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'c2c-bench-seal-'));
  const kms = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(
        JSON.stringify({
          KeyId: 'arn:aws:kms:eu-west-1:000000000000:key/bench',
          Plaintext: DATA_KEY.toString('base64'),
          EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        }),
      );
    });
  });
  await new Promise<void>((resolve) => kms.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(kms.address() as AddressInfo).port}`;
  try {
    const withSdk = path.join(dir, 'calls-create.js');
    const noSdk = path.join(dir, 'calls-create-no-kms.js');
    const probe = path.join(dir, 'probe.js');
    const sealerOnly = path.join(dir, 'sealer.js');
    // serverless.yml's esbuild settings, without the source map.
    const options = {
      bundle: true,
      minify: true,
      format: 'cjs' as const,
      platform: 'node' as const,
      target: 'node22',
      mainFields: ['module', 'main'],
      logLevel: 'silent' as const,
    };
    const createEntry = path.resolve(__dirname, '../functions/calls-create.ts');
    await build({ ...options, entryPoints: [createEntry], outfile: withSdk });
    await build({ ...options, entryPoints: [createEntry], outfile: noSdk, external: ['@aws-sdk/client-kms'] });
    await build({ ...options, entryPoints: [path.resolve(__dirname, 'seal-probe.ts')], outfile: probe });
    await build({
      ...options,
      entryPoints: [path.resolve(__dirname, 'seal-probe.ts')],
      outfile: sealerOnly,
      external: ['@aws-sdk/client-kms'],
    });

    const fixed: DataKeyProvider = {
      kind: 'kms',
      generate: () => Promise.resolve({ plaintext: DATA_KEY, wrapped: BLOB }),
      unwrap: () => Promise.resolve(DATA_KEY),
    };
    const sealed = await new EnvelopeSealer(fixed).seal('bench-pbx-password', {
      tenantId: 'bench',
      purpose: 'tenant-secrets',
      item: 'pbx.basicAuth.password',
    });

    const script = (file: string, open: boolean) =>
      `const t=performance.now();const m=require(${JSON.stringify(file)});const load=performance.now()-t;` +
      (open
        ? `m.openTwice(${JSON.stringify(sealed)},${JSON.stringify(endpoint)}).then(r=>process.stdout.write(JSON.stringify({load,...r})),e=>{console.error(e);process.exit(1)})`
        : `process.stdout.write(JSON.stringify({load}))`);
    const env = {
      PATH: process.env.PATH,
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      AWS_REGION: 'eu-west-1',
      TABLE_NAME: 'c2c-bench',
      SEAL_KMS_KEY_ID: 'alias/c2c-bench',
      CURSOR_SECRET: 'c2c-bench-cursor-secret-of-32-characters-or-more',
      NODE_NO_WARNINGS: '1',
    };
    const load = async (file: string) =>
      (JSON.parse((await run(process.execPath, ['-e', script(file, false)], { env })).stdout) as { load: number }).load;
    const samples = {
      load: [] as number[],
      loadNoSdk: [] as number[],
      sealer: [] as number[],
      first: [] as number[],
      second: [] as number[],
    };
    for (let i = 0; i < runs; i++) {
      // Interleaved, so that load on the machine weighs on each alike.
      samples.load.push(await load(withSdk));
      samples.loadNoSdk.push(await load(noSdk));
      samples.sealer.push(await load(sealerOnly));
      const opened = JSON.parse((await run(process.execPath, ['-e', script(probe, true)], { env })).stdout) as {
        firstMs: number;
        secondMs: number;
      };
      samples.first.push(opened.firstMs);
      samples.second.push(opened.secondMs);
    }
    return {
      gzipBytes: zlib.gzipSync(readFileSync(withSdk)).length,
      gzipBytesNoSdk: zlib.gzipSync(readFileSync(noSdk)).length,
      loadMs: median(samples.load),
      loadMsNoSdk: median(samples.loadNoSdk),
      sealerLoadMs: median(samples.sealer),
      firstOpenMs: median(samples.first),
      secondOpenMs: median(samples.second),
      runs,
    };
  } finally {
    kms.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The BENCHMARKS.md section (bench/run.ts). */
export function renderSealSection(r: SealColdStart): string[] {
  const ms = (n: number) => `${n.toFixed(1)} ms`;
  const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;
  return [
    '## Cold start: secrets at rest',
    '',
    `\`bench/seal.ts\`: the callsCreate bundle built as serverless-esbuild builds it, with the KMS SDK inside (as deployed) and with it left ` +
      `out; the sealer alone; then a first and a second open of a sealed PBX password in a fresh process, through the real KMS client against a ` +
      `stand-in KMS on loopback that answers Decrypt with a fixed 32-byte key (so no AWS round trip is in the figure: add one Decrypt, ` +
      `typically 5-15 ms in-region). Medians of ${r.runs} fresh Node processes, interleaved.`,
    '',
    '| what | measured |',
    '|---|---|',
    `| callsCreate bundle, gzip, with / without the KMS SDK | ${kb(r.gzipBytes)} / ${kb(r.gzipBytesNoSdk)} (+${kb(r.gzipBytes - r.gzipBytesNoSdk)}) |`,
    `| callsCreate module load, with / without the KMS SDK (parsed, not evaluated: it is imported on first use) | ${ms(r.loadMs)} / ${ms(r.loadMsNoSdk)} (${r.loadMs >= r.loadMsNoSdk ? '+' : ''}${ms(r.loadMs - r.loadMsNoSdk)}) |`,
    `| module load of the sealer alone (lib/secrets/seal.ts, node:crypto) | ${ms(r.sealerLoadMs)} |`,
    `| first open in a container: SDK evaluation, client and credentials, Decrypt, AES-256-GCM | ${ms(r.firstOpenMs)} |`,
    `| next opens (data key cached for SEAL_DATA_KEY_TTL_SEC): AES-256-GCM only | ${ms(r.secondOpenMs)} |`,
  ];
}

if (require.main === module) {
  measureSealColdStart(Number(process.argv[2] ?? 20)).then(
    (r) => {
      console.log(JSON.stringify(r, null, 2));
      console.log(renderSealSection(r).join('\n'));
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
