import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issuePbxEventsToken, pbxEventsUrl } from '../../lib/calls/pbx-event-tokens';
import { callIdFor } from '../../lib/calls/request';
import { SOURCE_ADAPTERS } from '../../lib/crm/sources';
import { CALL_STATES, type CallState } from '../../lib/model/call';
import { NotificationDeliverer } from '../../lib/notify/deliver';
import { newCallbackSecret } from '../../lib/notify/secrets';
import { buildOpenApiDocument } from '../../lib/openapi/document';
import { CallRepository } from '../../lib/store/calls';
import { WebhookSourceRepository } from '../../lib/store/webhook-sources';
import { loadSample, resignSample, retargetSample, SOURCE_SAMPLES } from '../../local/hook-samples';
import { startWebhookReceiver, type WebhookReceiver } from '../../local/webhook-receiver';
import {
  bearer,
  invoke,
  invokeEvent,
  seedTenant,
  startTestEnv,
  testSealer,
  useEnvForHandlers,
  type InvokeResult,
  type TestEnv,
} from '../support/env';
import { editJson } from '../support/hooks';
import { serveHandler } from '../support/serve-handler';

/**
 * One call shape (docs/api.md, "The call resource"): a call in every state it can be read in, made through the real
 * handlers, dynalite and the PBX simulator, read back as each surface gives it (the POST's answer or its problem's
 * `call`, a CRM webhook's answer, GET /v1/calls/{callId}, the listing, the outcome notifications), is valid against the OpenAPI document's
 * schema made strict (no field it does not name), and every field of it is required there. `accepted` is never a
 * stored state (the reservation writes `dispatching`, `scheduled` or `rejected` at once): it is only the first event.
 */

type JsonSchema = Record<string, unknown>;
interface CompiledSchema {
  (data: unknown): boolean;
  errors?: unknown[] | null;
}
interface AjvInstance {
  compile(schema: JsonSchema): CompiledSchema;
}

/** The ajv (2020-12, OpenAPI 3.1's dialect) that @seriousme/openapi-schema-validator itself depends on. */
function newAjv(): AjvInstance {
  const fromValidator = createRequire(createRequire(import.meta.url).resolve('@seriousme/openapi-schema-validator'));
  const Ajv2020 = (fromValidator('ajv/dist/2020.js') as { default: new (options: object) => AjvInstance }).default;
  const addFormats = (fromValidator('ajv-formats') as { default: (ajv: AjvInstance) => void }).default;
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv;
}

const document = buildOpenApiDocument() as { components: { schemas: Record<string, JsonSchema> } };
const components = document.components.schemas;

/** A component with its $refs inlined and every object closed: a field the schema does not name fails. */
function strict(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strict);
  if (!node || typeof node !== 'object') return node;
  const schema = node as JsonSchema;
  if (typeof schema.$ref === 'string') return strict(components[schema.$ref.replace('#/components/schemas/', '')]);
  const out: JsonSchema = {};
  for (const [name, value] of Object.entries(schema))
    out[name] =
      name === 'properties'
        ? Object.fromEntries(Object.entries(value as JsonSchema).map(([field, s]) => [field, strict(s)]))
        : strict(value);
  if (schema.properties) out.additionalProperties = false;
  return out;
}

/** Every object schema under `node` with the fields it names and those it requires. */
function objectsOf(node: unknown, path = '$'): Array<{ path: string; names: string[]; required: string[] }> {
  if (Array.isArray(node)) return node.flatMap((n, i) => objectsOf(n, `${path}[${i}]`));
  if (!node || typeof node !== 'object') return [];
  const schema = node as JsonSchema & { properties?: JsonSchema; required?: string[] };
  const here = schema.properties
    ? [{ path, names: Object.keys(schema.properties).sort(), required: [...(schema.required ?? [])].sort() }]
    : [];
  const below = Object.entries(schema).flatMap(([name, value]) =>
    name === 'properties'
      ? Object.entries(value as JsonSchema).flatMap(([field, s]) => objectsOf(s, `${path}.${field}`))
      : objectsOf(value, `${path}/${name}`),
  );
  return [...here, ...below];
}

