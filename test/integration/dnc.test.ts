/**
 * The tenant's do-not-call list (docs/api.md, "Do-not-call list"): its routes through their handler, and a call to a
 * listed number refused from the API, from a webhook and by the scheduler at dispatch, nothing dialled and nothing of
 * the number logged or stored whole; an erasure of the number leaves it on the list. Real dynalite and the PBX
 * simulator; the scheduler on a root whose clock the test drives.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRoot } from '../../lib/compose/root';
import { SOURCE_ADAPTERS } from '../../lib/crm/sources';
import { EraseNumber } from '../../lib/privacy/erase-number';
import { normalizeNumber } from '../../lib/policy/phone';
import { AuditRepository } from '../../lib/store/audit';
import { CallRepository } from '../../lib/store/calls';
import { DoNotCallRepository } from '../../lib/store/do-not-call';
import { PbxEventRepository } from '../../lib/store/pbx-events';
import { TenantRepository } from '../../lib/store/tenants';
import { WebhookSourceRepository } from '../../lib/store/webhook-sources';
import { SAMPLE_AGENTS, SAMPLE_SECRETS, SAMPLE_TENANT_ID } from '../../local/hook-samples';
import { callIdOf } from '../support/api-body';
import { jsonOf, startCliTable, type CliTable } from '../support/cli';
import { LOG_DIR } from '../support/capture-logs';
import { bearer, invoke, invokeEvent, seedTenant, startTestEnv, testSealer, useEnvForHandlers, type TestEnv } from '../support/env';
import { signedVariant } from '../support/hooks';

let env: TestEnv;
let dncApi: typeof import('../../functions/dnc').handler;
let create: typeof import('../../functions/calls-create').handler;
let hooks: typeof import('../../functions/hooks').handler;
let dispatchDueUseCase: typeof import('../../lib/compose/dispatch-due').dispatchDueUseCase;
let key: string;
let readKey: string;
let agentsKey: string;
let calls: CallRepository;

const T = 'dnc-api';
const LISTED = '+447766889960';
const LISTED_DIGITS = LISTED.slice(1);

const dnc = (method: 'PUT' | 'DELETE', number: string, k = key) =>
  invoke(dncApi, { method, route: '/v1/dnc/{number}', path: { number }, headers: bearer(k) });
const lookup = (query: Record<string, string>, k = key) => invoke(dncApi, { method: 'GET', route: '/v1/dnc', query, headers: bearer(k) });
const placeCall = (body: unknown, k = key) =>
  invoke(create, {
    method: 'POST',
    route: '/v1/calls',
    headers: { ...bearer(k), 'idempotency-key': `dnc-${Date.now()}-${Math.random()}` },
    body,
  });
const dialsTo = (digits: string) => env.sim.requests().filter((r) => r.legB === digits).length;
/** Every structured log line this worker wrote so far (test/support/capture-logs.ts). */
const logLines = () =>
  existsSync(LOG_DIR)
    ? readdirSync(LOG_DIR)
        .filter((f) => f === `worker-${process.pid}.jsonl`)
        .flatMap((f) => readFileSync(join(LOG_DIR, f), 'utf8').split('\n'))
    : [];

beforeAll(async () => {
  env = await startTestEnv();
  useEnvForHandlers(env, { ALLOW_PRIVATE_OUTBOUND: 'true' });
  ({ handler: dncApi } = await import('../../functions/dnc'));
  ({ handler: create } = await import('../../functions/calls-create'));
  ({ handler: hooks } = await import('../../functions/hooks'));
  ({ dispatchDueUseCase } = await import('../../lib/compose/dispatch-due'));
  ({ key } = await seedTenant(env, { tenantId: T }));
  ({ key: readKey } = await seedTenant(env, { tenantId: 'dnc-reader' }, { scopes: ['calls:read'] }));
  ({ key: agentsKey } = await seedTenant(env, { tenantId: 'dnc-agents' }, { scopes: ['agents:write', 'agents:read'] }));
  calls = new CallRepository(env.table);
});

afterAll(async () => {
  await env?.stop();
});

