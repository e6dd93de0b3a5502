/**
 * A tenant's whole life after `tenant create` (issue 19, point 1): every setting changed from the CLI (`c2c tenant
 * update`), shown (`tenant show`), and the tenant deleted with everything under it (`tenant delete --yes`), another
 * tenant untouched; the same settings through the API (GET and PATCH /v1/tenant, JSON Merge Patch, scope
 * `tenant:admin`), each invalid value a 400 naming its field with nothing changed. Real dynalite, real handlers.
 */
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeadLetterRepository } from '../../lib/store/dead-letters';
import { tenantPk, tenantSk } from '../../lib/store/keys';
import { TenantAdmin } from '../../lib/tenants/admin';
import type { TenantView } from '../../lib/tenants/view';
import { jsonOf, runCli } from '../support/cli';
import { bearer, invoke, seedTenant, startTestEnv, useEnvForHandlers, type TestEnv } from '../support/env';

let env: TestEnv;
let create: typeof import('../../functions/calls-create').handler;
let tenantFn: typeof import('../../functions/tenant').handler;
let seq = 0;
const PBX_PASSWORD = 'pbx-secret-password-9f2';

beforeAll(async () => {
  env = await startTestEnv();
  useEnvForHandlers(env);
  ({ handler: create } = await import('../../functions/calls-create'));
  ({ handler: tenantFn } = await import('../../functions/tenant'));
});

afterAll(async () => {
  await env?.stop();
});

const c2c = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
  runCli(['--endpoint', env.dynamo.endpoint, '--table', env.table.name, ...args], {
    stackFile: '/nonexistent/stack.json',
    env: { ALLOW_PRIVATE_OUTBOUND: 'true', PBX_PW: PBX_PASSWORD, ...extra },
  });

const createArgs = (tenantId: string, extra: string[] = []) => [
  'tenant',
  'create',
  tenantId,
  ...['--name', 'Acme Ltd', '--crm-id', '100', '--client-id', '200', '--default-country', 'GB'],
  ...['--pbx-url', env.sim.url, '--url-shape', 'click2call', '--pbx-user', 'acme', '--pbx-password-env', 'PBX_PW'],
  ...extra,
];

/** The tenant item exactly as stored (secrets sealed): what "nothing changed" compares. */
const rawTenant = async (tenantId: string) =>
  (await env.table.doc.send(new GetCommand({ TableName: env.table.name, Key: { pk: tenantPk(tenantId), sk: tenantSk() } }))).Item;