const ajv = newAjv();
const validateCall = ajv.compile(strict(components.Call) as JsonSchema);
const validateNotification = ajv.compile(strict(components.CallNotification) as JsonSchema);

function expectValid(validate: CompiledSchema, value: unknown, what: string) {
  const valid = validate(value);
  expect(valid ? [] : validate.errors, `${what}: ${JSON.stringify(value)}`).toEqual([]);
}

const TENANT = 'shape-acme';
const RINGING = '+447766889932';
const LONG_TALK = '+447766889931';
const BY_OUTCOME: Array<[CallState, string]> = [
  ['no_answer', '+447766889933'],
  ['busy', '+447766889934'],
  ['failed', '+447766889935'],
  ['completed', '+447766889936'],
];

let env: TestEnv;
let create: typeof import('../../functions/calls-create').handler;
let getCall: typeof import('../../functions/calls-get').handler;
let listCalls: typeof import('../../functions/calls-list').handler;
let cancel: typeof import('../../functions/calls-cancel').handler;
let hooks: typeof import('../../functions/hooks').handler;
let events: Awaited<ReturnType<typeof serveHandler>>;
let receiver: WebhookReceiver;
let calls: CallRepository;
let key: string;
let eventsUrl: string;
const secret = newCallbackSecret();
/** Each call as read in the state it was made for. */
const seen = new Map<CallState, unknown>();

let seq = 0;
const newKey = () => `shape-${Date.now()}-${++seq}`;
const post = (body: unknown, idempotencyKey = newKey()) =>
  invoke(create, { method: 'POST', route: '/v1/calls', headers: { ...bearer(key), 'idempotency-key': idempotencyKey }, body });
const read = async (callId: string) =>
  (await invoke(getCall, { method: 'GET', route: '/v1/calls/{callId}', path: { callId }, headers: bearer(key) })).body as unknown as {
    state: CallState;
  };
const idOf = (res: InvokeResult) => (res.body.callId ?? res.body.call?.callId)!;
const inAnHour = () => new Date(Date.now() + 3600_000).toISOString();

/** The call of an answer (itself, or its problem's `call`), valid; then read back in `state`, valid, and kept. */
async function check(res: InvokeResult, state: CallState) {
  const answered = res.body.call ?? res.body;
  expect(answered, JSON.stringify(res.body)).toMatchObject({ state });
  expectValid(validateCall, answered, `the answer of a ${state} call (${res.status})`);
  await readIn(idOf(res), state);
}

/** GET the call until it is in `state`; it is valid, and kept as that state's sample. */
async function readIn(callId: string, state: CallState, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  let call = await read(callId);
  while (call.state !== state && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    call = await read(callId);
  }
  expect(call.state).toBe(state);
  expectValid(validateCall, call, `GET of a ${state} call`);
  seen.set(state, call);
}

