/**
 * Least privilege, derived from the code: every function's handler (functions/*.ts) is driven through its paths (every
 * HTTP route, the stream, the schedules) against dynalite, the PBX simulator and CRM receivers, while a recorder
 * (test/support/sdk-recorder.ts) notes each DynamoDB and KMS command the function sends. Each role of the packaged
 * template (test/support/package-stack.ts) must then grant its function exactly those actions, on exactly the table
 * and the indexes used, and the seal key only for the encryption contexts opened: one action too few is an
 * AccessDenied in production, one too many is a privilege nothing needs (docs/security.md, "IAM").
 *
 * Each function is loaded with modules of its own (vi.resetModules), so it has its own clients and caches, as a Lambda
 * container does: a data key one function unwrapped is not in another's cache.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { load as loadYaml } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { issuePbxEventsToken } from '../../lib/calls/pbx-event-tokens';
import { SOURCE_ADAPTERS, type WebhookSource, WEBHOOK_SOURCES } from '../../lib/crm/sources';
import { newCallbackSecret } from '../../lib/notify/secrets';
import { CallRepository } from '../../lib/store/calls';
import { DeadLetterRepository } from '../../lib/store/dead-letters';
import { WorkDirectory } from '../../lib/store/work-directory';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { AgentPresenceRepository } from '../../lib/store/agent-presence';
import { WebhookSourceRepository } from '../../lib/store/webhook-sources';
import { SubscriptionRepository } from '../../lib/store/subscriptions';
import { resignSample, SAMPLE_AGENTS, SAMPLE_SECRETS, SAMPLE_TENANT_ID } from '../../local/hook-samples';
import { startWebhookReceiver, type WebhookReceiver } from '../../local/webhook-receiver';
import { callIdOf, present } from '../support/api-body';
import {
  bearer,
  invoke,
  invokeEvent,
  seedTenant,
  startTestEnv,
  TEST_SEAL_KEY,
  testSealer,
  useEnvForHandlers,
  type TestEnv,
} from '../support/env';
import { editJson, variant } from '../support/hooks';
import { compareGrants, roleGrants, triggerGrants, type GrantDifference } from '../support/iam-grants';
import { packagedStack, repoRoot, type Packaged } from '../support/package-stack';
import { GrantRecorder } from '../support/sdk-recorder';

interface FunctionSpec {
  handler: string;
  events?: Array<{ httpApi?: { method: string; path: string }; schedule?: unknown; stream?: unknown }>;
}
const SERVERLESS = loadYaml(readFileSync(join(repoRoot, 'serverless.yml'), 'utf8')) as { functions: Record<string, FunctionSpec> };
const FUNCTIONS = Object.keys(SERVERLESS.functions);
const ROUTES = FUNCTIONS.flatMap((fn) =>
  (SERVERLESS.functions[fn]!.events ?? []).flatMap((e) => (e.httpApi ? [`${fn} ${e.httpApi.method} ${e.httpApi.path}`] : [])),
);
const TRIGGERED = FUNCTIONS.filter((fn) => (SERVERLESS.functions[fn]!.events ?? []).some((e) => e.schedule ?? e.stream));

type AnyHandler = (event: never, context: Context) => Promise<unknown>;
type HttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<never>;

let env: TestEnv;
let recorder: GrantRecorder;
let packaged: Promise<Packaged>;
let crm: WebhookReceiver;
let downCrm: WebhookReceiver;
let goneHook: WebhookReceiver;
let calls: CallRepository;
let sources: WebhookSourceRepository;
let presence: AgentPresenceRepository;
/** When the call scheduled a little ahead is due. */
let dueAt = 0;
const handlers = new Map<string, AnyHandler>();
const driven = new Set<string>();
let key = '';
let downKey = '';
let pbxToken = '';
let seq = 0;

const MAIN = 'iam-main';
const DOWN = 'iam-down';
const uid = (n: number) => `u-${n}`;
const extensionOf = (n: number) => `${1000 + n}`;
/** Every tenant's PBX is the simulator, with a password: reading a tenant opens a sealed secret, as in production. */
const pbx = () => ({
  urlShape: 'click2call' as const,
  baseUrl: env.sim.url,
  timeoutMs: 300,
  cdrApiUrl: `${env.sim.url}/api/cdrs`,
  basicAuth: { username: 'c2c', password: 'pbx-password-for-the-iam-test' },
});
const context = (remainingMs = 5_000) =>
  ({ awsRequestId: `iam-${++seq}`, functionName: 'test', getRemainingTimeInMillis: () => remainingMs }) as unknown as Context;