describe('the routes', () => {
  it('PUT lists a number (201, then 200), in any spelling of it; GET looks it up; DELETE takes it off (204, then 404)', async () => {
    const first = await dnc('PUT', LISTED);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ number: LISTED, listed: true });
    expect(String((first.body as Record<string, unknown>).by)).toMatch(/^api:/);
    // The national spelling, read in the tenant's default country (GB), is the same number.
    expect((await dnc('PUT', '07766 889960')).status).toBe(200);
    expect((await lookup({ number: '+44 7766 889960' })).body).toMatchObject({ number: LISTED, listed: true });
    expect((await lookup({ number: '+447766889961' })).body).toEqual({ number: '+447766889961', listed: false });
    expect((await dnc('PUT', '+447766889962')).status).toBe(201);
    expect((await dnc('DELETE', '+447766889962')).status).toBe(204);
    expect((await dnc('DELETE', '+447766889962')).body.code).toBe('not_found');
    expect((await lookup({ number: '+447766889962' })).body).toMatchObject({ listed: false });
  });

  it('refuses a bad number naming the field, and a key without the scope, changing nothing', async () => {
    const bad = await dnc('PUT', 'not-a-number');
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ path: 'path.number', message: 'not a valid phone number' }]);
    const missing = await lookup({});
    expect(missing.status).toBe(400);
    expect(missing.body.errors?.[0]?.path).toBe('query.number');
    // calls:read may look up, not list; agents:* neither.
    expect((await dnc('PUT', '+447766889963', readKey)).body.code).toBe('insufficient_scope');
    expect((await lookup({ number: '+447766889963' }, readKey)).status).toBe(200);
    expect((await lookup({ number: '+447766889963' }, agentsKey)).body.code).toBe('insufficient_scope');
    expect((await lookup({ number: '+447766889963' })).body).toMatchObject({ listed: false });
  });

  it('keeps no number in the table: the entry is a keyed hash, different for another tenant', async () => {
    const items = (await env.table.doc.send(new ScanCommand({ TableName: env.table.name }))).Items ?? [];
    const entries = items.filter((i) => i.type === 'dnc');
    expect(entries.length).toBeGreaterThan(0);
    expect(JSON.stringify(entries)).not.toContain(LISTED_DIGITS);
    expect(JSON.stringify(entries)).not.toContain('7766889960');
    const other = new DoNotCallRepository(env.table);
    await other.add('dnc-reader', LISTED, 'test');
    const sks = items.filter((i) => i.type === 'dnc').map((i) => String(i.sk));
    const [readerEntry] = (await other.listAll('dnc-reader')).map((e) => e.id);
    expect(sks.some((sk) => sk.includes(readerEntry!))).toBe(false);
  });
});

describe('a call to a listed number', () => {
  it('from the API: 422 do_not_call, no call kept, nothing dialled, nothing of the number logged', async () => {
    const before = logLines().length;
    const refused = await placeCall({ agent: { crmUserId: 'u-17' }, to: '07766 889960' });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: 'do_not_call' });
    expect(refused.body).not.toHaveProperty('call');
    expect(dialsTo(LISTED_DIGITS)).toBe(0);
    expect((await calls.queries.list(T, {}, { limit: 100 })).items.filter((c) => c.to === LISTED)).toEqual([]);
    const written = logLines().slice(before).join('\n');
    expect(written).toContain('do_not_call');
    expect(written).not.toContain('889960');
    // The agent it had taken for the call was given back: a call to another number dials at once.
    expect((await placeCall({ agent: { crmUserId: 'u-17' }, to: '+447766889964' })).status).toBe(201);
  });

  it('from a webhook: refused with do_not_call, nothing dialled', async () => {
    await seedTenant(env, { tenantId: SAMPLE_TENANT_ID }, { agents: SAMPLE_AGENTS.map((a) => ({ ...a })) });
    const sources = new WebhookSourceRepository(env.table, testSealer(), SOURCE_ADAPTERS);
    await sources.addSecret(SAMPLE_TENANT_ID, 'standard', SOURCE_ADAPTERS.standard.secrets.toStored(SAMPLE_SECRETS.standard));
    // The standard sample calls +44 7766 889900.
    await new DoNotCallRepository(env.table).add(SAMPLE_TENANT_ID, '+447766889900', 'test');
    const res = await invokeEvent(hooks, signedVariant('standard', 'valid', 'dnc-1'));
    expect(res.body).toMatchObject({ code: 'do_not_call' });
    expect(dialsTo('447766889900')).toBe(0);
  });

  it('by the scheduler at dispatch: a scheduled call whose number was listed meanwhile ends rejected do_not_call, undialled', async () => {
    const at = new Date(Date.now() + 3_600_000);
    const placed = await placeCall({ agent: { crmUserId: 'u-18' }, to: '+447766889965', notBefore: at.toISOString() });
    expect(placed.body.state).toBe('scheduled');
    expect((await dnc('PUT', '+447766889965')).status).toBe(201);
    const report = await dispatchDueUseCase(createRoot({ clock: () => new Date(at.getTime() + 1_000) })).runOnce();
    expect(report).toMatchObject({ ended: 1, sent: 0 });
    expect(await calls.get(T, callIdOf(placed))).toMatchObject({ state: 'rejected', reason: 'do_not_call' });
    expect(dialsTo('447766889965')).toBe(0);
  });

  it("stays refused after the number's erasure: the list is not erased with the calls", async () => {
    const number = '+447766889966';
    expect((await placeCall({ agent: { crmUserId: 'u-18' }, to: number })).status).toBe(201);
    expect((await dnc('PUT', number)).status).toBe(201);
    const tenant = (await env.tenants.get(T))!;
    const counts = await new EraseNumber({
      calls,
      pbxEvents: new PbxEventRepository(env.table),
      audit: new AuditRepository(env.table),
    }).execute({ tenant, number: normalizeNumber(number, 'GB')!, by: 'test' });
    expect(counts.calls).toBe(1);
    expect((await lookup({ number })).body).toMatchObject({ listed: true });
    expect((await placeCall({ agent: { crmUserId: 'u-18' }, to: number })).body.code).toBe('do_not_call');
    expect(dialsTo(number.slice(1))).toBe(1);
  });
});