beforeAll(async () => {
  env = await startTestEnv();
  useEnvForHandlers(env, { ALLOW_PRIVATE_OUTBOUND: 'true' });
  ({ handler: create } = await import('../../functions/calls-create'));
  ({ handler: getCall } = await import('../../functions/calls-get'));
  ({ handler: listCalls } = await import('../../functions/calls-list'));
  ({ handler: cancel } = await import('../../functions/calls-cancel'));
  ({ handler: hooks } = await import('../../functions/hooks'));
  events = await serveHandler((await import('../../functions/pbx-events')).handler, '/v1/pbx-events/{tenantId}/{token}');
  receiver = await startWebhookReceiver({ secrets: [secret.secret] });
  calls = new CallRepository(env.table);
  const { token, record } = issuePbxEventsToken();
  ({ key } = await seedTenant(
    env,
    { tenantId: TENANT, pbxEvents: { tokens: [record] }, callback: { url: receiver.url, secrets: [secret] } },
    { agents: [] },
  ));
  await env.agents.put(TENANT, 'u-17', { extension: '1000', email: 'alice@example.com', teams: ['sales'] });
  await env.agents.put(TENANT, 'u-18', { extension: '1001', teams: ['sales'] });
  await env.agents.put(TENANT, 'u-19', { extension: '1002', teams: ['solo'] });
  eventsUrl = pbxEventsUrl(events.url, TENANT, token);
  await new WebhookSourceRepository(env.table, testSealer(), SOURCE_ADAPTERS).addSecret(
    TENANT,
    'token',
    SOURCE_ADAPTERS.token.secrets.toStored(SOURCE_SAMPLES.token.secret),
  );
  env.sim.setPlayout({
    default: { outcome: 'answered', ringSec: 0.2, talkSec: 0.3 },
    rules: [
      { match: { number: RINGING }, outcome: 'answered', ringSec: 120, talkSec: 1 },
      { match: { number: LONG_TALK }, outcome: 'answered', ringSec: 0.2, talkSec: 120 },
      { match: { number: BY_OUTCOME[0]![1] }, outcome: 'no_answer', ringSec: 0.2, talkSec: 0 },
      { match: { number: BY_OUTCOME[1]![1] }, outcome: 'busy', ringSec: 0.1, talkSec: 0 },
      { match: { number: BY_OUTCOME[2]![1] }, outcome: 'failed', ringSec: 0.1, talkSec: 0, hangupCause: 'Route Unavailable' },
    ],
  });
});

afterAll(async () => {
  env?.sim.setWebhooks([]);
  await receiver?.close();
  await events?.close();
  await env?.stop();
});

