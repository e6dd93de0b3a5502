/**
 * Secrets at rest (lib/secrets/seal.ts): every kind of secret is written through the real code paths (the CLI,
 * as operators do), used through the real handlers (a call placed with the PBX password, a webhook verified with
 * its signing key), and then the whole table is scanned: no secret may appear in clear anywhere. Sealed values
 * that are altered, moved to another tenant or field, or whose whole item is copied under another key, do not open;
 * a value in clear is refused (never used) until an operator seals it with `c2c tenant seal-plaintext`.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretNotSealedError, SecretOpenError } from '../../lib/secrets/seal';
import { CorruptItemError } from '../../lib/store/errors';
import { tenantPk, tenantSk } from '../../lib/store/keys';
import { TenantRepository } from '../../lib/store/tenants';
import { SOURCE_ADAPTERS } from '../../lib/crm/sources';
import { WebhookSourceRepository } from '../../lib/store/webhook-sources';
import { SAMPLE_AGENTS, SAMPLE_SECRETS, SAMPLE_TENANT_ID } from '../../local/hook-samples';
import { startPbxSimulator, type PbxSimulator } from '../../local/pbx-sim/simulator';
import { jsonOf, runCli } from '../support/cli';
import { bearer, invoke, invokeEvent, startTestEnv, testSealer, useEnvForHandlers, type TestEnv } from '../support/env';
import { signedVariant } from '../support/hooks';

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;

const PBX_PASSWORD = 'pbx-Basic-Pa55word-at-rest';
const CDR_KEY = 'cdr-api-key-value-at-rest-0042';
const TENANT = SAMPLE_TENANT_ID;

let env: TestEnv;
let pbx: PbxSimulator;
let tenants: TenantRepository;
let sources: WebhookSourceRepository;
let callsCreate: Handler;
let hooks: Handler;
/** Every secret in clear that went into the table, to look for in the scan. */
const callbackSecrets: string[] = [];
const written: string[] = [
  PBX_PASSWORD,
  CDR_KEY,
  SAMPLE_SECRETS.standard,
  SAMPLE_SECRETS.hubspot,
  SAMPLE_SECRETS.pipedrive,
  SAMPLE_SECRETS.token,
];

const c2c = async (args: string[], extraEnv: NodeJS.ProcessEnv = {}) =>
  runCli(['--endpoint', env.dynamo.endpoint, '--table', env.table.name, ...args], {
    stackFile: '/nonexistent/stack.json',
    env: { ALLOW_PRIVATE_OUTBOUND: 'true', ...extraEnv },
  });