describe('c2c dnc', () => {
  let cli: CliTable;
  const tenantId = 'dnc-cli';
  beforeAll(async () => {
    cli = await startCliTable('dnc');
    await new TenantRepository(cli.table, testSealer()).create({
      tenantId,
      name: 'Do not call',
      crmId: '1',
      clientId: '2',
      defaultCountry: 'GB',
      pbx: { urlShape: 'click2call', baseUrl: 'https://pbx.example.com' },
    });
  });
  afterAll(async () => {
    await cli?.stop();
  });

  it('add, list (a count and ids, never a number), look up, remove', async () => {
    const added = await cli.c2c(['dnc', 'add', tenantId, '07766 889970', '+447766889971']);
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('Listed +44*******970');
    expect(added.stdout).not.toContain('889970');
    expect((await cli.c2c(['dnc', 'add', tenantId, '+447766889970'])).stdout).toContain('Already listed');
    const listed = await cli.c2c(['dnc', 'list', tenantId]);
    expect(listed.stdout).toContain('2 numbers on the do-not-call list');
    expect(listed.stdout).not.toContain('88997');
    expect(jsonOf<{ count: number }>(await cli.c2c(['dnc', 'list', tenantId, '--json'])).count).toBe(2);
    expect((await cli.c2c(['dnc', 'list', tenantId, '--number', '+44 7766 889971'])).stdout).toContain('is listed since');
    expect((await cli.c2c(['dnc', 'remove', tenantId, '+447766889971'])).code).toBe(0);
    const again = await cli.c2c(['dnc', 'remove', tenantId, '+447766889971']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('is not on the do-not-call list');
    expect((await cli.c2c(['dnc', 'list', tenantId, '--number', '+447766889971'])).stdout).toContain('is not listed');
    expect((await cli.c2c(['dnc', 'add', tenantId, 'nope'])).code).toBe(1);
  });

  it('import: one invalid number writes nothing; --skip-invalid lists the others', async () => {
    const file = join(cli.workDir, 'dnc.csv');
    writeFileSync(file, 'name,number\nA,+447766889980\nB,not a number\nC,07766 889981\n');
    const blocked = await cli.c2c(['dnc', 'import', tenantId, file]);
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toMatch(/3\s+not a valid phone number/);
    expect((await cli.c2c(['dnc', 'list', tenantId, '--number', '+447766889980'])).stdout).toContain('is not listed');
    const skipped = await cli.c2c(['dnc', 'import', tenantId, file, '--skip-invalid']);
    expect(skipped.code).toBe(0);
    expect(skipped.stdout).toContain('added 2, already listed 0, invalid 1');
    expect((await cli.c2c(['dnc', 'list', tenantId, '--number', '+447766889981'])).stdout).toContain('is listed since');
  });
});
