import { randomUUID } from 'node:crypto';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dialQueryOf, pbxSettingsOf } from '../../lib/calls/dial-url';
import { issuePbxEventsToken } from '../../lib/calls/pbx-event-tokens';
import { callIdFor } from '../../lib/calls/request';
import { SOURCE_ADAPTERS } from '../../lib/crm/sources';
import { MAX_JSON_DEPTH } from '../../lib/json/bounded';
import { buildClick2CallUrl, MAX_CLICK2CALL_URL_LENGTH } from '../../lib/pbx/click2call';
import { EVENT_LIMITS } from '../../lib/pbx/stats-event';
import { CallRepository } from '../../lib/store/calls';
import { tenantPk, callSk } from '../../lib/store/keys';
import type { Tenant } from '../../lib/model/tenant';
import { WebhookSourceRepository } from '../../lib/store/webhook-sources';
import { loadSample, retargetSample, SAMPLE_SECRETS } from '../../local/hook-samples';
import { SIM_MAX_HEADER_BYTES } from '../../local/pbx-sim/simulator';
import { present } from '../support/api-body';
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
import { containing } from '../support/match';
import { logLinesDuring } from '../support/log-lines';

/**
 * What strangers and careless callers can send, through the real handlers against dynalite and the PBX
 * simulator: custom data that tries to speak for the PBX, bodies built to crash a parser, and call
 * requests whose Click2Call URL no PBX would take. Each gets a 4xx, changes nothing and logs no ERROR.
 */

let env: TestEnv;
let create: typeof import('../../functions/calls-create').handler;
let pbxEvents: typeof import('../../functions/pbx-events').handler;
let agents: typeof import('../../functions/agents').handler;
let hooks: typeof import('../../functions/hooks').handler;
let calls: CallRepository;
let tenant: Tenant;
let key: string;
let token: string;

const TENANT = 'untrusted';
const EVENTS_ROUTE = '/v1/pbx-events/{tenantId}/{token}';
const DEEP_JSON = '['.repeat(30_000) + ']'.repeat(30_000);

beforeAll(async () => {
  env = await startTestEnv();
  useEnvForHandlers(env);
  ({ handler: create } = await import('../../functions/calls-create'));
  ({ handler: pbxEvents } = await import('../../functions/pbx-events'));
  ({ handler: agents } = await import('../../functions/agents'));
  ({ handler: hooks } = await import('../../functions/hooks'));
  calls = new CallRepository(env.table);
  const issued = issuePbxEventsToken();
  token = issued.token;
  ({ tenant, key } = await seedTenant(env, { tenantId: TENANT, pbxEvents: { tokens: [issued.record] } }));
  const sources = new WebhookSourceRepository(env.table, testSealer(), SOURCE_ADAPTERS);
  await sources.addSecret(TENANT, 'token', SOURCE_ADAPTERS.token.secrets.toStored(SAMPLE_SECRETS.token));
});

afterAll(async () => {
  await env?.stop();
});

beforeEach(() => {
  env.sim.clearRequests();
});

let seq = 0;
const idempotencyKey = () => `untrusted-${Date.now()}-${++seq}`;

const postCall = (body: unknown, keyHeader = idempotencyKey()) =>
  invoke(create, { method: 'POST', route: '/v1/calls', headers: { ...bearer(key), 'idempotency-key': keyHeader }, body });

async function placeCall(customData?: Record<string, string>): Promise<{ callId: string; uniqueId: string }> {
  const res = await postCall({ agent: { crmUserId: 'u-17' }, to: '+44 7766 889900', ...(customData ? { customData } : {}) });
  expect(res.status).toBe(201);
  return { callId: present(res.body.callId, 'callId'), uniqueId: present(res.body.pbx?.uniqueId, 'pbx.uniqueId') };
}

const sendEvent = (fields: Record<string, string>, as: 'json' | 'query', pathToken = token) =>
  as === 'json'
    ? invoke(pbxEvents, {
        method: 'POST',
        route: EVENTS_ROUTE,
        path: { tenantId: TENANT, token: pathToken },
        rawBody: JSON.stringify(fields),
      })
    : invoke(pbxEvents, { method: 'GET', route: EVENTS_ROUTE, path: { tenantId: TENANT, token: pathToken }, query: fields, headers: {} });