/** Loads a function as Lambda would: its own modules (so its own clients and caches), its client watched. */
async function load(fn: string): Promise<AnyHandler> {
  vi.resetModules();
  const file = SERVERLESS.functions[fn]!.handler.replace(/\.handler$/, '');
  const mod = (await import(join(repoRoot, `${file}.ts`))) as { handler: AnyHandler };
  const shared = await import('../../lib/compose/shared');
  recorder.watchTable(fn, shared.table().doc);
  return (event, ctx) => {
    const routeKey = (event as { routeKey?: string } | undefined)?.routeKey;
    driven.add(routeKey ? `${fn} ${routeKey}` : fn);
    return recorder.run(fn, () => mod.handler(event, ctx));
  };
}

const handler = (fn: string) => present(handlers.get(fn), fn) as unknown as HttpHandler;
const api = (fn: string, request: Parameters<typeof invoke>[1]) => invoke(handler(fn), request);
const placeCall = (body: unknown, apiKey = key, idempotencyKey: string | null = `iam-${Date.now()}-${++seq}`) =>
  api('callsCreate', {
    method: 'POST',
    route: '/v1/calls',
    headers: { ...bearer(apiKey), ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) },
    body,
  });
const pbxEvent = (fields: Record<string, string | number>, method: 'GET' | 'POST' = 'GET') => {
  const path = { tenantId: MAIN, token: pbxToken };
  const strings = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)]));
  return method === 'GET'
    ? api('pbxEvents', { method, route: '/v1/pbx-events/{tenantId}/{token}', path, query: strings, headers: {} })
    : api('pbxEvents', { method, route: '/v1/pbx-events/{tenantId}/{token}', path, body: strings });
};
const streamRecord = (tenantId: string, callId: string) => ({
  eventName: 'MODIFY',
  dynamodb: { NewImage: { type: { S: 'call' }, tenantId: { S: tenantId }, callId: { S: callId } }, SequenceNumber: `${++seq}` },
});
/** What EventBridge sends a scheduled function (they read nothing of it). */
const SCHEDULED = { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} };
const today = () => new Date().toISOString().slice(0, 10);

beforeAll(async () => {
  // The package renders in child processes while the flows run.
  packaged = packagedStack('dev');
  packaged.catch(() => undefined);
  env = await startTestEnv();
  env.sim.setExtensions(Array.from({ length: 40 }, (_, i) => extensionOf(i)));
  useEnvForHandlers(env, {
    // KMS (the stand-in), not the local key: the functions seal and open as they do on AWS.
    C2C_LOCAL_SEAL_KEY: '',
    SEAL_KMS_KEY_ID: 'alias/c2c-test',
    RECONCILE_MIN_AGE_SEC: '0',
    RECONCILE_MAX_TRIES: '1',
    NOTIFY_BASE_DELAY_MS: '10',
    NOTIFY_MAX_DELAY_MS: '10',
    NOTIFY_MAX_ATTEMPTS: '2',
  });
  recorder = new GrantRecorder(env.table.name);
  recorder.standInForKms(TEST_SEAL_KEY);
  calls = new CallRepository(env.table);
  presence = new AgentPresenceRepository(env.table);

  const secret = newCallbackSecret();
  crm = await startWebhookReceiver({ secrets: [secret.secret] });
  downCrm = await startWebhookReceiver({ secrets: [secret.secret] });
  downCrm.setDown(true);
  goneHook = await startWebhookReceiver({ secrets: [secret.secret] });
  goneHook.setDown(true, 410);
  const events = issuePbxEventsToken();
  pbxToken = events.token;
  const agents = Array.from({ length: 20 }, (_, i) => ({
    crmUserId: uid(i + 1),
    extension: extensionOf(i + 1),
    email: `agent${i + 1}@example.com`,
  }));
  ({ key } = await seedTenant(
    env,
    {
      tenantId: MAIN,
      pbx: pbx(),
      callback: { url: crm.url, secrets: [secret] },
      pbxEvents: { tokens: [events.record] },
    },
    { agents },
  ));
  for (const n of [7, 8]) await env.agents.put(MAIN, uid(n), { extension: extensionOf(n), teams: ['sales'] });
  ({ key: downKey } = await seedTenant(env, { tenantId: DOWN, pbx: pbx(), callback: { url: downCrm.url, secrets: [secret] } }));
  await seedTenant(env, { tenantId: SAMPLE_TENANT_ID, pbx: pbx() }, { agents: SAMPLE_AGENTS.map((a) => ({ ...a })) });
  for (const n of [21, 22]) await env.agents.put(SAMPLE_TENANT_ID, uid(n), { extension: extensionOf(n), teams: ['sales'] });
  sources = new WebhookSourceRepository(env.table, testSealer(), SOURCE_ADAPTERS);
  for (const source of WEBHOOK_SOURCES) {
    await sources.addSecret(SAMPLE_TENANT_ID, source, SOURCE_ADAPTERS[source].secrets.toStored(SAMPLE_SECRETS[source]));
  }

  for (const fn of FUNCTIONS) handlers.set(fn, await load(fn));
}, 120_000);

