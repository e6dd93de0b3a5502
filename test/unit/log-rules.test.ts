import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { issuePbxEventsToken, pbxEventsUrl } from '../../lib/calls/pbx-event-tokens';
import { SOURCE_ADAPTERS } from '../../lib/crm/sources';
import { newCallbackSecret } from '../../lib/notify/secrets';
import { EnvelopeSealer, LocalKeyProvider, newLocalKey } from '../../lib/secrets/seal';
import { maskPbxEventsToken } from '../../local/stack';
import { KnownSecrets, leaksIn } from '../support/log-rules';
import { knownSecrets, recordSecret } from '../support/secret-ledger';

const line = (secret: string) => `{"level":"INFO","message":"settings","value":${JSON.stringify(secret)}}`;
const generated = (source: 'standard' | 'pipedrive' | 'token') => SOURCE_ADAPTERS[source].secrets.generate!();
const sealer = new EnvelopeSealer(new LocalKeyProvider(newLocalKey()));
const sealFor = (tenantId: string, item: string) => ({ tenantId, purpose: 'tenant-secrets', item }) as const;

describe('the log scan rules', () => {
  it.each([
    ['a whole E.164 number', '{"level":"INFO","to":"+447766889900"}'],
    ['a number as typed', '{"message":"calling +44 7766 889900"}'],
    ['digits without the plus', '{"legB":"447766889900"}'],
    ['an API key', '{"key":"c2c_acme_abcdefghijklmnopqrstuvwxyzABCDEF12"}'],
    ['a webhook secret', '{"secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}'],
    ['a bearer header', '{"authorization":"Bearer abcdefghijklmnop"}'],
    ['a Standard Webhooks secret the CLI generates', line(generated('standard'))],
    ['a callback signing secret', line(newCallbackSecret().secret)],
    ['a c2ct_ token the CLI generates', line(generated('token'))],
    ['a Pipedrive password the CLI generates', line(generated('pipedrive'))],
    ['a PBX-event URL with its token', line(pbxEventsUrl('https://api.example.com', 'acme', issuePbxEventsToken().token))],
    ['a PBX URL with credentials in it', line('https://acme:Pbx-Pa55word@acme.pbx.example.com/click2call')],
  ])('finds %s', (_what, text) => {
    expect(leaksIn(text).length).toBeGreaterThan(0);
  });

  it.each([
    ['a masked number', '{"to":"+44*******900"}'],
    ['an EMF timestamp', '{"_aws":{"Timestamp":1795731560591}}'],
    ['a PBX unique id', '{"uniqueId":"1795729243.1001"}'],
    ['an ISO time', '{"timestamp":"2026-11-26T21:51:01.230Z"}'],
    ['a call id and key id', '{"callId":"c_HEDR0N6K5378QF7K0WDNP161P2","keyId":"k_d0p-H1HS"}'],
    ['a request id whose last group is all digits', '{"requestId":"5f0c2a9e-1b2c-4d3e-8f4a-843048629312"}'],
    ['a request id ending in digits and a letter', '{"requestId":"5f0c2a9e-1b2c-4d3e-8f4a-84304862931f"}'],
    ['a hex probe id', '{"probeId":"probe_1f2e3d4c5b6a7788990011"}'],
    ['a route with its token masked', maskPbxEventsToken(`POST ${pbxEventsUrl('', 'acme', issuePbxEventsToken().token)} (λ: pbxEvents)`)],
    ['the pbx-events route key', '{"route":"POST /v1/pbx-events/{tenantId}/{token}"}'],
    ['a secret id and hint', '{"secretId":"whs_Ab3dE5fG","hint":"…x9Qz"}'],
  ])('passes %s', (_what, text) => {
    expect(leaksIn(text, new KnownSecrets(knownSecrets()))).toEqual([]);
  });
});

describe('secrets without a shape: the scan knows the values the run used', () => {
  // Each is taken in through the service's own door (sealed, or hashed), which records it (test/support/record-secrets.ts).
  const takenIn: Array<[string, () => Promise<unknown>, string | null]> = [
    [
      'a PBX password',
      () => sealer.seal('Customer-Chosen-PBX-pass', sealFor('acme', 'pbx.basicAuth.password')),
      'Customer-Chosen-PBX-pass',
    ],
    ['a CDR API key', () => sealer.seal('cdr-9f8e7d6c5b4a', sealFor('acme', 'pbx.cdrApiKey')), 'cdr-9f8e7d6c5b4a'],
    [
      'a HubSpot client secret',
      () => sealer.seal('3f0c9a1e-hubspot-client', { tenantId: 'acme', purpose: 'webhook-secrets', item: 'hubspot.whs_1' }),
      '3f0c9a1e-hubspot-client',
    ],
    [
      "a customer's own token",
      () => Promise.resolve(SOURCE_ADAPTERS.token.secrets.toStored('zap-token-of-our-own-choosing-42')),
      'zap-token-of-our-own-choosing-42',
    ],
    [
      "a customer's Pipedrive password",
      () => Promise.resolve(SOURCE_ADAPTERS.pipedrive.secrets.toStored('pd-user:Pipedrive-Pa55word')),
      'Pipedrive-Pa55word',
    ],
    ['a PBX-event token, bare', () => Promise.resolve(issuePbxEventsToken().token), null],
  ];
  it.each(takenIn)('finds %s planted in a log line', async (_what, takeIn, value) => {
    const taken = await takeIn();
    const secret = value ?? String(taken);
    // No shape betrays it...
    expect(leaksIn(line(secret))).toEqual([]);
    // ...its value does, and the finding does not repeat it.
    const found = leaksIn(line(secret), new KnownSecrets(knownSecrets()));
    expect(found).toEqual([`a secret the tests configured (${secret.length} characters)`]);
  });

  it('does not look for values too short to tell from words', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'c2c-ledger-'));
    recordSecret('short-pw', dir);
    recordSecret('user:longer-password', dir);
    expect(knownSecrets(dir).sort()).toEqual(['longer-password', 'user:longer-password']);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('scripts/log-scan.ts', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'c2c-scan-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  function scan(lines: string[], secrets: string[]): { code: number; out: string } {
    const dir = mkdtempSync(path.join(root, 'run-'));
    mkdirSync(path.join(dir, 'logs'));
    writeFileSync(path.join(dir, 'logs', 'worker-1.jsonl'), `${lines.join('\n')}\n`);
    for (const secret of secrets) recordSecret(secret, path.join(dir, 'secrets'));
    try {
      const out = execFileSync(
        process.execPath,
        ['--import', 'tsx', 'scripts/log-scan.ts', path.join(dir, 'logs'), path.join(dir, 'secrets')],
        {
          encoding: 'utf8',
          stdio: 'pipe',
        },
      );
      return { code: 0, out };
    } catch (error) {
      const e = error as { status: number; stdout: string; stderr: string };
      return { code: e.status, out: `${e.stdout}${e.stderr}` };
    }
  }

  it('fails on a line carrying a secret the run configured, without printing it, and passes clean logs', () => {
    const password = 'Pbx-Password-Planted-In-A-Log';
    const clean = '{"level":"INFO","message":"call placed","callId":"c_HEDR0N6K5378QF7K0WDNP161P2"}';
    const failed = scan([clean, line(password)], [password]);
    expect(failed.code).toBe(1);
    expect(failed.out).toContain('worker-1.jsonl:2: a secret the tests configured (29 characters)');
    expect(failed.out).not.toContain(password);
    expect(scan([clean], [password]).code).toBe(0);
    expect(scan([clean, line(generated('token'))], []).code).toBe(1);
  }, 20_000);
});