/** An HTTP API event whose body is given as bytes (API Gateway base64-encodes what it does not take for text). */
function eventWithBytes(
  route: string,
  pathParams: Record<string, string>,
  headers: Record<string, string>,
  bytes: Buffer,
): APIGatewayProxyEventV2 {
  const [method, template] = route.split(' ') as [string, string];
  const rawPath = template.replace(/\{(\w+)\}/g, (_, name: string) => pathParams[name] ?? '');
  return {
    version: '2.0',
    routeKey: route,
    rawPath,
    rawQueryString: '',
    headers,
    pathParameters: pathParams,
    requestContext: { requestId: randomUUID(), http: { method, path: rawPath } },
    body: bytes.toString('base64'),
    isBase64Encoded: true,
  } as unknown as APIGatewayProxyEventV2;
}

const errorLines = (lines: Array<{ level?: string }>) => lines.filter((line) => line.level === 'ERROR');

describe('custom data never speaks for the PBX', () => {
  it('refuses custom data names the PBX events parser would read as its own fields: 400 naming each, nothing sent, nothing stored', async () => {
    const victim = await placeCall();
    env.sim.clearRequests();
    const keyHeader = idempotencyKey();
    const res = await postCall(
      {
        agent: { crmUserId: 'u-17' },
        to: '+44 7766 889901',
        customData: { domain: 'acme', 'c2c-call-id': victim.callId, Event: 'Call End', hangup_cause: 'USER_BUSY', billsec: '0' },
      },
      keyHeader,
    );
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_request');
    expect(res.body.errors?.map((e) => e.path).sort()).toEqual(
      ['customData.Event', 'customData.billsec', 'customData.c2c-call-id', 'customData.hangup_cause'].sort(),
    );
    expect(res.body.errors?.[0]?.message).toMatch(/reserved/);
    expect(env.sim.requests()).toHaveLength(0);
    expect(await calls.get(TENANT, callIdFor(TENANT, keyHeader))).toBeUndefined();
  });

  it.each(['json', 'query'] as const)('settles only our call when a %s event carries our id and a custom look-alike of it', async (as) => {
    const victim = await placeCall();
    const ours = await placeCall();
    // The look-alike comes first, as the PBX puts custom data before its own fields.
    const res = await sendEvent(
      {
        'c2c-call-id': victim.callId,
        C2C_Call_Id: victim.callId,
        c2c_call_id: ours.callId,
        uniqueid: ours.uniqueId,
        event: 'Call End',
        hangup_cause: 'USER_BUSY',
        billsec: '0',
      },
      as,
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'applied', callId: ours.callId, state: 'busy' });
    expect((await calls.get(TENANT, ours.callId))?.state).toBe('busy');
    const untouched = await calls.get(TENANT, victim.callId);
    expect(untouched?.state).toBe('dialing');
    expect(untouched?.outcome.hangupCause).toBeNull();
  });

  it("sets aside the echo of look-alike custom data a call was stored with before names were checked: the PBX's own event wins", async () => {
    const call = await placeCall({ domain: 'acme' });
    const legacy = { domain: 'acme', Event: 'Call End', hangup_cause: 'USER_BUSY', duration: '1', billsec: '0' };
    await env.table.doc.send(
      new UpdateCommand({
        TableName: env.table.name,
        Key: { pk: tenantPk(TENANT), sk: callSk(call.callId) },
        UpdateExpression: 'SET customData = :customData',
        ExpressionAttributeValues: { ':customData': legacy },
      }),
    );
    // As PBX Stats sends a Call Start: the call's custom data, then its own fields.
    const res = await sendEvent(
      { ...legacy, event: 'Call Start', uniqueid: call.uniqueId, c2c_call_id: call.callId, call_start: '2026-03-01 10:00:00' },
      'json',
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'unchanged', callId: call.callId, state: 'dialing' });
    const stored = await calls.get(TENANT, call.callId);
    expect(stored?.state).toBe('dialing');
    expect(stored?.outcome.hangupCause).toBeNull();
  });
});