/** Every item of the table that belongs to the tenant, by any of its keys or its tenantId. */
async function itemsOf(tenantId: string): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await env.table.doc.send(new ScanCommand({ TableName: env.table.name, ExclusiveStartKey: start }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  const mine = new RegExp(`(^|#)${tenantId}(#|$)`);
  return items.filter(
    (item) =>
      item.tenantId === tenantId || ['pk', 'gsi1pk', 'gsi2pk', 'gsi3pk', 'gsi4pk', 'gsi5pk'].some((k) => mine.test(String(item[k]))),
  );
}

describe('c2c tenant update and show: every setting after create', () => {
  it('sets the call policy on create, changes every setting on update, shows all of it with the secrets masked', async () => {
    const created = await c2c(createArgs('life-upd', ['--calling-hours', 'Mon-Fri 08:00-18:00', '--cap-agent-per-minute', '7']));
    expect(created.code, created.stderr).toBe(0);
    expect((await env.tenants.get('life-upd'))?.policy).toMatchObject({
      callingHours: { windows: [{ days: [1, 2, 3, 4, 5], start: '08:00', end: '18:00' }] },
      caps: { perAgentPerMinute: 7 },
    });
    const sealedBefore = (await rawTenant('life-upd'))?.pbx as { basicAuth: { password: string } };

    const updated = await c2c([
      ...['tenant', 'update', 'life-upd', '--name', 'Acme SAS', '--default-country', 'fr', '--allowed-countries', 'FR,be'],
      ...['--calling-hours', 'Mon-Fri 09:00-13:00,14:00-20:00; Sat 10:00-14:00', '--outside-calling-hours', 'defer'],
      ...['--cap-tenant-per-second', '5', '--cap-agent-per-minute', '4', '--cap-destination', '2/600'],
      ...['--deny-prefixes', '+4490,882', '--allow-premium-rate', '--allow-shared-cost', '--no-allow-unknown-type'],
      ...['--retention-days', '200', '--refused-retention-days', '20', '--dedupe-window-sec', '120'],
      ...['--max-waiting-calls', '30', '--reads-per-second', '40', '--pbx-timeout-ms', '5000'],
    ]);
    expect(updated.code, updated.stderr).toBe(0);
    expect(updated.stdout).toContain('policy.callingHours.windows');
    const tenant = await env.tenants.get('life-upd');
    expect(tenant).toMatchObject({
      name: 'Acme SAS',
      defaultCountry: 'FR',
      crmId: '100',
      pbx: { timeoutMs: 5000, basicAuth: { username: 'acme', password: PBX_PASSWORD } },
      policy: {
        allowedCountries: ['FR', 'BE'],
        callingHours: {
          windows: [
            { days: [1, 2, 3, 4, 5], start: '09:00', end: '13:00' },
            { days: [1, 2, 3, 4, 5], start: '14:00', end: '20:00' },
            { days: [6], start: '10:00', end: '14:00' },
          ],
        },
        outsideCallingHours: 'defer',
        caps: { perTenantPerSecond: 5, perAgentPerMinute: 4, perDestination: { max: 2, windowSec: 600 } },
        denyPrefixes: ['4490', '882'],
        allowPremiumRate: true,
        allowSharedCost: true,
        allowUnknownType: false,
        retentionDays: 200,
        refusedRetentionDays: 20,
        dedupeWindowSec: 120,
        maxWaitingCalls: 30,
        readsPerSecond: 40,
      },
    });
    // An update that does not touch a secret keeps its sealed value as it was.
    expect(((await rawTenant('life-upd'))?.pbx as { basicAuth: { password: string } }).basicAuth.password).toBe(
      sealedBefore.basicAuth.password,
    );

    const shown = await c2c(['tenant', 'show', 'life-upd']);
    expect(shown.code).toBe(0);
    for (const line of [
      /calling hours:\s+Mon-Fri 09:00-13:00,14:00-20:00; Sat 10:00-14:00/,
      /outside calling hours:\s+defer/,
      /cap per destination:\s+2 calls\/600 s/,
      /deny prefixes:\s+\+4490,\+882/,
      /premium rate:\s+allowed/,
      /unknown type:\s+refused/,
      /retention days:\s+200/,
      /refused retention days:\s+20/,
      /dedupe window sec:\s+120/,
      /reads per second:\s+40/,
    ]) {
      expect(shown.stdout).toMatch(line);
    }
    const asJson = jsonOf<{ pbx: { basicAuth: { password: string } }; policy: { caps: unknown } }>(
      await c2c(['tenant', 'show', 'life-upd', '--json']),
    );
    expect(asJson.pbx.basicAuth.password).toBe('********');
    expect(asJson.policy.caps).toEqual({ perTenantPerSecond: 5, perAgentPerMinute: 4, perDestination: { max: 2, windowSec: 600 } });
    expect(shown.stdout + JSON.stringify(asJson)).not.toContain(PBX_PASSWORD);

    // `none` and the negated flags undo: back to any time, no prefix, premium rate refused.
    const undone = await c2c([
      'tenant',
      'update',
      'life-upd',
      '--calling-hours',
      'none',
      '--deny-prefixes',
      'none',
      '--no-allow-premium-rate',
    ]);
    expect(undone.code, undone.stderr).toBe(0);
    const after = await env.tenants.get('life-upd');
    expect(after?.policy.callingHours).toBeUndefined();
    expect(after?.policy).toMatchObject({ denyPrefixes: [], allowPremiumRate: false, allowSharedCost: true });
    expect((await c2c(['tenant', 'show', 'life-upd'])).stdout).toMatch(/calling hours:\s+any time/);

    // A new secret from the environment is sealed anew.
    expect((await c2c(['tenant', 'update', 'life-upd', '--pbx-password-env', 'NEW_PW'], { NEW_PW: 'another-password' })).code).toBe(0);
    expect((await env.tenants.get('life-upd'))?.pbx.basicAuth).toEqual({ username: 'acme', password: 'another-password' });
  });

  it.each([
    ['a made-up country', ['--default-country', 'XX'], /--default-country/],
    ['a made-up allowed country', ['--allowed-countries', 'GB,QQ'], /--allowed-countries/],
    ['a window that ends when it starts', ['--calling-hours', 'Mon-Fri 09:00-09:00'], /--calling-hours/],
    ['a day that does not exist', ['--calling-hours', 'Funday 09:00-10:00'], /--calling-hours/],
    ['an hour that does not exist', ['--calling-hours', 'Mon 09:00-24:30'], /--calling-hours/],
    ['empty hours', ['--calling-hours', ' ; '], /--calling-hours/],
    ['a cap of zero', ['--cap-tenant-per-second', '0'], /--cap-tenant-per-second/],
    ['a destination cap of zero', ['--cap-destination', '0/60'], /--cap-destination/],
    ['a negative retention', ['--retention-days', '-1'], /--retention-days/],
    ['a dedupe window past an hour', ['--dedupe-window-sec', '7200'], /--dedupe-window-sec/],
    ['no option at all', [], /Nothing to change/],
  ])('refuses %s as a usage error (exit 2) naming the option, and changes nothing', async (_what, options, message) => {
    const tenantId = `life-bad-${++seq}`;
    expect((await c2c(createArgs(tenantId))).code).toBe(0);
    const before = await rawTenant(tenantId);
    const result = await c2c(['tenant', 'update', tenantId, ...options]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(await rawTenant(tenantId)).toEqual(before);
  });

  it('refuses a made-up country on create too, and an update of a tenant that does not exist', async () => {
    const made = await c2c([...createArgs('life-xx').map((a) => (a === 'GB' ? 'XX' : a))]);
    expect(made.code).toBe(2);
    expect(made.stderr).toMatch(/--default-country/);
    expect(await rawTenant('life-xx')).toBeUndefined();
    const missing = await c2c(['tenant', 'update', 'life-nobody', '--retention-days', '30']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Tenant life-nobody not found/);
  });
});

describe('c2c tenant delete', () => {
  it('deletes the tenant and everything under it, with counts, and leaves another tenant as it was', async () => {
    const doomed = await seedTenant(env, { tenantId: 'life-del' }, { agents: [{ crmUserId: 'u-17', extension: '1000' }] });
    await seedTenant(env, { tenantId: 'life-keep' }, { agents: [{ crmUserId: 'u-17', extension: '1001' }] });
    // A keyless call: the call, its dedupe window, rate counters and the agent's presence.
    const placed = await invoke(create, {
      method: 'POST',
      route: '/v1/calls',
      headers: bearer(doomed.key),
      body: { agent: { crmUserId: 'u-17' }, to: '+44 7766 889900' },
    });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    expect((await c2c(['agent', 'put', 'life-del', 'u-20', '--extension', '1002', '--teams', 'sales'])).code).toBe(0);
    expect((await c2c(['hook', 'set-secret', 'life-del', 'standard', '--generate'])).code).toBe(0);
    expect((await c2c(['key', 'issue', 'life-del', '--name', 'second', '--scopes', 'calls:read'])).code).toBe(0);
    const at = new Date().toISOString();
    await new DeadLetterRepository(env.table).send({
      tenantId: 'life-del',
      callId: 'c_DEADLETTER0000000000000000',
      fromEvent: 0,
      eventCount: 1,
      attempts: 3,
      since: at,
      lastError: 'HTTP 500',
      deadLetteredAt: at,
      callbackHost: 'crm.example.com',
    });
    const kept = await itemsOf('life-keep');
    expect(kept.length).toBeGreaterThan(3);

    const dryRun = await c2c(['tenant', 'delete', 'life-del']);
    expect(dryRun.code).toBe(2);
    expect(dryRun.stdout).toMatch(/Would delete tenant life-del/);
    expect(dryRun.stderr).toMatch(/--yes/);
    expect(await env.tenants.get('life-del')).toBeDefined();

    const deleted = await c2c(['tenant', 'delete', 'life-del', '--yes', '--json']);
    const report = jsonOf<{ deleted: boolean; items: Record<string, number> }>(deleted);
    expect(report.deleted).toBe(true);
    expect(report.items).toMatchObject({
      tenant: 1,
      apiKeys: 2,
      agents: 2,
      teamMemberships: 1,
      calls: 1,
      webhookSources: 1,
      deadLetters: 1,
    });
    for (const kind of ['agentPresence', 'dedupeWindows', 'rateCounters', 'workMarkers'])
      expect(report.items[kind], kind).toBeGreaterThan(0);
    expect(await itemsOf('life-del')).toEqual([]);
    expect(await itemsOf('life-keep')).toEqual(kept);
    // The deleted tenant's key no longer opens anything.
    const res = await invoke(create, {
      method: 'POST',
      route: '/v1/calls',
      headers: bearer(doomed.key),
      body: { agent: { crmUserId: 'u-17' }, to: '+44 7766 889901' },
    });
    expect(res.status).toBe(401);
    const again = await c2c(['tenant', 'delete', 'life-del', '--yes']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/not found/);
  });
});

type View = TenantView & Record<string, unknown>;
const tenantApi = (key: string, method: 'GET' | 'PATCH', body?: unknown, contentType = 'application/merge-patch+json') =>
  invoke(tenantFn, {
    method,
    route: '/v1/tenant',
    headers: { ...bearer(key), ...(body === undefined ? {} : { 'content-type': contentType }) },
    ...(typeof body === 'string' ? { rawBody: body } : body === undefined ? {} : { body }),
  });

describe('GET and PATCH /v1/tenant', () => {
  let admin = '';
  let callsOnly = '';
  beforeAll(async () => {
    ({ key: admin } = await seedTenant(env, {
      tenantId: 'life-api',
      pbx: { urlShape: 'click2call', baseUrl: env.sim.url, basicAuth: { username: 'acme', password: PBX_PASSWORD } },
    }));
    callsOnly = (await env.apiKeys.issue('life-api', 'crm', ['calls:write', 'calls:read'])).key;
  });

  it('reads every setting with the defaults filled in and no secret', async () => {
    const res = await tenantApi(admin, 'GET');
    expect(res.status).toBe(200);
    const view = res.body as unknown as View;
    expect(view).toMatchObject({
      tenantId: 'life-api',
      defaultCountry: 'GB',
      pbx: { basicAuth: { username: 'acme' }, cdrApiKeySet: false },
    });
    expect(view.policy).toMatchObject({ outsideCallingHours: 'refuse', retentionDays: 400, refusedRetentionDays: 30, dedupeWindowSec: 60 });
    expect(JSON.stringify(view)).not.toContain(PBX_PASSWORD);
    expect(JSON.stringify(view)).not.toMatch(/password/);
  });

  it('refuses a key without tenant:admin (403), and changes nothing', async () => {
    const before = await rawTenant('life-api');
    expect((await tenantApi(callsOnly, 'GET')).body.code).toBe('insufficient_scope');
    const patched = await tenantApi(callsOnly, 'PATCH', { policy: { retentionDays: 10 } });
    expect(patched.status).toBe(403);
    expect(patched.body.code).toBe('insufficient_scope');
    expect(await rawTenant('life-api')).toEqual(before);
  });

  it('merges a patch: objects merge, arrays replace, null restores a default or removes; the secrets stay sealed as they were', async () => {
    const sealed = ((await rawTenant('life-api'))?.pbx as { basicAuth: unknown }).basicAuth;
    const windows = [
      { days: [1, 2, 3, 4, 5], start: '10:00', end: '13:00' },
      { days: [1, 2, 3, 4, 5], start: '14:00', end: '20:00' },
    ];
    const first = await tenantApi(admin, 'PATCH', {
      policy: { callingHours: { windows }, caps: { perAgentPerMinute: 4 }, denyPrefixes: ['882'] },
    });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect((first.body as unknown as View).policy).toMatchObject({
      callingHours: { windows },
      caps: { perAgentPerMinute: 4, perTenantPerSecond: 10_000, perDestination: { max: 10_000, windowSec: 900 } },
      denyPrefixes: ['882'],
    });
    const second = await tenantApi(
      admin,
      'PATCH',
      JSON.stringify({ policy: { denyPrefixes: ['4490'], caps: null }, name: 'Renamed' }),
      'application/json',
    );
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    const stored = await env.tenants.get('life-api');
    expect(stored?.name).toBe('Renamed');
    expect(stored?.policy.denyPrefixes).toEqual(['4490']);
    expect(stored?.policy.caps).toEqual({ perDestination: { max: 3, windowSec: 900 }, perAgentPerMinute: 10, perTenantPerSecond: 20 });
    expect(stored?.policy.callingHours).toEqual({ windows });
    expect(((await rawTenant('life-api'))?.pbx as { basicAuth: unknown }).basicAuth).toEqual(sealed);
    expect(stored?.pbx.basicAuth?.password).toBe(PBX_PASSWORD);

    expect((await tenantApi(admin, 'PATCH', { policy: { callingHours: null, denyPrefixes: ['44'] } })).status).toBe(200);
    expect((await env.tenants.get('life-api'))?.policy.callingHours).toBeUndefined();
    // The change is what the next call is checked against.
    const call = await invoke(create, {
      method: 'POST',
      route: '/v1/calls',
      headers: bearer(admin),
      body: { agent: { crmUserId: 'u-17' }, to: '+44 7766 889900' },
    });
    expect(call.body.code).toBe('destination_not_allowed');
    expect((await tenantApi(admin, 'PATCH', { policy: { denyPrefixes: null } })).status).toBe(200);
  });

  it.each([
    ['a made-up country', { defaultCountry: 'XX' }, 'defaultCountry'],
    ['a made-up allowed country', { policy: { allowedCountries: ['GB', 'QQ'] } }, 'policy.allowedCountries.1'],
    ['a cap of zero', { policy: { caps: { perTenantPerSecond: 0 } } }, 'policy.caps.perTenantPerSecond'],
    ['no window', { policy: { callingHours: { windows: [] } } }, 'policy.callingHours.windows'],
    [
      'an hour that does not exist',
      { policy: { callingHours: { windows: [{ days: [1], start: '25:00', end: '10:00' }] } } },
      'policy.callingHours.windows.0.start',
    ],
    [
      'a window with no day',
      { policy: { callingHours: { windows: [{ days: [], start: '09:00', end: '10:00' }] } } },
      'policy.callingHours.windows.0.days',
    ],
    ['an unknown setting', { policy: { callingHour: 'Mon 09:00-10:00' } }, 'policy.callingHour'],
    ['the PBX password', { pbx: { basicAuth: { username: 'a', password: 'b' } } }, 'pbx.basicAuth'],
    ['a callback secret', { callback: { url: 'https://crm.example.com', secrets: [] } }, 'callback'],
    ['the tenant id', { tenantId: 'other' }, 'tenantId'],
    ['the status', { status: 'active' }, 'status'],
    ['credentials in the PBX URL', { pbx: { baseUrl: 'https://user:pw@acme.pbx.commpeak.com' } }, 'pbx.baseUrl'],
    ['a required setting removed', { name: null }, 'name'],
    ['a body that is not an object', [1, 2], '(root)'],
  ])('refuses %s: 400 naming the field, nothing changed', async (_what, patch, path) => {
    const before = await rawTenant('life-api');
    const res = await tenantApi(admin, 'PATCH', patch);
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.body.errors?.map((e) => e.path)).toContain(path);
    expect(await rawTenant('life-api')).toEqual(before);
  });

  it('refuses a body that is not JSON', async () => {
    expect((await tenantApi(admin, 'PATCH', 'policy=1', 'text/plain')).status).toBe(400);
  });

  it('refuses a PBX URL inside the network outside the local stage, naming it', async () => {
    const strict = new TenantAdmin({ tenants: env.tenants, outbound: { allowPrivate: false }, clock: () => new Date() });
    const before = await rawTenant('life-api');
    await expect(strict.patch('life-api', { pbx: { baseUrl: 'http://169.254.169.254/latest' } })).rejects.toMatchObject({
      code: 'invalid_request',
      errors: [expect.objectContaining({ path: 'pbx.baseUrl' })],
    });
    expect(await rawTenant('life-api')).toEqual(before);
  });
});