describe('the call resource', () => {
  it('names every field as required in the OpenAPI document, in the call and in each of its objects', () => {
    const objects = objectsOf(components.Call);
    expect(objects.map((o) => o.path)).toEqual(
      expect.arrayContaining(['$', '$.agent/anyOf[0]', '$.pbx/anyOf[0]', '$.outcome', '$.events/items', '$.routing/anyOf[0]']),
    );
    for (const { path, names, required } of objects) expect(required, path).toEqual(names);
  });

  // Without the simulator's PBX Stats events: each call stays where its answer left it.
  it('has one shape when scheduled (for an agent and for a team), cancelled, queued, rejected and not sent', async () => {
    await check(await post({ agent: { email: 'alice@example.com' }, to: '+44 7766 889900', notBefore: inAnHour() }), 'scheduled');
    const teamScheduled = await post({ team: 'sales', to: '+44 7766 889901', notBefore: inAnHour(), maxWaitSec: 60 });
    expectValid(validateCall, teamScheduled.body, 'a scheduled team call');
    expect(teamScheduled.body).toMatchObject({ state: 'scheduled', agent: null, team: 'sales', routing: null, queue: { since: null } });

    const cancelled = await invoke(cancel, {
      method: 'DELETE',
      route: '/v1/calls/{callId}',
      path: { callId: idOf(teamScheduled) },
      headers: bearer(key),
    });
    await check(cancelled, 'cancelled');

    // The only member of `solo` takes the first call; the second waits for it, queued, with no agent yet.
    await check(await post({ team: 'solo', to: '+44 7766 889902' }), 'dialing');
    const queued = await post({ team: 'solo', to: '+44 7766 889903', maxWaitSec: 600 });
    await check(queued, 'queued');
    expect(queued.body).toMatchObject({ agent: null, team: 'solo', schedule: null, routing: { chosen: null } });

    await check(await post({ agent: { crmUserId: 'u-18' }, to: '+44 12' }), 'rejected');

    const tenant = (await env.tenants.get(TENANT))!;
    await env.tenants.put({ ...tenant, pbx: { ...tenant.pbx, baseUrl: 'http://127.0.0.1:9' } });
    try {
      await check(await post({ agent: { crmUserId: 'u-18' }, to: '+44 7766 889904' }), 'not_sent');
    } finally {
      await env.tenants.put(tenant);
    }
  });

  it('has one shape while dispatching, unknown, dialing, and replayed', async () => {
    // The PBX answers late: read while the GET is in flight, the call is `dispatching`.
    env.sim.setFault({ mode: 'latency', latencyMs: 1500, times: 1 });
    const idempotencyKey = newKey();
    const inFlight = post({ agent: { crmUserId: 'u-17' }, to: RINGING }, idempotencyKey);
    await readIn(callIdFor(TENANT, idempotencyKey), 'dispatching');
    expectValid(validateCall, (await inFlight).body, 'the answer after the latency');

    env.sim.setFault({ mode: 'hang', times: 1, placed: false });
    await check(await post({ agent: { crmUserId: 'u-18' }, to: RINGING }), 'unknown');

    const replayKey = newKey();
    await check(await post({ agent: { extension: '1001' }, to: RINGING }, replayKey), 'dialing');
    const replay = await post({ agent: { extension: '1001' }, to: RINGING }, replayKey);
    expect(replay.body).toMatchObject({ duplicate: true, agent: { crmUserId: 'u-18', email: null, extension: '1001' } });
    expectValid(validateCall, replay.body, 'a replay');

    // A CRM webhook's answer: the call it placed, and the rejected call of a permanent refusal (answered 200).
    const delivery = (n: string, agentEmail: string) => {
      const event = SOURCE_SAMPLES.token.variant(retargetSample(loadSample('token', 'valid'), TENANT), n);
      const edited = editJson(event, (b: { agent_email: string }) => void (b.agent_email = agentEmail));
      return invokeEvent(hooks, resignSample(edited, 'token', 'valid', Date.now()));
    };
    const placed = await delivery(newKey(), 'alice@example.com');
    expect(placed.status).toBe(201);
    await check(placed, 'dialing');
    const refused = await delivery(newKey(), 'nobody@example.com');
    expect([refused.status, refused.headers['x-c2c-refusal']]).toEqual([200, 'agent_not_found']);
    expect(refused.body.agent).toEqual({ crmUserId: null, email: 'nobody@example.com', extension: null });
    await check(refused, 'rejected');
  });

  it('has one shape once the PBX says it was answered, and in each end', async () => {
    env.sim.setWebhooks([{ url: eventsUrl, method: 'POST_JSON', retryDelaySec: 0.1 }]);
    await readIn(idOf(await post({ agent: { crmUserId: 'u-17' }, to: LONG_TALK })), 'answered');
    for (const [state, to] of BY_OUTCOME) await readIn(idOf(await post({ agent: { crmUserId: 'u-18' }, to })), state);
  });

  it('has one shape in the listing, every state covered, and in the outcome notifications', async () => {
    expect([...seen.keys()].sort()).toEqual(CALL_STATES.filter((s) => s !== 'accepted').sort());
    const page = await invoke(listCalls, { method: 'GET', route: '/v1/calls', query: { limit: '100' }, headers: bearer(key) });
    const listed = page.body.calls ?? [];
    expect(new Set(listed.map((c) => c.state)).size).toBeGreaterThanOrEqual(10);
    for (const call of listed) expectValid(validateCall, call, `a listed ${call.state} call`);

    const deliverer = new NotificationDeliverer({
      calls,
      getTenant: (tenantId) => env.tenants.get(tenantId),
      sink: { send: () => Promise.resolve() },
      settings: {
        timeoutMs: 2000,
        baseDelayMs: 1000,
        maxDelayMs: 1000,
        maxAgeMs: 3600_000,
        maxAttempts: 0,
        concurrency: 4,
        batchSize: 100,
      },
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    });
    await deliverer.deliverDue();
    const notifications = receiver.notifications();
    expect(new Set(notifications.map((n) => n.data.call.state)).size).toBeGreaterThanOrEqual(10);
    for (const n of notifications) expectValid(validateNotification, n, `the notification ${n.type}`);
  });
});
