/**
 * `lead.type` (issue 20): the kind of CRM record a call is about, sent with POST /v1/calls, kept with the call and
 * returned in the call resource (null when not sent); a value that is no kind is a 400 naming `lead.type`, and
 * nothing is recorded or dialled. Real handlers on dynalite and the PBX simulator.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { callIdOf } from '../support/api-body';
import { bearer, invoke, seedTenant, startTestEnv, useEnvForHandlers, type TestEnv } from '../support/env';

let env: TestEnv;
let create: typeof import('../../functions/calls-create').handler;
let getCall: typeof import('../../functions/calls-get').handler;
let listCalls: typeof import('../../functions/calls-list').handler;
let key: string;

let seq = 0;
const post = (lead: unknown, to = `+44 7766 8899${String(++seq).padStart(2, '0')}`) =>
  invoke(create, {
    method: 'POST',
    route: '/v1/calls',
    headers: { ...bearer(key), 'idempotency-key': `lead-type-${Date.now()}-${seq}` },
    body: { agent: { crmUserId: 'u-17' }, to, lead },
  });

const callCount = async () =>
  (await invoke(listCalls, { method: 'GET', route: '/v1/calls', headers: bearer(key), query: { limit: '100' } })).body.calls?.length;

beforeAll(async () => {
  env = await startTestEnv();
  useEnvForHandlers(env);
  ({ handler: create } = await import('../../functions/calls-create'));
  ({ handler: getCall } = await import('../../functions/calls-get'));
  ({ handler: listCalls } = await import('../../functions/calls-list'));
  ({ key } = await seedTenant(env, { tenantId: 'lead-types', pbx: { urlShape: 'click2call', baseUrl: env.sim.url, timeoutMs: 400 } }));
});

afterAll(async () => {
  await env?.stop();
});

beforeEach(() => {
  env.sim.clearRequests();
});

describe('lead.type through POST /v1/calls', () => {
  it.each(['contact', 'company', 'deal', 'person', 'organization', 'lead'])('keeps %s and returns it on the call', async (type) => {
    const placed = await post({ id: '9001', type });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    expect(placed.body.lead).toEqual({ id: '9001', type });
    const read = await invoke(getCall, {
      method: 'GET',
      route: '/v1/calls/{callId}',
      headers: bearer(key),
      path: { callId: callIdOf(placed) },
    });
    expect(read.body.lead).toEqual({ id: '9001', type });
  });

  it('answers type null when the request named none', async () => {
    const placed = await post({ id: '9002' });
    expect(placed.status).toBe(201);
    expect(placed.body.lead).toEqual({ id: '9002', type: null });
  });

  it('makes a replay naming another kind another request: 409 idempotency_key_reused, nothing dialled', async () => {
    const headers = { ...bearer(key), 'idempotency-key': `lead-type-replay-${Date.now()}` };
    const body = { agent: { crmUserId: 'u-17' }, to: '+44 7766 889977', lead: { id: '9004', type: 'contact' } };
    expect((await invoke(create, { method: 'POST', route: '/v1/calls', headers, body })).status).toBe(201);
    const same = await invoke(create, { method: 'POST', route: '/v1/calls', headers, body });
    expect(same.status).toBe(200);
    const other = await invoke(create, {
      method: 'POST',
      route: '/v1/calls',
      headers,
      body: { ...body, lead: { id: '9004', type: 'deal' } },
    });
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('idempotency_key_reused');
    expect(env.sim.requests()).toHaveLength(1);
  });

  it.each([['contat'], ['Contact'], [''], [42], [null]])(
    'refuses type %j with a 400 naming lead.type, nothing recorded or dialled',
    async (type) => {
      const before = await callCount();
      const refused = await post({ id: '9003', type });
      expect(refused.status).toBe(400);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.body).toMatchObject({ code: 'invalid_request' });
      expect(refused.body.errors?.map((e) => e.path)).toEqual(['lead.type']);
      expect(env.sim.requests()).toHaveLength(0);
      expect(await callCount()).toBe(before);
    },
  );
});
