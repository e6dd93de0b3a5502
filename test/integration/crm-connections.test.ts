/**
 * CRM connections (issue 20): `c2c crm connect|show|disconnect|log-states|redrive` in-process against a real dynalite
 * table, the secret sealed in the tenant item, the outbound guard on the URLs, the tenant views without the secret,
 * and the conditional hold the call-logging transports set.
 */
import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crmConnectionFlags } from '../../lib/compose/notifier';
import { tenantPk, tenantSk } from '../../lib/store/keys';
import { TenantRepository } from '../../lib/store/tenants';
import { TenantAdmin } from '../../lib/tenants/admin';
import { jsonOf, startCliTable, type CliTable } from '../support/cli';
import { testSealer } from '../support/env';

let cli: CliTable;
let tenants: TenantRepository;

const HUBSPOT_TOKEN = 'pat-eu1-11111111-2222-3333-4444-555555555555';
const PIPEDRIVE_TOKEN = '0123456789abcdef0123456789abcdef01234567';
const SF_SECRET = 'F00DCAFE0123456789SALESFORCESECRET';
const env = { HS_TOKEN: HUBSPOT_TOKEN, PD_TOKEN: PIPEDRIVE_TOKEN, SF_SECRET };

beforeAll(async () => {
  cli = await startCliTable('crm-conn');
  tenants = new TenantRepository(cli.table, testSealer());
});

afterAll(async () => {
  await cli?.stop();
});

const c2c = (args: string[]) => cli.c2c(args, { env });

async function newTenant(): Promise<string> {
  const tenantId = `crm-${randomUUID().slice(0, 8)}`;
  await tenants.create({
    tenantId,
    name: 'CRM tenant',
    crmId: '1',
    clientId: '2',
    defaultCountry: 'GB',
    pbx: { urlShape: 'click2call', baseUrl: 'https://pbx.example.com' },
  });
  return tenantId;
}

/** The tenant item as stored, secrets as they are at rest. */
async function rawItem(tenantId: string): Promise<Record<string, unknown>> {
  const out = await cli.table.doc.send(new GetCommand({ TableName: cli.table.name, Key: { pk: tenantPk(tenantId), sk: tenantSk() } }));
  return out.Item!;
}