afterAll(async () => {
  recorder?.stop();
  await crm?.close();
  await downCrm?.close();
  await goneHook?.close();
  await env?.stop();
});

describe('the flows each function is recorded in', () => {
  it('callsCreate: by id, email and extension, a replay, a keyless request, a team call, a scheduled call, an unknown outcome', async () => {
    const byId = await placeCall({ agent: { crmUserId: uid(1) }, to: '+44 7766 889901', lead: { id: 'lead-1' } }, key, 'iam-first');
    expect(byId.status).toBe(201);
    expect(
      (await placeCall({ agent: { crmUserId: uid(1) }, to: '+44 7766 889901', lead: { id: 'lead-1' } }, key, 'iam-first')).body,
    ).toMatchObject({
      callId: callIdOf(byId),
    });
    expect((await placeCall({ agent: { email: 'agent2@example.com' }, to: '+44 7766 889902' })).status).toBe(201);
    expect((await placeCall({ agent: { extension: extensionOf(3) }, to: '+44 7766 889903' })).status).toBe(201);
    expect((await placeCall({ agent: { crmUserId: uid(5) }, to: '+44 7766 889905', lead: { id: 'lead-5' } }, key, null)).status).toBe(201);
    const team = await Promise.all(['1', '2', '3'].map((n) => placeCall({ team: 'sales', to: `+44 7766 88991${n}`, maxWaitSec: 600 })));
    expect(team.map((a) => a.status).sort()).toEqual([201, 201, 202]);
    const scheduled = await placeCall({
      agent: { crmUserId: uid(11) },
      to: '+44 7766 889911',
      notBefore: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(scheduled.body.state).toBe('scheduled');
    dueAt = Date.now() + 1_500;
    const soon = await placeCall({ agent: { crmUserId: uid(13) }, to: '+44 7766 889914', notBefore: new Date(dueAt).toISOString() });
    expect(soon.body.state).toBe('scheduled');
    env.sim.setFault({ mode: 'hang', placed: true, times: 1 });
    expect((await placeCall({ agent: { crmUserId: uid(9) }, to: '+44 7766 889909' })).body.state).toBe('unknown');
    env.sim.setFault({ mode: 'hang', placed: false, times: 1 });
    expect((await placeCall({ agent: { crmUserId: uid(10) }, to: '+44 7766 889910' })).body.state).toBe('unknown');
  });

  it('hooks: a delivery of each source, a replay, an agent by extension, a team call', async () => {
    const deliver = async (source: WebhookSource, edit?: (body: never) => void) => {
      const event = variant(source, 'valid', `iam${++seq}`);
      const delivery = resignSample(edit ? editJson(event, edit) : event, source, 'valid', Date.now());
      const res = await invokeEvent(handler('hooks'), delivery);
      expect(res.status, `${source}: ${JSON.stringify(res.body)}`).toBe(201);
      return { delivery, res };
    };
    for (const source of WEBHOOK_SOURCES) {
      const { delivery, res } = await deliver(source);
      if (source === 'token') expect((await invokeEvent(handler('hooks'), delivery)).body.callId).toBe(res.body.callId);
      // Each source's agent is on a call now: end it, so the next delivery finds the agent free.
      await calls.transition(SAMPLE_TENANT_ID, callIdOf(res), { from: ['dialing'], to: 'completed', outcome: { billSec: 1 } });
      await presence.markCallEnded(
        SAMPLE_TENANT_ID,
        present(res.body.agent?.crmUserId, 'agent'),
        callIdOf(res),
        Math.floor(Date.now() / 1000),
      );
    }
    await sources.update(SAMPLE_TENANT_ID, 'standard', (current) => ({
      ...current,
      mapping: { agent: { by: 'extension', path: ['data.ext'] } },
    }));
    const byExtension = await deliver('standard', (b: { data: { ext?: string } }) => {
      b.data.ext = extensionOf(21);
    });
    expect(byExtension.res.body.agent?.crmUserId).toBe(uid(21));
    await sources.update(SAMPLE_TENANT_ID, 'hubspot', (current) => ({ ...current, mapping: { team: 'sales', maxWaitSec: 60 } }));
    expect((await deliver('hubspot')).res.body.agent?.crmUserId).toBe(uid(22));
  });

  it('hookDeliveries: the delivery log of a source the hooks function wrote', async () => {
    const sampleKey = (await env.apiKeys.issue(SAMPLE_TENANT_ID, 'iam delivery log', ['calls:read'])).key;
    const res = await api('hookDeliveries', {
      method: 'GET',
      route: '/v1/hooks/deliveries',
      query: { source: 'hubspot' },
      headers: bearer(sampleKey),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect((res.body as unknown as { deliveries: Array<{ verdict: string }> }).deliveries[0]).toMatchObject({ verdict: 'accepted' });
  });

  it('pbxProbe: one probe, under the tenant budget', async () => {
    const res = await api('pbxProbe', { method: 'POST', route: '/v1/diagnostics/pbx-probe', headers: bearer(key) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });

  it('callsGet, callsList, callsCancel and statsAgents: every filter and a second page', async () => {
    const get = (callId: string) => api('callsGet', { method: 'GET', route: '/v1/calls/{callId}', path: { callId }, headers: bearer(key) });
    const list = (query: Record<string, string>) => api('callsList', { method: 'GET', route: '/v1/calls', query, headers: bearer(key) });
    const first = await list({ limit: '2' });
    expect(first.body.calls).toHaveLength(2);
    expect((await list({ limit: '2', cursor: present(first.body.nextCursor, 'nextCursor') })).status).toBe(200);
    // Each filter reads its own index: by lead, by agent, the tenant's time range (the keys-only call indexes, then BatchGetItem).
    const filters: Array<Record<string, string>> = [
      { leadId: 'lead-1' },
      { agent: uid(1) },
      { state: 'dialing', from: `${today()}T00:00:00Z`, to: new Date().toISOString() },
    ];
    for (const query of filters) {
      expect((await list(query)).body.calls?.length, JSON.stringify(query)).toBeGreaterThan(0);
    }
    const callId = present(first.body.calls?.[0]?.callId, 'a call');
    expect((await get(callId)).status).toBe(200);
    expect((await get('c_NOSUCHCALL0000000000000000')).status).toBe(404);

    const scheduled = (await list({ state: 'scheduled' })).body.calls ?? [];
    const cancel = (id: string) =>
      api('callsCancel', { method: 'DELETE', route: '/v1/calls/{callId}', path: { callId: id }, headers: bearer(key) });
    expect(
      (await cancel(present(scheduled.find((c) => c.agent?.crmUserId === uid(11))?.callId, 'the call scheduled an hour ahead'))).status,
    ).toBe(200);
    expect((await cancel(callId)).status).toBe(409);

    const stats = (query: Record<string, string>) =>
      api('statsAgents', { method: 'GET', route: '/v1/stats/agents', query, headers: bearer(key) });
    expect((await stats({ from: today(), to: today(), tz: 'UTC' })).body.agents?.length).toBeGreaterThan(0);
    expect((await stats({ from: today(), to: today(), tz: 'UTC', agent: uid(1) })).status).toBe(200);
  });

  it('agents: every route, a second page, the team and availability filters', async () => {
    const call = (
      method: string,
      route: string,
      extra: { path?: Record<string, string>; query?: Record<string, string>; body?: unknown } = {},
    ) => api('agents', { method, route, headers: bearer(key), ...extra });
    const path = { crmUserId: 'u-new' };
    expect((await call('PUT', '/v1/agents/{crmUserId}', { path, body: { extension: extensionOf(30), teams: ['support'] } })).status).toBe(
      201,
    );
    expect((await call('PUT', '/v1/agents/{crmUserId}', { path, body: { extension: extensionOf(30), teams: ['sales'] } })).status).toBe(
      200,
    );
    expect((await call('GET', '/v1/agents/{crmUserId}', { path })).status).toBe(200);
    const page = await call('GET', '/v1/agents', { query: { limit: '1' } });
    expect((await call('GET', '/v1/agents', { query: { limit: '1', cursor: present(page.body.nextCursor, 'nextCursor') } })).status).toBe(
      200,
    );
    expect((await call('GET', '/v1/agents', { query: { team: 'sales', available: 'true' } })).body.agents?.length).toBeGreaterThan(0);
    expect((await call('GET', '/v1/teams')).status).toBe(200);
    expect((await call('PUT', '/v1/agents/{crmUserId}/availability', { path, body: { available: false } })).status).toBe(200);
    expect((await call('DELETE', '/v1/agents/{crmUserId}', { path })).status).toBe(204);
    expect((await call('GET', '/v1/agents/{crmUserId}', { path })).status).toBe(404);
  });

  it('tenant: reads the settings, patches them (the sealed secrets kept as they are), refuses an invalid patch', async () => {
    const call = (method: string, body?: unknown) =>
      api('tenant', {
        method,
        route: '/v1/tenant',
        headers: { ...bearer(key), 'content-type': 'application/merge-patch+json' },
        ...(body === undefined ? {} : { body }),
      });
    expect((await call('GET')).status).toBe(200);
    expect((await call('PATCH', { policy: { dedupeWindowSec: 90 } })).status).toBe(200);
    expect((await call('PATCH', { policy: { caps: { perTenantPerSecond: 0 } } })).status).toBe(400);
    expect((await call('PATCH', { policy: { dedupeWindowSec: null } })).status).toBe(200);
  });

  it('dnc: a number listed, listed again, looked up, refused to a call, taken off', async () => {
    const dnc = (method: string, route: string, extra: { path?: Record<string, string>; query?: Record<string, string> }) =>
      api('dnc', { method, route, headers: bearer(key), ...extra });
    const path = { number: '+447766889950' };
    expect((await dnc('PUT', '/v1/dnc/{number}', { path })).status).toBe(201);
    expect((await dnc('PUT', '/v1/dnc/{number}', { path })).status).toBe(200);
    expect((await dnc('GET', '/v1/dnc', { query: { number: '07766 889950' } })).body).toMatchObject({ listed: true });
    expect((await placeCall({ agent: { crmUserId: uid(19) }, to: '+44 7766 889950' })).body.code).toBe('do_not_call');
    expect((await dnc('DELETE', '/v1/dnc/{number}', { path })).status).toBe(204);
    expect((await dnc('DELETE', '/v1/dnc/{number}', { path })).status).toBe(404);
  });

  it('subscriptions: every route; a test ping signed with a secret another container sealed; the limit item made once', async () => {
    const sub = (
      method: string,
      route: string,
      extra: { path?: Record<string, string>; body?: unknown; query?: Record<string, string> } = {},
    ) => api('subscriptions', { method, route, headers: bearer(key), ...extra });
    const created = await sub('POST', '/v1/subscriptions', { body: { url: `${crm.url}/subs`, events: ['call.completed'] } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = String((created.body as unknown as { id: string }).id);
    const path = { id };
    expect((await sub('GET', '/v1/subscriptions')).status).toBe(200);
    expect((await sub('GET', '/v1/subscriptions/{id}', { path })).status).toBe(200);
    expect((await sub('PATCH', '/v1/subscriptions/{id}', { path, body: { description: 'iam' } })).status).toBe(200);
    expect((await sub('POST', '/v1/subscriptions/{id}/rotate-secret', { path })).status).toBe(200);
    // Sealed by another container (here the test's sealer): the function's own cache cannot open it, KMS must.
    const theirs = await new SubscriptionRepository(env.table, testSealer()).create(
      MAIN,
      { id: 'sub_iamsealedelse', url: `${crm.url}/other`, events: ['*'], filter: null, description: null, origin: 'cli' },
      [{ ...newCallbackSecret(), expiresAt: null }],
    );
    expect((await sub('POST', '/v1/subscriptions/{id}/test', { path: { id: theirs.id } })).status).toBe(200);
    expect((await sub('GET', '/v1/subscriptions/{id}/deliveries', { path: { id: theirs.id }, query: { limit: '5' } })).status).toBe(200);
    expect((await sub('DELETE', '/v1/subscriptions/{id}', { path })).status).toBe(204);
  });

  it('health, openapi, docs and console answer without the table', async () => {
    expect((await api('health', { method: 'GET', route: '/v1/health' })).status).toBe(200);
    expect((await api('openapi', { method: 'GET', route: '/v1/openapi.json' })).status).toBe(200);
    const docs = (await handler('docs')({ ...eventOf('GET /docs/api.md') }, context())) as { statusCode: number };
    expect(docs.statusCode).toBe(200);
    const page = (await handler('console')({ ...eventOf('GET /console') }, context())) as { statusCode: number };
    expect(page.statusCode).toBe(200);
  });

  it('pbxEvents and dispatchDue: a team call ends, its agent frees up, the scheduler dials the queued call; an orphan event is kept', async () => {
    const teamCalls = (await calls.queries.list(MAIN, {}, { limit: 100 })).items.filter((c) => c.team === 'sales');
    const dialled = present(
      teamCalls.find((c) => c.state === 'dialing'),
      'a dialled team call',
    );
    const ids = { unique_id: present(dialled.pbx?.uniqueId, 'unique id'), c2c_call_id: dialled.callId };
    expect((await pbxEvent({ ...ids, event: 'Call Start' })).status).toBe(200);
    expect((await pbxEvent({ ...ids, event: 'Call Answer', call_answer: new Date().toISOString() }, 'POST')).body.state).toBe('answered');
    const end = {
      ...ids,
      event: 'Call End',
      call_end: new Date().toISOString(),
      duration: 40,
      billsec: 35,
      hangup_cause: 'NORMAL_CLEARING',
    };
    expect((await pbxEvent(end)).body.state).toBe('completed');
    expect((await pbxEvent({ uniqueid: 'no-such-call-1', event: 'Call End', billsec: 0, duration: 1 })).body.status).toBe('orphan');

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, dueAt + 100 - Date.now())));
    const report = (await handler('dispatchDue')(SCHEDULED as never, context())) as { sent: number };
    // The queued team call and the scheduled call that came due.
    expect(report.sent).toBe(2);
    expect((await calls.queries.list(MAIN, {}, { limit: 100 })).items.filter((c) => c.team === 'sales' && c.state === 'queued')).toEqual(
      [],
    );
  });

  it('reconcile: settles the unknown call the PBX placed, flags the one it did not', async () => {
    const report = (await handler('reconcile')(SCHEDULED as never, context())) as { settled: number; flagged: number };
    expect(report).toMatchObject({ settled: 1, flagged: 1 });
  });

  it('notify and notifyRetry: deliver, fail, retry, and dead-letter the last attempt, in either function; to subscriptions too, one of them ended by a 410', async () => {
    const pause = () => new Promise((resolve) => setTimeout(resolve, 50));
    // Subscriptions sealed by another container (the test's sealer): each function opens their secrets through KMS.
    const subs = new SubscriptionRepository(env.table, testSealer());
    const signing = [{ ...newCallbackSecret(), expiresAt: null }];
    const subscribe = (tenantId: string, id: string, url: string) =>
      subs.create(tenantId, { id, url, events: ['*'], filter: null, description: null, origin: 'api' }, signing);
    await subscribe(MAIN, 'sub_iamgone410x', goneHook.url);
    await subscribe(DOWN, 'sub_iamdownhook', `${downCrm.url}/subscription`);
    const notify = async (records: Array<[string, string]>) =>
      expect(await handler('notify')({ Records: records.map(([t, c]) => streamRecord(t, c)) } as never, context())).toEqual({
        batchItemFailures: [],
      });
    const attemptsOf = async (callId: string) => (await calls.get(DOWN, callId))?.notify;
    const delivered = callIdOf(await placeCall({ agent: { crmUserId: uid(12) }, to: '+44 7766 889912' }));
    const first = callIdOf(await placeCall({ agent: { crmUserId: uid(17) }, to: '+44 7766 889913' }, downKey));
    await notify([
      [MAIN, delivered],
      [DOWN, first],
    ]);
    expect(crm.notifications().filter((n) => n.data.call.callId === delivered).length).toBeGreaterThan(0);
    expect(await attemptsOf(first)).toMatchObject({ attempts: 1 });

    const second = callIdOf(await placeCall({ agent: { crmUserId: uid(18) }, to: '+44 7766 889915' }, downKey));
    await pause();
    await handler('notifyRetry')(SCHEDULED as never, context());
    expect((await attemptsOf(first))?.deadLetteredAt).toBeDefined();
    expect(await attemptsOf(second)).toMatchObject({ attempts: 1 });
    await pause();
    await notify([[DOWN, second]]);
    expect((await attemptsOf(second))?.deadLetteredAt).toBeDefined();
    const letters = await new DeadLetterRepository(env.table).list(10);
    expect(letters.map((l) => l.callId)).toEqual(expect.arrayContaining([first, second]));
    expect(await subs.get(MAIN, 'sub_iamgone410x')).toBeUndefined();
    expect(goneHook.deliveries().length).toBeGreaterThan(0);
  });

  it('dispatchDue, reconcile and notifyRetry retire the work markers of a tenant whose lists are empty', async () => {
    // Markers last refreshed ten minutes ago, for a tenant with nothing on its lists: each reader retires its own.
    const idle = 'iam-idle';
    const kinds = ['due', 'pending', 'notify'] as const;
    await new WorkDirectory(env.table, () => new Date(Date.now() - 600_000)).touch(idle, kinds);
    const markers = async () =>
      (
        await Promise.all(
          kinds.map((kind) =>
            env.table.doc.send(new GetCommand({ TableName: env.table.name, Key: { pk: `TENANT#${idle}`, sk: `WORK#${kind}` } })),
          ),
        )
      ).filter((r) => r.Item).length;
    expect(await markers()).toBe(3);
    await handler('dispatchDue')(SCHEDULED as never, context());
    await handler('reconcile')(SCHEDULED as never, context());
    await handler('notifyRetry')(SCHEDULED as never, context());
    expect(await markers()).toBe(0);
  });
});

describe('the roles of the packaged stack', () => {
  it('drove every function, every HTTP route of serverless.yml, and every scheduled or streamed function', () => {
    const missing = [...ROUTES, ...TRIGGERED].filter((r) => !driven.has(r));
    expect(missing).toEqual([]);
  });

  it('lets the probe write its own budget: its role has the UpdateItem its rate counter sends', async () => {
    const { template } = await packaged;
    expect([...recorder.of('pbxProbe')]).toContain('dynamodb:UpdateItem table');
    expect(roleGrants(template, roleOf(template, 'pbxProbe'))).toContain('dynamodb:UpdateItem table');
  });

  it('grants each function exactly the DynamoDB and KMS actions it sends, on exactly the table, indexes and seal-key contexts used', async () => {
    const { template } = await packaged;
    const differences: Record<string, GrantDifference> = {};
    for (const fn of FUNCTIONS) {
      const needed = [...recorder.of(fn), ...triggerGrants(template, functionId(fn))];
      const difference = compareGrants(needed, roleGrants(template, roleOf(template, fn)));
      if (difference.missing.length > 0 || difference.extra.length > 0) differences[fn] = difference;
    }
    expect(differences).toEqual({});
  });
});

function eventOf(routeKey: string): APIGatewayProxyEventV2 {
  const [method = 'GET', rawPath = '/'] = routeKey.split(' ');
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: '',
    headers: {},
    requestContext: { http: { method, path: rawPath } },
    isBase64Encoded: false,
  } as never;
}

const functionId = (fn: string) => `${fn[0]!.toUpperCase()}${fn.slice(1)}LambdaFunction`;

function roleOf(template: Packaged['template'], fn: string): string {
  const role = template.Resources[functionId(fn)]?.Properties?.Role as { 'Fn::GetAtt'?: [string, string] } | undefined;
  return present(role?.['Fn::GetAtt']?.[0], `the role of ${fn}`);
}
