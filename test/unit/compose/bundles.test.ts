/**
 * What each function's bundle holds, from esbuild's metafile with serverless.yml's bundling: a function carries
 * the libraries its own use case needs and no other (BENCHMARKS.md, "Cold start, per function": module load is
 * mostly V8 compiling the bundle). Guards the import graph, not sizes: one stray import pulls a whole library in.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { load as loadYaml } from 'js-yaml';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../../..');
const serverless = loadYaml(readFileSync(path.join(ROOT, 'serverless.yml'), 'utf8')) as { functions: Record<string, { handler: string }> };
const FUNCTIONS = Object.entries(serverless.functions).map(([name, f]) => ({
  name,
  entry: path.join(ROOT, `${f.handler.replace(/\.[^.]+$/, '')}.ts`),
}));

const packagesOf = new Map<string, Set<string>>();
/** The repository's own modules each bundle holds, by path from the root. */
const modulesOf = new Map<string, string[]>();

beforeAll(async () => {
  await Promise.all(
    FUNCTIONS.map(async ({ name, entry }) => {
      const result = await build({
        entryPoints: [entry],
        bundle: true,
        platform: 'node',
        format: 'cjs',
        target: 'node22',
        mainFields: ['module', 'main'],
        write: false,
        outdir: path.join(ROOT, '.esbuild', 'bundles-test'),
        metafile: true,
        logLevel: 'silent',
      });
      // What the bundle holds: the inputs that left bytes in the output (esbuild's metafile `inputs` also lists what it
      // read and then shook out, such as a library only an unused function imports).
      const held = Object.entries(Object.values(result.metafile.outputs).find((o) => o.entryPoint)!.inputs)
        .filter(([, input]) => input.bytesInOutput > 0)
        .map(([file]) => file);
      const packages = new Set<string>();
      for (const input of held) {
        const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
        if (match) packages.add(match[1]!);
      }
      packagesOf.set(name, packages);
      modulesOf.set(
        name,
        held.filter((input) => !input.includes('node_modules/')),
      );
    }),
  );
}, 60_000);

const holding = (pkg: string) =>
  FUNCTIONS.map((f) => f.name)
    .filter((name) => packagesOf.get(name)!.has(pkg))
    .sort();