describe('c2c crm connect', () => {
  it('connects HubSpot with the default API, the token sealed in the item and never printed', async () => {
    const tenantId = await newTenant();
    const connected = await c2c(['crm', 'connect', tenantId, 'hubspot', '--token-env', 'HS_TOKEN']);
    expect(connected.code, connected.stderr).toBe(0);
    expect(connected.stdout).toContain('https://api.hubapi.com');

    const item = await rawItem(tenantId);
    expect(JSON.stringify(item)).not.toContain(HUBSPOT_TOKEN);
    expect((item.crm as { hubspot: { token: string } }).hubspot.token).toMatch(/^v1\./);
    const tenant = (await tenants.get(tenantId))!;
    expect(tenant.crm?.hubspot).toMatchObject({ apiUrl: 'https://api.hubapi.com', token: HUBSPOT_TOKEN });

    for (const args of [
      ['crm', 'show', tenantId],
      ['crm', 'show', tenantId, '--json'],
      ['tenant', 'show', tenantId],
      ['tenant', 'show', tenantId, '--json'],
    ]) {
      const shown = await c2c(args);
      expect(shown.code, shown.stderr).toBe(0);
      expect(shown.stdout).not.toContain(HUBSPOT_TOKEN);
    }
    const shown = jsonOf<{ connections: Array<Record<string, unknown>>; logStates: string[]; logStatesDefault: boolean }>(
      await c2c(['crm', 'show', tenantId, '--json']),
    );
    expect(shown.connections).toEqual([
      { crm: 'hubspot', apiUrl: 'https://api.hubapi.com', connectedAt: tenant.crm!.hubspot!.connectedAt, held: null },
    ]);
    expect(shown).toMatchObject({ logStates: ['completed', 'no_answer', 'busy', 'failed', 'rejected'], logStatesDefault: true });
    // The API (GET /v1/tenant) leaves the secret out altogether, and PATCH cannot set a connection.
    const admin = new TenantAdmin({ tenants, outbound: { allowPrivate: false }, clock: () => new Date() });
    const view = await admin.get(tenantId);
    expect(JSON.stringify(view)).not.toContain(HUBSPOT_TOKEN);
    expect(view.crm?.hubspot).toEqual({ apiUrl: 'https://api.hubapi.com', connectedAt: tenant.crm!.hubspot!.connectedAt });
    const patch = { crm: { hubspot: { apiUrl: 'https://evil.example.com', token: 'x' } } };
    await expect(admin.patch(tenantId, patch)).rejects.toMatchObject({
      code: 'invalid_request',
      errors: [{ path: 'crm', message: expect.stringContaining('c2c crm connect') as unknown }],
    });
    expect((await tenants.get(tenantId))?.crm?.hubspot?.apiUrl).toBe('https://api.hubapi.com');
  });

  it('connects Pipedrive and Salesforce (login URL defaulting to the instance), each secret sealed under its own field', async () => {
    const tenantId = await newTenant();
    expect(
      (await c2c(['crm', 'connect', tenantId, 'pipedrive', '--token-env', 'PD_TOKEN', '--api-url', 'https://acme.pipedrive.com/'])).code,
    ).toBe(0);
    const sf = await c2c([
      'crm',
      'connect',
      tenantId,
      'salesforce',
      '--instance-url',
      'https://acme.my.salesforce.com',
      '--client-id',
      '3MVG9consumerkey',
      '--client-secret-env',
      'SF_SECRET',
      '--json',
    ]);
    expect(jsonOf(sf)).toMatchObject({
      crm: 'salesforce',
      apiUrl: 'https://acme.my.salesforce.com',
      loginUrl: 'https://acme.my.salesforce.com',
      clientId: '3MVG9consumerkey',
    });
    const raw = JSON.stringify(await rawItem(tenantId));
    expect(raw).not.toContain(PIPEDRIVE_TOKEN);
    expect(raw).not.toContain(SF_SECRET);
    const tenant = (await tenants.get(tenantId))!;
    expect(tenant.crm?.pipedrive).toMatchObject({ apiUrl: 'https://acme.pipedrive.com', token: PIPEDRIVE_TOKEN });
    expect(tenant.crm?.salesforce).toMatchObject({ clientSecret: SF_SECRET });

    // A sealed value moved to another connection's field does not open: the seal binds `crm.<name>.<field>`.
    const item = await rawItem(tenantId);
    const crm = item.crm as { pipedrive: { token: string }; salesforce: { clientSecret: string } };
    await expect(
      testSealer().open(crm.pipedrive.token, { tenantId, purpose: 'tenant-secrets', item: 'crm.hubspot.token' }),
    ).rejects.toThrow();

    // A change of another setting keeps the sealed values as they were (nothing is sealed again).
    expect((await c2c(['tenant', 'update', tenantId, '--name', 'Renamed'])).code).toBe(0);
    const after = (await rawItem(tenantId)).crm as typeof crm;
    expect(after.pipedrive.token).toBe(crm.pipedrive.token);
    expect(after.salesforce.clientSecret).toBe(crm.salesforce.clientSecret);
  });

  it.each([
    [['hubspot', '--token-env', 'HS_TOKEN', '--api-url', 'https://10.0.0.7'], /--api-url: .*(private|address)/i],
    [['hubspot', '--token-env', 'HS_TOKEN', '--api-url', 'https://169.254.169.254'], /--api-url: /],
    [['hubspot', '--token-env', 'HS_TOKEN', '--api-url', 'http://crm.example.com'], /--api-url: https only/],
    [['hubspot', '--token-env', 'HS_TOKEN', '--api-url', 'https://crm.example.com/api'], /--api-url: the API's origin only/],
    [['hubspot', '--token-env', 'HS_TOKEN', '--api-url', 'https://u:p@crm.example.com'], /--api-url: no credentials/],
    [['pipedrive', '--token-env', 'PD_TOKEN'], /--api-url: required to connect pipedrive/],
    [['hubspot', '--token-env', 'UNSET_VAR'], /--token-env: the environment variable UNSET_VAR is not set/],
    [['hubspot', '--token-env', 'HS_TOKEN', '--client-id', 'x'], /--client-id: not an option of hubspot/],
    [['salesforce', '--instance-url', 'https://acme.my.salesforce.com', '--client-id', 'x'], /--client-secret-env: required/],
    [['salesforce', '--instance-url', 'https://192.168.1.10', '--client-id', 'x', '--client-secret-env', 'SF_SECRET'], /--instance-url: /],
    [['zoho', '--token-env', 'HS_TOKEN'], /expected one of hubspot, pipedrive, salesforce/],
  ])('refuses %j naming the option, and writes nothing', async (args, message) => {
    const tenantId = await newTenant();
    const before = await rawItem(tenantId);
    const res = await c2c(['crm', 'connect', tenantId, ...args]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message);
    expect(await rawItem(tenantId)).toEqual(before);
  });

  it('refuses a Salesforce login URL that leads inside the network', async () => {
    const tenantId = await newTenant();
    const res = await c2c([
      'crm',
      'connect',
      tenantId,
      'salesforce',
      '--instance-url',
      'https://acme.my.salesforce.com',
      '--login-url',
      'https://127.0.0.1',
      '--client-id',
      'x',
      '--client-secret-env',
      'SF_SECRET',
    ]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--login-url: /);
    expect((await tenants.get(tenantId))?.crm).toBeUndefined();
  });

  it('refuses an unknown tenant', async () => {
    const res = await c2c(['crm', 'connect', 'no-such-tenant', 'hubspot', '--token-env', 'HS_TOKEN']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/not found/);
  });
});

describe('c2c crm disconnect, log-states, redrive', () => {
  it('disconnects one CRM and keeps the others; a second disconnect says it is not connected', async () => {
    const tenantId = await newTenant();
    await c2c(['crm', 'connect', tenantId, 'hubspot', '--token-env', 'HS_TOKEN']);
    await c2c(['crm', 'connect', tenantId, 'pipedrive', '--token-env', 'PD_TOKEN', '--api-url', 'https://acme.pipedrive.com']);
    expect((await c2c(['crm', 'disconnect', tenantId, 'hubspot'])).code).toBe(0);
    const tenant = (await tenants.get(tenantId))!;
    expect(tenant.crm?.hubspot).toBeUndefined();
    expect(tenant.crm?.pipedrive?.token).toBe(PIPEDRIVE_TOKEN);
    expect(JSON.stringify(await rawItem(tenantId))).not.toContain('"hubspot"');
    const again = await c2c(['crm', 'disconnect', tenantId, 'hubspot']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/not connected to hubspot/);
  });

  it('sets the logged states, refuses a state that is not final, and goes back to the default', async () => {
    const tenantId = await newTenant();
    expect((await c2c(['crm', 'log-states', tenantId, 'completed', 'no_answer,cancelled'])).code).toBe(0);
    expect((await tenants.get(tenantId))?.crm?.logStates).toEqual(['completed', 'no_answer', 'cancelled']);
    const bad = await c2c(['crm', 'log-states', tenantId, 'completed', 'dialing']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/<states>: "dialing"/);
    expect((await tenants.get(tenantId))?.crm?.logStates).toEqual(['completed', 'no_answer', 'cancelled']);
    expect((await c2c(['crm', 'log-states', tenantId, 'default'])).code).toBe(0);
    expect((await tenants.get(tenantId))?.crm).toBeUndefined();
  });

  it('redrives the CRM deliveries only (none dead here), for one CRM or all', async () => {
    const tenantId = await newTenant();
    const res = await c2c(['crm', 'redrive', tenantId, 'hubspot']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/Redrove 0 calls of tenant/);
    expect((await c2c(['crm', 'redrive', tenantId, 'sugar'])).code).toBe(2);
  });
});

describe('holdCrmConnection (CrmConnectionFlags.hold)', () => {
  it('flags the refused connection once, never a connection made since, and a reconnect clears the flag', async () => {
    const tenantId = await newTenant();
    await c2c(['crm', 'connect', tenantId, 'hubspot', '--token-env', 'HS_TOKEN']);
    const refused = (await tenants.get(tenantId))!.crm!.hubspot!;

    // Reconnected (new credentials) before the refusal's hold arrives: the new connection is not flagged.
    await c2c(['crm', 'connect', tenantId, 'hubspot', '--token-env', 'HS_TOKEN']);
    const current = (await tenants.get(tenantId))!.crm!.hubspot!;
    const sealedBefore = ((await rawItem(tenantId)).crm as { hubspot: { token: string } }).hubspot.token;
    expect(current.connectedAt > refused.connectedAt).toBe(true);
    expect(await tenants.holdCrmConnection(tenantId, 'hubspot', 'old token refused', new Date(), refused.connectedAt)).toBe(false);
    // Without the connection's time: an attempt that started before the connection was made is not about it.
    expect(await tenants.holdCrmConnection(tenantId, 'hubspot', 'old token refused', new Date(Date.parse(current.connectedAt) - 1))).toBe(
      false,
    );
    expect((await tenants.get(tenantId))?.crm?.hubspot?.held).toBeUndefined();

    const at = new Date();
    const reason = `HubSpot 401: ${'x'.repeat(600)}`;
    expect(await tenants.holdCrmConnection(tenantId, 'hubspot', reason, at, current.connectedAt)).toBe(true);
    // A second refusal keeps the first reason.
    expect(await tenants.holdCrmConnection(tenantId, 'hubspot', 'later', new Date(), current.connectedAt)).toBe(false);
    const held = (await tenants.get(tenantId))!;
    expect(held.crm?.hubspot?.held).toEqual({ at: at.toISOString(), reason: reason.slice(0, 500) });
    expect(held.crm?.hubspot?.token).toBe(HUBSPOT_TOKEN);
    // Nothing sealed again: the delivery functions may only open.
    expect(((await rawItem(tenantId)).crm as { hubspot: { token: string } }).hubspot.token).toBe(sealedBefore);

    const shown = await c2c(['crm', 'show', tenantId]);
    expect(shown.stdout).toMatch(/since .*: HubSpot 401/);
    await c2c(['crm', 'connect', tenantId, 'hubspot', '--token-env', 'HS_TOKEN']);
    expect((await tenants.get(tenantId))?.crm?.hubspot?.held).toBeUndefined();
  });

  it('is what the notifier gives the transports as crmConnections (lib/compose/notifier.ts)', async () => {
    const tenantId = await newTenant();
    await c2c(['crm', 'connect', tenantId, 'pipedrive', '--token-env', 'PD_TOKEN', '--api-url', 'https://acme.pipedrive.com']);
    const { connectedAt } = (await tenants.get(tenantId))!.crm!.pipedrive!;
    await crmConnectionFlags(tenants).hold(tenantId, 'pipedrive', 'Pipedrive 401: unauthorized', new Date(), connectedAt);
    expect((await tenants.get(tenantId))?.crm?.pipedrive?.held?.reason).toBe('Pipedrive 401: unauthorized');
  });

  it('does nothing for a tenant without the connection', async () => {
    const tenantId = await newTenant();
    expect(await tenants.holdCrmConnection(tenantId, 'pipedrive', 'refused', new Date())).toBe(false);
    expect(await tenants.holdCrmConnection('no-such-tenant', 'pipedrive', 'refused', new Date())).toBe(false);
    expect((await tenants.get(tenantId))?.crm).toBeUndefined();
  });
});
