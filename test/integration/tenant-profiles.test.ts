/**
 * The tenant as a function that holds no secret reads it (lib/store/tenant-profiles.ts): every setting, and none of
 * the fields that carry sealed values. Read on dynalite from items the real TenantRepository sealed, and through a
 * real handler: a reader function authenticates a tenant whose secrets it cannot open.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorruptItemError } from '../../lib/store/errors';
import { tenantPk, tenantSk } from '../../lib/store/keys';
import { TenantProfileReader, withoutSecrets } from '../../lib/store/tenant-profiles';
import { bearer, invoke, seedTenant, startTestEnv, useEnvForHandlers, type TestEnv } from '../support/env';

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;

let env: TestEnv;
let reader: TenantProfileReader;

beforeAll(async () => {
  env = await startTestEnv();
  reader = new TenantProfileReader(env.table);
});
afterAll(() => env.stop());

const stored = async (tenantId: string) =>
  (await env.table.doc.send(new GetCommand({ TableName: env.table.name, Key: { pk: tenantPk(tenantId), sk: tenantSk() } }))).Item!;

describe('TenantProfileReader', () => {
  it('reads every setting of a sealed tenant and no field that carries a secret', async () => {
    await seedTenant(env, {
      tenantId: 'profile-a',
      pbx: {
        urlShape: 'click2call',
        baseUrl: env.sim.url,
        basicAuth: { username: 'pbx-user', password: 'pbx-password-in-clear' },
        cdrApiUrl: `${env.sim.url}/api/cdrs`,
        cdrApiKey: 'cdr-key-in-clear',
        cdrApiKeyHeader: 'X-Api-Key',
      },
      callback: {
        url: 'https://crm.example.com/hook',
        secrets: [{ id: 'ws_1', secret: `whsec_${Buffer.alloc(32, 1).toString('base64')}`, createdAt: '2026-01-01T00:00:00.000Z' }],
      },
    });
    const full = (await env.tenants.get('profile-a'))!;
    const profile = (await reader.get('profile-a'))!;

    expect(profile.pbx).toEqual({
      urlShape: 'click2call',
      baseUrl: env.sim.url,
      cdrApiUrl: `${env.sim.url}/api/cdrs`,
      cdrApiKeyHeader: 'X-Api-Key',
    });
    expect(profile.callback).toBeUndefined();
    const { pbx: _pbx, callback: _callback, ...settings } = full;
    const { pbx: _p, callback: _c, ...profileSettings } = profile;
    expect(profileSettings).toEqual(settings);
    // Nothing sealed reaches the reader's tenant, opened or not.
    const text = JSON.stringify(profile);
    for (const secret of ['pbx-password-in-clear', 'cdr-key-in-clear', 'whsec_']) expect(text).not.toContain(secret);
    const item = await stored('profile-a');
    const sealedPassword = (item.pbx as { basicAuth: { password: string } }).basicAuth.password;
    expect(text).not.toContain(sealedPassword);
  });

  it('answers undefined for a tenant that does not exist', async () => {
    expect(await reader.get('profile-none')).toBeUndefined();
  });

  it("refuses an item copied under another tenant's key, as the repository does", async () => {
    await seedTenant(env, { tenantId: 'profile-b' });
    const item = await stored('profile-b');
    await env.table.doc.send(new PutCommand({ TableName: env.table.name, Item: { ...item, pk: tenantPk('profile-c') } }));
    await expect(reader.get('profile-c')).rejects.toBeInstanceOf(CorruptItemError);
  });

  it('leaves the CRM connections out, and keeps a pbx of an unexpected shape for the schema to refuse', () => {
    expect(withoutSecrets({ tenantId: 't', crm: { hubspot: { token: 'sealed' } }, pbx: { baseUrl: 'x', basicAuth: {} } })).toEqual({
      tenantId: 't',
      pbx: { baseUrl: 'x' },
    });
    expect(withoutSecrets({ tenantId: 't', pbx: 'junk' })).toEqual({ tenantId: 't', pbx: 'junk' });
  });
});

describe('a reader function', () => {
  it('authenticates a tenant whose secrets it holds no key to open', async () => {
    const { key } = await seedTenant(env, {
      tenantId: 'profile-d',
      pbx: { urlShape: 'click2call', baseUrl: env.sim.url, basicAuth: { username: 'u', password: 'p-sealed-with-the-test-key' } },
    });
    // No seal key at all: a function that opened the tenant's secrets would fail here (lib/secrets/seal.ts).
    useEnvForHandlers(env, { C2C_LOCAL_SEAL_KEY: '' });
    const { handler } = (await import('../../functions/calls-list')) as { handler: Handler };
    const res = await invoke(handler, { method: 'GET', route: '/v1/calls', headers: bearer(key) });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expect.objectContaining({ calls: [] }));
  });
});