describe('bodies built to break a parser', () => {
  it('answers a 30,000-deep JSON to pbx-events 401 without a valid token, 400 with one, and never logs an ERROR', async () => {
    const post = (tenantId: string, pathToken: string) =>
      invoke(pbxEvents, { method: 'POST', route: EVENTS_ROUTE, path: { tenantId, token: pathToken }, rawBody: DEEP_JSON });
    const { result, lines } = await logLinesDuring(async () => [
      await post(TENANT, 'not-the-token'),
      await post('nobody', 'x'),
      await post(TENANT, token),
    ]);
    const [badToken, unknownTenant, withToken] = result;
    expect(badToken!.status).toBe(401);
    expect(unknownTenant!.status).toBe(401);
    expect(withToken!.status).toBe(400);
    expect(withToken!.body.errors).toEqual([{ path: 'body', message: containing(`${MAX_JSON_DEPTH} levels`) }]);
    expect(errorLines(lines)).toEqual([]);
  });

  it('sees an ERROR line when one is written (the capture the previous test relies on works)', async () => {
    const { logger } = await import('../../lib/observability/logger');
    const { lines } = await logLinesDuring(() => Promise.resolve(logger.error('capture check')));
    expect(errorLines(lines)).toEqual([expect.objectContaining({ message: 'capture check' })]);
  });

  it('answers deep JSON to /v1/calls, PUT /v1/agents and /v1/hooks 400 once authenticated, 401 before, with no ERROR line', async () => {
    const hookEvent = (secret: string | undefined) => {
      const sample = retargetSample(loadSample('token', 'valid'), TENANT);
      const headers = { ...sample.headers, 'idempotency-key': idempotencyKey() } as Record<string, string>;
      if (secret === undefined) delete headers['x-c2c-token'];
      return { ...sample, headers, body: DEEP_JSON, isBase64Encoded: false };
    };
    const { result, lines } = await logLinesDuring(async () => [
      await invoke(create, { method: 'POST', route: '/v1/calls', headers: bearer(key), rawBody: DEEP_JSON }),
      await invoke(agents, {
        method: 'PUT',
        route: '/v1/agents/{crmUserId}',
        path: { crmUserId: 'u-99' },
        headers: bearer(key),
        rawBody: DEEP_JSON,
      }),
      await invokeEvent(hooks, hookEvent(SAMPLE_SECRETS.token)),
      await invoke(create, { method: 'POST', route: '/v1/calls', headers: bearer('c2c_nope'), rawBody: DEEP_JSON }),
      await invokeEvent(hooks, hookEvent(undefined)),
    ]);
    expect(result.map((r: InvokeResult) => r.status)).toEqual([400, 400, 400, 401, 401]);
    for (const res of result.slice(0, 3)) expect(res.body.errors).toEqual([{ path: 'body', message: containing('nested deeper') }]);
    expect(errorLines(lines)).toEqual([]);
    expect(env.sim.requests()).toHaveLength(0);
  });

  it('answers a body that is not UTF-8 400 naming the body, after the token is checked', async () => {
    const bytes = Buffer.concat([Buffer.from('event=Call%20Start&uniqueid=1.2&note='), Buffer.from([0xff, 0xfe, 0xc3])]);
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const { result, lines } = await logLinesDuring(async () => [
      await invokeEvent(pbxEvents, eventWithBytes(`POST ${EVENTS_ROUTE}`, { tenantId: TENANT, token }, form, bytes)),
      await invokeEvent(pbxEvents, eventWithBytes(`POST ${EVENTS_ROUTE}`, { tenantId: TENANT, token: 'wrong' }, form, bytes)),
      await invokeEvent(
        create,
        eventWithBytes('POST /v1/calls', {}, { ...bearer(key), 'content-type': 'application/json' }, Buffer.from([0x7b, 0xff, 0x7d])),
      ),
      // A lone surrogate, as a Lambda event's JSON can carry it: no UTF-8 sender wrote that.
      await invoke(pbxEvents, {
        method: 'POST',
        route: EVENTS_ROUTE,
        path: { tenantId: TENANT, token },
        headers: form,
        rawBody: 'event=start&uniqueid=1&x=\uD800',
      }),
    ]);
    const [withToken, wrongToken, callsApi, surrogate] = result;
    expect(withToken!.status).toBe(400);
    expect(withToken!.body.errors).toEqual([{ path: 'body', message: 'not valid UTF-8' }]);
    expect(wrongToken!.status).toBe(401);
    expect(callsApi!.status).toBe(400);
    expect(callsApi!.body.errors).toEqual([{ path: 'body', message: 'not valid UTF-8' }]);
    expect(surrogate!.status).toBe(400);
    expect(errorLines(lines)).toEqual([]);
  });

  it('answers an oversize body 400 with the token, 401 without, and stores no event', async () => {
    const big = JSON.stringify({ event: 'Call Start', uniqueid: '9.9', pad: 'x'.repeat(EVENT_LIMITS.maxBodyBytes) });
    const post = (pathToken: string) =>
      invoke(pbxEvents, { method: 'POST', route: EVENTS_ROUTE, path: { tenantId: TENANT, token: pathToken }, rawBody: big });
    const { result, lines } = await logLinesDuring(async () => [await post(token), await post('wrong')]);
    expect(result[0]!.status).toBe(400);
    expect(result[0]!.body.errors).toEqual([{ path: 'body', message: containing(`${EVENT_LIMITS.maxBodyBytes} bytes`) }]);
    expect(result[1]!.status).toBe(401);
    expect(errorLines(lines)).toEqual([]);
  });
});