describe('function bundles', () => {
  it('carry the phone-number metadata and the time zones only where a call is placed', () => {
    // dnc reads the numbers it lists as a call's `to` is read.
    expect(holding('libphonenumber-js')).toEqual(['callsCreate', 'dispatchDue', 'dnc', 'hooks']);
    // The tenant's settings (GET/PATCH /v1/tenant) check a default country against the ISO 3166-1 list: the countries,
    // not the phone metadata. Off the call path, its cold start is an operator's, not a ringing phone's.
    expect(holding('countries-and-timezones')).toEqual(['callsCreate', 'dispatchDue', 'hooks', 'tenant']);
  });

  it('carry the CRM call-logging transports only where notifications are delivered, never on the call path', () => {
    // The transports speak to the CRMs over HTTP (lib/notify/transports/crm-http.ts): no CRM SDK anywhere.
    const crmModules = (name: string) =>
      modulesOf.get(name)!.filter((m) => /^lib\/notify\/transports\/(hubspot|pipedrive|salesforce)/.test(m));
    const holdingCrm = FUNCTIONS.map((f) => f.name)
      .filter((name) => crmModules(name).length > 0)
      .sort();
    expect(holdingCrm).toEqual(['notify', 'notifyRetry']);
    for (const name of ['callsCreate', 'hooks'])
      expect(
        modulesOf.get(name)!.filter((m) => m.startsWith('lib/notify/')),
        name,
      ).toEqual([]);
    for (const pkg of ['@hubspot/api-client', 'pipedrive', 'jsforce']) expect(holding(pkg), pkg).toEqual([]);
  });

  it('carry the metrics client only in the functions that publish metrics', () => {
    // notify: a held delivery (DeliveriesHeld) is counted where it happens.
    expect(holding('@aws-lambda-powertools/metrics')).toEqual([
      'callsCreate',
      'dispatchDue',
      'hooks',
      'notify',
      'notifyRetry',
      'reconcile',
    ]);
  });

  it('leave the DynamoDB client and the KMS SDK out of the functions that read no table', () => {
    for (const name of ['console', 'docs', 'health', 'openapi']) {
      expect(packagesOf.get(name), name).not.toContain('@aws-sdk/lib-dynamodb');
      expect(packagesOf.get(name), name).not.toContain('@aws-sdk/client-kms');
    }
  });

  it('leave the sealer and the KMS SDK out of the functions that use no secret (they authenticate without opening one)', () => {
    // lib/store/tenant-profiles.ts: the tenant without its sealed fields. Only what dials, notifies, reconciles, probes
    // or edits a tenant's secrets carries the sealer.
    expect(holding('@aws-sdk/client-kms')).toEqual([
      'callsCreate',
      'dispatchDue',
      'hooks',
      'notify',
      'notifyRetry',
      'pbxEvents',
      'pbxProbe',
      'reconcile',
      // Seals a new subscription's signing secret; it reads the tenant without opening any of its secrets.
      'subscriptions',
      'tenant',
    ]);
    for (const name of ['agents', 'callsCancel', 'callsGet', 'callsList', 'dnc', 'hookDeliveries', 'statsAgents']) {
      expect(modulesOf.get(name), name).not.toContain('lib/secrets/seal.ts');
    }
  });

  it('leave the call store out of the functions that read no call, and the subscription inputs out of the delivering ones', () => {
    // A module's zod schemas are built when it is imported, whatever the bundle uses of it (BENCHMARKS.md, "Cold start,
    // per function"): lib/compose/readers.ts gives these functions their table without the call store's modules.
    const callStore = ['lib/store/calls/stored-call.ts', 'lib/store/calls/ledger.ts', 'lib/model/call.ts'];
    for (const name of ['agents', 'dnc', 'hookDeliveries', 'pbxProbe', 'subscriptions', 'tenant']) {
      expect(
        modulesOf.get(name)!.filter((m) => callStore.includes(m)),
        name,
      ).toEqual([]);
    }
    for (const name of ['notify', 'notifyRetry']) expect(modulesOf.get(name), name).not.toContain('lib/model/subscription-input.ts');
  });

  it('carry no build-time renderer: the docs function ships the contract as rendered HTML only', () => {
    for (const pkg of ['marked', 'marked-gfm-heading-id', 'github-slugger']) expect(holding(pkg), pkg).toEqual([]);
    expect(modulesOf.get('docs')).toEqual(expect.arrayContaining(['lib/docs/generated/api-html.ts']));
  });

  it('carry no schema converter in the openapi function: it ships the document as built, beside the HTTP layer the docs function holds', () => {
    // What the docs function holds besides its page is the shared HTTP layer; the openapi function holds that and the
    // generated document only: no route table, no zod schema of lib/model, no converter to JSON Schema.
    const shared = new Set(modulesOf.get('docs'));
    expect(
      modulesOf
        .get('openapi')!
        .filter((input) => !shared.has(input))
        .sort(),
    ).toEqual(['functions/openapi.ts', 'lib/compose/openapi.ts', 'lib/openapi/generated/document.ts']);
    expect(
      modulesOf.get('openapi')!.filter((input) => /^lib\/(openapi\/(?!generated\/)|model\/(?!domain-error\.ts$))/.test(input)),
    ).toEqual([]);
  });

  it('carry no CLI, no local tool and no test module: the sample events of each CRM source stay out of the hooks bundle', () => {
    for (const { name } of FUNCTIONS) {
      expect(
        modulesOf.get(name)!.filter((input) => /^(local|test|bench|scripts)\/|^lib\/cli\//.test(input)),
        name,
      ).toEqual([]);
    }
    expect(modulesOf.get('hooks')).toEqual(expect.arrayContaining(['lib/crm/sources/index.ts', 'lib/crm/sources/hubspot.ts']));
  });

  it('carry nothing of the Zapier app (an npm workspace of the repository) nor of its platform', () => {
    for (const { name } of FUNCTIONS) {
      expect(
        [...packagesOf.get(name)!].filter((pkg) => /zapier/.test(pkg)),
        name,
      ).toEqual([]);
      expect(
        modulesOf.get(name)!.filter((input) => input.startsWith('integrations/')),
        name,
      ).toEqual([]);
    }
  });
});
