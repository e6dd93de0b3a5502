/**
 * The phone-number metadata choice of the call policy (BENCHMARKS.md, "Cold start, per function"): libphonenumber's full
 * set (`libphonenumber-js/max`, what the service read numbers with before), its `min` and `mobile` sets, and the set cut
 * to what the policy reads (scripts/build-phone-metadata.ts: the full set without the formatting rules), as an object
 * literal and as the service now ships it (lib/policy/generated/phone-metadata.ts, JSON text for JSON.parse). For each:
 * the bundle bytes and module load of the library with it, and which of the policy's number checks still hold, from the
 * policy's own code (lib/policy/phone.ts, lib/policy/destination.ts) run with it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { BuildOptions } from 'esbuild';
import { parsePhoneNumberFromString, type MetadataJson } from 'libphonenumber-js/core';
import examples from 'libphonenumber-js/examples.mobile.json';
import maxMetadata from 'libphonenumber-js/metadata.max.json';
import minMetadata from 'libphonenumber-js/metadata.min.json';
import mobileMetadata from 'libphonenumber-js/metadata.mobile.json';
import { callPolicySchema } from '../lib/model/call-policy';
import { checkDestination } from '../lib/policy/destination';
import { PHONE_METADATA } from '../lib/policy/generated/phone-metadata';
import { numberNormalizer, type ParsePhoneNumber } from '../lib/policy/phone';
import { generatedPhoneMetadataModule, policyMetadata } from '../scripts/build-phone-metadata';
import { bundleBenchEntry, esbuildOptionsOf } from './esbuild-options';
import { median } from './stats';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..');

/** Each set, and how its bundle carries it: as an object literal (esbuild's JSON import) or as JSON text for JSON.parse. */
export const METADATA_VARIANTS: Record<string, { metadata: MetadataJson; form: 'literal' | 'JSON.parse' }> = {
  'max, literal (before)': { metadata: maxMetadata, form: 'literal' },
  'min, literal': { metadata: minMetadata, form: 'literal' },
  'mobile, literal': { metadata: mobileMetadata, form: 'literal' },
  'policy (max without formats), literal': { metadata: policyMetadata(maxMetadata), form: 'literal' },
  'policy, JSON.parse (the service now)': { metadata: PHONE_METADATA, form: 'JSON.parse' },
};
type Variant = keyof typeof METADATA_VARIANTS;

/**
 * The policy's number cases (test/unit/policy/phone-and-destination.test.ts), by the check each stands for. Run with
 * every metadata through the policy's own code; a case holds when its outcome is the one the full metadata gives.
 */
export const POLICY_NUMBER_CASES: { check: string; raw: string; defaultCountry?: string }[] = [
  { check: 'valid for its country', raw: '+44 7766 889900' },
  { check: 'valid for its country', raw: '07766 889900', defaultCountry: 'GB' },
  { check: 'valid for its country', raw: '(212) 555-0123', defaultCountry: 'US' },
  { check: 'valid for its country', raw: '+44 (0) 7766-889900' },
  { check: 'valid for its country', raw: '+44 12', defaultCountry: 'GB' },
  // A German number of a possible length under a prefix no German number has: only the full patterns refuse it.
  { check: 'valid for its country', raw: '+49 10 1234567' },
  { check: 'country refused', raw: '+33612345678' },
  { check: 'premium-rate refused', raw: '+449098790000' },
  { check: 'shared-cost refused', raw: '+49180212345' },
  { check: 'mobile allowed', raw: '+447766889900' },
  { check: 'fixed line allowed', raw: '+12125550123' },
];

const policy = callPolicySchema.parse({ allowedCountries: ['GB', 'US', 'DE'] });

/** What the policy makes of a number with one metadata: refused as invalid, refused by the destination rules, or allowed. */
function outcome(parse: ParsePhoneNumber, raw: string, defaultCountry: string | undefined): string {
  const number = numberNormalizer(parse)(raw, defaultCountry);
  if (!number) return 'invalid';
  const refusal = checkDestination(number, policy, 'GB');
  return `${number.e164} ${number.country ?? '-'} ${number.type ?? 'unknown type'}: ${refusal ? refusal.detail : 'allowed'}`;
}

const parserOf =
  (metadata: MetadataJson): ParsePhoneNumber =>
  (text, options) =>
    parsePhoneNumberFromString(text, options, metadata);

export interface MetadataRow {
  variant: Variant;
  rawBytes: number;
  gzipBytes: number;
  /** Median module load of the library with this metadata, source maps on, as deployed. */
  loadMs: number;
  /** The policy's cases whose outcome is the full metadata's. */
  casesHeld: number;
  /** The checks of the cases that do not hold. */
  lost: string[];
  /** Of the mobile example number of every country: those read (valid, country, type) as the full metadata reads them. */
  examplesAgreeing: number;
  examples: number;
}

export interface MetadataResult {
  rows: MetadataRow[];
  cases: number;
  runs: number;
}