describe('the Click2Call URL cap', () => {
  const base = { agent: { crmUserId: 'u-17' }, to: '+44 7766 889900', lead: { id: 'lead-cap' } };

  /**
   * Custom data that makes the call's URL exactly `target` characters, measured by the client's own URL builder.
   * '€' is 9 characters once percent-encoded: the schema's 20 values of 256 characters reach the cap only so.
   */
  function customDataOfLength(callId: string, target: number): Record<string, string> {
    const length = (customData: Record<string, string>) =>
      buildClick2CallUrl(pbxSettingsOf(tenant, 1000), {
        legA: '1000',
        legB: '447766889900',
        query: dialQueryOf({ callId, customData, leadId: base.lead.id }),
      }).href.length;
    const customData: Record<string, string> = {};
    for (let i = 0; ; i++) {
      const name = `d${String(i).padStart(2, '0')}`;
      const room = target - length(customData) - `&${name}=`.length;
      if (room > 9 * 256) {
        customData[name] = '€'.repeat(256);
        continue;
      }
      const euros = Math.max(0, Math.ceil((room - 256) / 8));
      customData[name] = '€'.repeat(euros) + 'a'.repeat(room - 9 * euros);
      return customData;
    }
  }

  it('shows the simulator answering 431 past its header limit, as a PBX answered the GET the old code sent', async () => {
    const res = await fetch(`${env.sim.url}/call/100/200/1000/447766889900?x=${'%E2%82%AC'.repeat(SIM_MAX_HEADER_BYTES / 9 + 1)}`);
    expect(res.status).toBe(431);
  });

  it('refuses ~46 KB of custom data (20 values of 256 characters outside ASCII): 400 naming customData, nothing sent, no call stored', async () => {
    const keyHeader = idempotencyKey();
    const customData = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`field${i}`, '€'.repeat(256)]));
    const { result: res, lines } = await logLinesDuring(() => postCall({ ...base, customData }, keyHeader));
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ path: 'customData', message: containing(`more than the ${MAX_CLICK2CALL_URL_LENGTH}`) }]);
    expect(env.sim.requests()).toHaveLength(0);
    expect(await calls.get(TENANT, callIdFor(TENANT, keyHeader))).toBeUndefined();
    expect(errorLines(lines)).toEqual([]);
  });

  it(`dials a URL of exactly ${MAX_CLICK2CALL_URL_LENGTH} characters, and refuses one more before anything is sent`, async () => {
    const atCapKey = idempotencyKey();
    const atCap = await postCall(
      { ...base, customData: customDataOfLength(callIdFor(TENANT, atCapKey), MAX_CLICK2CALL_URL_LENGTH) },
      atCapKey,
    );
    expect(atCap.status).toBe(201);
    const [dial] = env.sim.requests();
    expect(`${env.sim.url}${dial!.path}?${new URLSearchParams(dial!.query).toString()}`).toHaveLength(MAX_CLICK2CALL_URL_LENGTH);

    env.sim.clearRequests();
    const overKey = idempotencyKey();
    const over = await postCall(
      { ...base, customData: customDataOfLength(callIdFor(TENANT, overKey), MAX_CLICK2CALL_URL_LENGTH + 1) },
      overKey,
    );
    expect(over.status).toBe(400);
    expect(over.body.errors?.[0]?.path).toBe('customData');
    expect(env.sim.requests()).toHaveLength(0);
    expect(await calls.get(TENANT, callIdFor(TENANT, overKey))).toBeUndefined();
  });
});