async function scanAll(): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await env.table.doc.send(new ScanCommand({ TableName: env.table.name, ExclusiveStartKey: start }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

/** A tenant's item as stored: the fields the tests look into (sealed values are strings `v1.…`). */
interface StoredTenantItem {
  [attribute: string]: unknown;
  pbx: { basicAuth: { username: string; password: string }; cdrApiKey: string };
  callback: { secrets: Array<{ secret: string }> };
}

const storedTenant = async (tenantId: string) =>
  (await env.table.doc.send(new GetCommand({ TableName: env.table.name, Key: { pk: tenantPk(tenantId), sk: tenantSk() } })))
    .Item! as StoredTenantItem;

/** `outcomes callback set | rotate-secret | show --json`: the callback secrets, in clear only when just made or asked for. */
interface CallbackShown {
  newSecret: { id: string; secret: string };
  secrets: Array<{ secret: string }>;
}

beforeAll(async () => {
  env = await startTestEnv();
  // A PBX that insists on the tenant's Basic credentials and CDR key: a call only goes through if they opened.
  pbx = await startPbxSimulator({
    extensions: ['1000', '1001', '1002'],
    basicAuth: { username: 'acme', password: PBX_PASSWORD },
    cdrApiKey: CDR_KEY,
  });
  useEnvForHandlers(env, { ALLOW_PRIVATE_OUTBOUND: 'true' });
  ({ handler: callsCreate } = await import('../../functions/calls-create'));
  ({ handler: hooks } = await import('../../functions/hooks'));
  tenants = new TenantRepository(env.table, testSealer());
  sources = new WebhookSourceRepository(env.table, testSealer(), SOURCE_ADAPTERS);

  const secretsEnv = {
    PBX_PW: PBX_PASSWORD,
    CDR_KEY,
    ...Object.fromEntries(Object.entries(SAMPLE_SECRETS).map(([k, v]) => [`HOOK_${k.toUpperCase()}`, v])),
  };
  const created = await c2c(
    [
      'tenant',
      'create',
      TENANT,
      '--name',
      'Sealed Ltd',
      '--crm-id',
      '100',
      '--client-id',
      '200',
      '--default-country',
      'GB',
      '--pbx-url',
      pbx.url,
      '--url-shape',
      'click2call',
      '--pbx-user',
      'acme',
      '--pbx-password-env',
      'PBX_PW',
      '--cdr-url',
      `${pbx.url}/api/cdrs`,
      '--cdr-key-env',
      'CDR_KEY',
      '--json',
    ],
    secretsEnv,
  );
  expect(created.code, created.stderr).toBe(0);
  for (const { crmUserId, ...agent } of SAMPLE_AGENTS)
    expect((await c2c(['agent', 'put', TENANT, crmUserId, '--extension', agent.extension])).code).toBe(0);
  const callback = jsonOf<CallbackShown>(
    await c2c(['outcomes', 'callback', 'set', TENANT, '--url', 'https://crm.example.com/c2c-events', '--json']),
  );
  const rotated = jsonOf(await c2c(['outcomes', 'callback', 'rotate-secret', TENANT, '--json']));
  callbackSecrets.push(callback.newSecret.secret, JSON.stringify(rotated).match(/whsec_[A-Za-z0-9+/=]+/)![0]);
  written.push(...callbackSecrets);
  for (const source of ['standard', 'hubspot', 'pipedrive', 'token'] as const) {
    const set = await c2c(['hook', 'set-secret', TENANT, source, '--secret-env', `HOOK_${source.toUpperCase()}`, '--json'], secretsEnv);
    expect(set.code, set.stderr).toBe(0);
  }
  const generated = jsonOf<{ secret: string }>(await c2c(['hook', 'set-secret', TENANT, 'standard', '--generate', '--json']));
  written.push(generated.secret);
}, 60_000);

afterAll(async () => {
  await pbx?.close();
  await env?.stop();
});

describe('secrets at rest', () => {
  it('the handlers open what the CLI sealed: a call goes through the PBX Basic credentials', async () => {
    const { key } = await env.apiKeys.issue(TENANT, 'at-rest', ['calls:write']);
    const res = await invoke(callsCreate, {
      method: 'POST',
      route: '/v1/calls',
      headers: { ...bearer(key), 'idempotency-key': randomUUID() },
      body: { agent: { crmUserId: 'u-17' }, to: '+44 7766 889900' },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(pbx.requests().filter((r) => r.shape !== null)).toHaveLength(1);
  });

  it('the hooks handler verifies signatures with the sealed HubSpot and Standard Webhooks secrets', async () => {
    for (const source of ['standard', 'hubspot'] as const) {
      const res = await invokeEvent(hooks, signedVariant(source, 'valid', `at-rest-${source}`, SAMPLE_SECRETS[source]));
      expect(res.status, `${source}: ${JSON.stringify(res.body)}`).toBe(201);
    }
  });

  it('the CLI shows the callback secret it sealed, when asked', async () => {
    const shown = jsonOf<CallbackShown>(await c2c(['outcomes', 'callback', 'show', TENANT, '--show-secrets', '--json']));
    expect(shown.secrets.map((s) => s.secret)).toEqual(callbackSecrets);
  });

  it('a scan of the whole table shows no secret in clear', async () => {
    const dump = JSON.stringify(await scanAll());
    expect(written.length).toBeGreaterThanOrEqual(9);
    for (const secret of written) {
      expect(dump.includes(secret), `${secret.slice(0, 4)}… in clear`).toBe(false);
      // Nor the base64 body of a whsec_ secret (the HMAC key itself).
      if (secret.startsWith('whsec_')) expect(dump.includes(secret.slice('whsec_'.length))).toBe(false);
    }
    // The stored forms: sealed values, and hashes for the token and Pipedrive password.
    const item = await storedTenant(TENANT);
    expect(item.pbx.basicAuth.password).toMatch(/^v1\./);
    expect(item.pbx.cdrApiKey).toMatch(/^v1\./);
    for (const s of item.callback.secrets) expect(s.secret).toMatch(/^v1\./);
    for (const source of ['standard', 'hubspot'] as const) {
      for (const s of (await scanAll()).find((i) => i.sk === `HOOKSOURCE#${source}`)!.secrets as Array<{ value: string }>)
        expect(s.value).toMatch(/^v1\./);
    }
    for (const source of ['pipedrive', 'token'] as const) {
      for (const s of (await scanAll()).find((i) => i.sk === `HOOKSOURCE#${source}`)!.secrets as Array<{ value: string }>)
        expect(s.value).toMatch(/^sha256:/);
    }
  });

  it('a tampered sealed value does not open', async () => {
    const item = await storedTenant(TENANT);
    const sealed = item.pbx.cdrApiKey;
    const parts = sealed.split('.');
    parts[3] = `${parts[3]!.slice(0, 5)}${parts[3]![5] === 'A' ? 'B' : 'A'}${parts[3]!.slice(6)}`;
    await env.table.doc.send(
      new PutCommand({
        TableName: env.table.name,
        Item: {
          ...item,
          tenantId: 'tampered',
          pk: tenantPk('tampered'),
          pbx: { ...item.pbx, basicAuth: undefined, cdrApiKey: parts.join('.') },
          callback: undefined,
        },
      }),
    );
    await expect(tenants.get('tampered')).rejects.toBeInstanceOf(SecretOpenError);
  });

  it('a sealed value copied to another tenant, or to another field, does not open', async () => {
    const item = await storedTenant(TENANT);
    await env.table.doc.send(
      new PutCommand({ TableName: env.table.name, Item: { ...item, tenantId: 'copycat', pk: tenantPk('copycat'), callback: undefined } }),
    );
    await expect(tenants.get('copycat')).rejects.toBeInstanceOf(SecretOpenError);
    await env.table.doc.send(
      new PutCommand({
        TableName: env.table.name,
        Item: {
          ...item,
          tenantId: 'swapped',
          pk: tenantPk('swapped'),
          pbx: { ...item.pbx, cdrApiKey: item.pbx.basicAuth.password },
          callback: undefined,
        },
      }),
    );
    await expect(tenants.get('swapped')).rejects.toBeInstanceOf(SecretOpenError);
    // The original still opens: nothing was changed for it.
    expect((await tenants.get(TENANT))?.pbx.basicAuth?.password).toBe(PBX_PASSWORD);
  });

  it("a whole tenant item copied under another tenant's key does not open: the seal binds the key, not the item's tenantId", async () => {
    const item = await storedTenant(TENANT);
    // Copied as it is: its own tenantId attribute still names the tenant it was sealed for.
    await env.table.doc.send(new PutCommand({ TableName: env.table.name, Item: { ...item, pk: tenantPk('copied-whole') } }));
    await expect(tenants.get('copied-whole')).rejects.toBeInstanceOf(SecretOpenError);
    // With no secret at all, the item is still not that tenant's settings.
    const { pbx, ...rest } = item;
    const bare = { ...rest, pbx: { ...pbx, basicAuth: undefined, cdrApiKey: undefined }, callback: undefined, pk: tenantPk('copied-bare') };
    await env.table.doc.send(new PutCommand({ TableName: env.table.name, Item: bare }));
    await expect(tenants.get('copied-bare')).rejects.toBeInstanceOf(CorruptItemError);
    expect((await tenants.get(TENANT))?.pbx.basicAuth?.password).toBe(PBX_PASSWORD);
  });

  it("a whole webhook source item copied under another tenant's key, or another source's, does not open", async () => {
    const hubspot = (await scanAll()).find((i) => i.pk === tenantPk(TENANT) && i.sk === 'HOOKSOURCE#hubspot')!;
    await env.table.doc.send(new PutCommand({ TableName: env.table.name, Item: { ...hubspot, pk: tenantPk('copied-whole') } }));
    await expect(sources.get('copied-whole', 'hubspot')).rejects.toBeInstanceOf(SecretOpenError);
    await env.table.doc.send(
      new PutCommand({ TableName: env.table.name, Item: { ...hubspot, pk: tenantPk('copied-src'), sk: 'HOOKSOURCE#standard' } }),
    );
    await expect(sources.get('copied-src', 'standard')).rejects.toBeInstanceOf(SecretOpenError);
    expect((await sources.get(TENANT, 'hubspot'))?.secrets[0]?.value).toBe(SAMPLE_SECRETS.hubspot);
  });

  it('refuses a secret stored in clear (a table writer swapping in a value of their choice), and seals one only when the operator migrates it', async () => {
    const item = await storedTenant(TENANT);
    const legacy = {
      ...item,
      tenantId: 'legacy',
      pk: tenantPk('legacy'),
      pbx: { ...item.pbx, basicAuth: { username: 'acme', password: 'old-plain-password' }, cdrApiKey: 'old-plain-cdr-key' },
      callback: undefined,
    };
    await env.table.doc.send(new PutCommand({ TableName: env.table.name, Item: legacy }));
    const now = new Date().toISOString();
    await env.table.doc.send(
      new PutCommand({
        TableName: env.table.name,
        Item: {
          pk: tenantPk('legacy'),
          sk: 'HOOKSOURCE#hubspot',
          type: 'hookSource',
          tenantId: 'legacy',
          source: 'hubspot',
          secrets: [{ secretId: 'whs_old', value: 'old-plain-hubspot-secret', hint: '…cret', createdAt: now }],
          mapping: {},
          version: 1,
          createdAt: now,
          updatedAt: now,
        },
      }),
    );

    const refused = await tenants.get('legacy').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SecretNotSealedError);
    expect((refused as Error).message).not.toContain('old-plain');
    await expect(sources.get('legacy', 'hubspot')).rejects.toBeInstanceOf(SecretNotSealedError);
    // The CLI refuses them as the service does.
    const shown = await c2c(['tenant', 'show', 'legacy']);
    expect(shown.code).not.toBe(0);
    expect(shown.stderr).toContain('is not a sealed value');
    expect(shown.stderr + shown.stdout).not.toContain('old-plain');

    const migrated = jsonOf<{ sealed: string[] }>(await c2c(['tenant', 'seal-plaintext', 'legacy', '--json']));
    expect(migrated.sealed.sort()).toEqual(['hubspot.whs_old', 'pbx.basicAuth.password', 'pbx.cdrApiKey']);
    const dump = JSON.stringify(await scanAll());
    for (const old of ['old-plain-password', 'old-plain-cdr-key', 'old-plain-hubspot-secret']) expect(dump.includes(old), old).toBe(false);
    expect((await tenants.get('legacy'))?.pbx.cdrApiKey).toBe('old-plain-cdr-key');
    expect((await sources.get('legacy', 'hubspot'))?.secrets[0]?.value).toBe('old-plain-hubspot-secret');
    // Run again: nothing left in clear.
    expect(jsonOf<{ sealed: string[] }>(await c2c(['tenant', 'seal-plaintext', 'legacy', '--json'])).sealed).toEqual([]);
  });

  it('the API answers a tenant whose PBX password was swapped for a plaintext with a 500, logs the refusal without the value, and dials nothing', async () => {
    const item = await storedTenant(TENANT);
    const swapped = 'Swapped-In-By-A-Table-Writer-77';
    await env.table.doc.send(
      new PutCommand({
        TableName: env.table.name,
        Item: {
          ...item,
          tenantId: 'swapped-plain',
          pk: tenantPk('swapped-plain'),
          pbx: { ...item.pbx, basicAuth: { username: 'acme', password: swapped } },
        },
      }),
    );
    const { key } = await env.apiKeys.issue('swapped-plain', 'at-rest', ['calls:write']);
    const logFile = path.join(process.env.C2C_LOG_DIR!, `worker-${process.pid}.jsonl`);
    const logBefore = existsSync(logFile) ? readFileSync(logFile, 'utf8').length : 0;
    const before = pbx.requests().length;
    const res = await invoke(callsCreate, {
      method: 'POST',
      route: '/v1/calls',
      headers: { ...bearer(key), 'idempotency-key': randomUUID() },
      body: { agent: { crmUserId: 'u-17' }, to: '+44 7766 889900' },
    });
    expect(res.status).toBe(500);
    expect(JSON.stringify(res.body)).not.toContain(swapped);
    expect(pbx.requests()).toHaveLength(before);
    const logged = readFileSync(logFile, 'utf8').slice(logBefore);
    expect(logged).toContain('pbx.basicAuth.password of tenant swapped-plain is not a sealed value');
    expect(logged).not.toContain(swapped);
  });

  it('the API answers a tenant whose secret does not open with a 500 that shows nothing of it, and dials nothing', async () => {
    const { key } = await env.apiKeys.issue('copycat', 'at-rest', ['calls:write']);
    const before = pbx.requests().length;
    const res = await invoke(callsCreate, {
      method: 'POST',
      route: '/v1/calls',
      headers: { ...bearer(key), 'idempotency-key': randomUUID() },
      body: { agent: { crmUserId: 'u-17' }, to: '+44 7766 889900' },
    });
    expect(res.status).toBe(500);
    const stored = (await storedTenant('copycat')).pbx.basicAuth.password;
    expect(JSON.stringify(res.body)).not.toContain(stored.split('.')[3]);
    expect(pbx.requests()).toHaveLength(before);
  });
});