/** Bundles the library with each metadata (serverless.yml's esbuild settings) and times its load in fresh processes, interleaved. */
export async function measurePhoneMetadata(esbuildOptions: BuildOptions, runs = 20): Promise<MetadataResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'c2c-bench-phone-'));
  try {
    const variants = Object.keys(METADATA_VARIANTS);
    const bundles = new Map<Variant, string>();
    for (const [i, variant] of variants.entries()) {
      const { metadata, form } = METADATA_VARIANTS[variant]!;
      const source = path.join(dir, form === 'literal' ? `metadata-${i}.json` : `metadata-${i}.ts`);
      writeFileSync(source, form === 'literal' ? JSON.stringify(metadata) : generatedPhoneMetadataModule(metadata));
      const imported = form === 'literal' ? 'metadata' : '{ PHONE_METADATA as metadata }';
      const entry = path.join(dir, `entry-${i}.ts`);
      writeFileSync(
        entry,
        `import { parsePhoneNumberFromString } from 'libphonenumber-js/core';\nimport ${imported} from ${JSON.stringify(source)};\n` +
          'export const parse = (text: string) => parsePhoneNumberFromString(text, metadata as never);\n',
      );
      const outfile = path.join(dir, `bundle-${i}.js`);
      await bundleBenchEntry(esbuildOptions, entry, outfile);
      bundles.set(variant, outfile);
    }
    const samples = new Map<Variant, number[]>(variants.map((v) => [v, []]));
    for (let i = 0; i < runs; i++) {
      // Each round starts at another variant: none is always the first (or the last) to load after the others.
      for (const variant of [...variants.slice(i % variants.length), ...variants.slice(0, i % variants.length)]) {
        const script = `const t=performance.now();require(${JSON.stringify(bundles.get(variant))});process.stdout.write(String(performance.now()-t))`;
        const { stdout } = await run(process.execPath, ['-e', script], {
          env: { PATH: process.env.PATH, NODE_OPTIONS: '--enable-source-maps' },
        });
        samples.get(variant)!.push(Number(stdout));
      }
    }
    const full = parserOf(maxMetadata);
    const exampleNumbers = Object.entries(examples as Record<string, string>);
    const readAs = (parse: ParsePhoneNumber, country: string, national: string) => {
      const parsed = parse(national, { defaultCountry: country as never });
      return parsed ? `${String(parsed.isValid())} ${parsed.country ?? '-'} ${parsed.getType() ?? '-'}` : 'none';
    };
    const rows = variants.map((variant): MetadataRow => {
      const parse = parserOf(METADATA_VARIANTS[variant]!.metadata);
      const lost = POLICY_NUMBER_CASES.filter(
        (c) => outcome(parse, c.raw, c.defaultCountry) !== outcome(full, c.raw, c.defaultCountry),
      ).map((c) => c.check);
      const code = readFileSync(bundles.get(variant)!);
      return {
        variant,
        rawBytes: code.length,
        gzipBytes: zlib.gzipSync(code).length,
        loadMs: median(samples.get(variant)!),
        casesHeld: POLICY_NUMBER_CASES.length - lost.length,
        lost: [...new Set(lost)],
        examplesAgreeing: exampleNumbers.filter(
          ([country, national]) => readAs(parse, country, national) === readAs(full, country, national),
        ).length,
        examples: exampleNumbers.length,
      };
    });
    return { rows, cases: POLICY_NUMBER_CASES.length, runs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The table of BENCHMARKS.md's cold-start section. */
export function renderPhoneMetadata(r: MetadataResult): string[] {
  const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;
  const lines = [
    '### Phone-number metadata',
    '',
    'The call policy reads numbers with libphonenumber-js (`lib/policy/phone.ts`, in callsCreate, hooks, dispatchDue and dnc). ' +
      'Each row: the library with one metadata set, bundled alone with the same esbuild settings (raw and gzip bytes), its module load ' +
      `(median of ${r.runs} fresh processes, interleaved, source maps on), and the policy's ${r.cases} number cases run through the policy's own code ` +
      "with it (`bench/phone-metadata.ts`): a case holds when its outcome (invalid, or the number, its country and type, and the policy's verdict) " +
      'is the one the full metadata gives. Last column: the mobile example number of every country, read the same (valid, country, type) as with the full metadata. ' +
      '`policy` is max without the formatting rules, which the policy never uses (it parses, validates and types numbers; it formats none): ' +
      'the service reads numbers with it since issue 22, as JSON text for JSON.parse (`lib/policy/generated/phone-metadata.ts`, made by `npm run build:phone-metadata`).',
    '',
    "| metadata | bundle raw | bundle gzip | module load | policy cases that hold | what is lost | countries' examples read alike |",
    '|---|---|---|---|---|---|---|',
  ];
  for (const row of r.rows) {
    lines.push(
      `| ${row.variant} | ${kb(row.rawBytes)} | ${kb(row.gzipBytes)} | ${row.loadMs.toFixed(1)} ms | ${row.casesHeld} of ${r.cases} | ${row.lost.join(', ') || 'nothing'} | ${row.examplesAgreeing} of ${row.examples} |`,
    );
  }
  lines.push('');
  return lines;
}

if (require.main === module) {
  void (async () => {
    const result = await measurePhoneMetadata(esbuildOptionsOf(path.join(ROOT, 'serverless.yml')), Number(process.argv[2] ?? 20));
    console.log(renderPhoneMetadata(result).join('\n'));
  })();
}
