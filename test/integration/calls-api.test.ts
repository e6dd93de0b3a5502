import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { callIdOf, present } from '../support/api-body';
import { bearer, invoke, seedTenant, startTestEnv, useEnvForHandlers, type TestEnv } from '../support/env';

let env: TestEnv;
let create: typeof import('../../functions/calls-create').handler;
let getCall: typeof import('../../functions/calls-get').handler;
let listCalls: typeof import('../../functions/calls-list').handler;
let key: string;
let readOnlyKey: string;

const body = (overrides: Record<string, unknown> = {}) => ({
  agent: { crmUserId: 'u-17' },
  to: '+44 7766 889900',
  lead: { id: 'lead-1' },
  ...overrides,
});

const post = (k: string, payload: unknown, headers: Record<string, string> = {}) =>
  invoke(create, { method: 'POST', route: '/v1/calls', headers: { ...bearer(k), ...headers }, body: payload });

let seq = 0;
const idem = () => ({ 'idempotency-key': `test-${Date.now()}-${++seq}` });

beforeAll(async () => {
  env = await startTestEnv();
  useEnvForHandlers(env);
  ({ handler: create } = await import('../../functions/calls-create'));
  ({ handler: getCall } = await import('../../functions/calls-get'));
  ({ handler: listCalls } = await import('../../functions/calls-list'));
  ({ key } = await seedTenant(env, { tenantId: 'acme', pbx: { urlShape: 'click2call', baseUrl: env.sim.url, timeoutMs: 400 } }));
  ({ key: readOnlyKey } = await seedTenant(env, { tenantId: 'reader' }, { scopes: ['calls:read'] }));
});

afterAll(async () => {
  await env?.stop();
});

beforeEach(() => {
  env.sim.clearFault();
  env.sim.clearRequests();
});

describe('POST /v1/calls on the simulator', () => {
  it("places one call: 201 dialing, and the PBX got exactly one GET in the tenant's URL shape", async () => {
    const res = await post(key, body({ prefix: '*', customData: { domain: 'anothertest' } }), idem());
    expect(res.status).toBe(201);
    expect(res.body.state).toBe('dialing');
    expect(res.body.to).toBe('+447766889900');
    expect(res.body.legB).toBe('447766889900');
    expect(res.body.agent).toEqual({ crmUserId: 'u-17', email: null, extension: '1000' });
    expect(res.body.pbx?.uniqueId).toMatch(/^\d+\.\d+$/);
    expect(res.headers.location).toBe(`/v1/calls/${res.body.callId}`);
    const dials = env.sim.requests();
    expect(dials).toHaveLength(1);
    expect(dials[0]).toMatchObject({
      method: 'GET',
      path: `/call/100/200/1000/447766889900/${encodeURIComponent('*')}`,
      shape: 'click2call',
      crmId: '100',
      clientId: '200',
      legA: '1000',
      legB: '447766889900',
      prefix: '*',
      query: { leadid: 'lead-1', c2c_call_id: res.body.callId, domain: 'anothertest' },
      outcome: 'accepted',
      uniqueId: res.body.pbx?.uniqueId,
    });
  });

  it('uses the PBX Stats URL shape when the tenant is set so, without a prefix segment when none is given', async () => {
    const { key: statsKey } = await seedTenant(env, { tenantId: 'stats-shape', pbx: { urlShape: 'stats', baseUrl: env.sim.url } });
    const res = await post(statsKey, body(), idem());
    expect(res.status).toBe(201);
    const [dial] = env.sim.requests();
    expect(dial).toMatchObject({ shape: 'stats', path: '/click2call/1000/447766889900', legA: '1000', legB: '447766889900' });
    expect(dial?.prefix).toBeUndefined();
  });

  it('replays a repeated request with the same key: 200 duplicate, no second GET', async () => {
    const headers = idem();
    const first = await post(key, body(), headers);
    const again = await post(key, body({ to: '+447766889900' }), headers);
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ callId: first.body.callId, duplicate: true, state: 'dialing' });
    expect(env.sim.requests()).toHaveLength(1);
  });

  it('derives a key when none is sent, so a double click dials once', async () => {
    const payload = body({ lead: { id: 'double-click' } });
    const [a, b] = await Promise.all([post(key, payload), post(key, payload)]);
    expect([a.status, b.status].sort()).toEqual(expect.arrayContaining([201]));
    expect(a.body.callId).toBe(b.body.callId);
    expect(env.sim.requests()).toHaveLength(1);
  });

  it('answers 409 to the same key with another body, and sends nothing more', async () => {
    const headers = idem();
    await post(key, body(), headers);
    const res = await post(key, body({ to: '+44 7766 889901' }), headers);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('idempotency_key_reused');
    expect(env.sim.requests()).toHaveLength(1);
  });

  describe('each answer of the PBX ends in the documented state and status', () => {
    it('refusal (extension unknown to the PBX) -> 422 pbx_rejected, message kept, state rejected', async () => {
      await env.agents.put('acme', 'u-ghost', { extension: '1999' });
      const res = await post(key, body({ agent: { crmUserId: 'u-ghost' } }), idem());
      expect(res.status).toBe(422);
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(res.body.code).toBe('pbx_rejected');
      expect(res.body.call).toMatchObject({ state: 'rejected', reason: 'pbx_rejected', pbx: { message: 'Extension does not exist.' } });
      expect(env.sim.requests()).toHaveLength(1);
    });

    it('404 from the PBX -> 422 pbx_not_allowlisted, state rejected', async () => {
      env.sim.setFault({ mode: 'not_found' });
      const res = await post(key, body(), idem());
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('pbx_not_allowlisted');
      expect(res.body.call?.state).toBe('rejected');
      expect(env.sim.requests()).toHaveLength(1);
    });

    it('source address off the allowlist -> 422 pbx_not_allowlisted', async () => {
      env.sim.setAllow(['203.0.113.7']);
      try {
        const res = await post(key, body(), idem());
        expect(res.status).toBe(422);
        expect(res.body.code).toBe('pbx_not_allowlisted');
        expect(env.sim.requests()[0]?.outcome).toBe('not_allowlisted');
      } finally {
        env.sim.setAllow(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
      }
    });

    it.each([
      ['hang past the timeout', { mode: 'hang' as const }],
      ['connection reset after the request was read', { mode: 'reset' as const }],
      ['HTTP 500', { mode: 'http_500' as const }],
      ['a body that is not JSON', { mode: 'malformed' as const }],
    ])('%s -> 202 unknown, and a retry of the same key sends nothing', async (_name, fault) => {
      env.sim.setFault(fault);
      const headers = idem();
      const res = await post(key, body(), headers);
      expect(res.status).toBe(202);
      expect(res.body.state).toBe('unknown');
      expect(env.sim.requests()).toHaveLength(1);
      env.sim.clearFault();
      const retry = await post(key, body(), headers);
      expect(retry.status).toBe(202);
      expect(retry.body).toMatchObject({ state: 'unknown', duplicate: true });
      expect(env.sim.requests()).toHaveLength(1);
    });

    it('latency under the timeout -> 201 dialing', async () => {
      env.sim.setFault({ mode: 'latency', latencyMs: 100 });
      const res = await post(key, body(), idem());
      expect(res.status).toBe(201);
      expect(res.body.state).toBe('dialing');
    });

    it('PBX unreachable -> 503 not_sent with Retry-After; a retry with the same key dials once it is back', async () => {
      const { key: downKey } = await seedTenant(env, { tenantId: 'down', pbx: { urlShape: 'click2call', baseUrl: 'http://127.0.0.1:9' } });
      const headers = idem();
      const res = await post(downKey, body(), headers);
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('pbx_unreachable');
      expect(res.headers['retry-after']).toMatch(/^\d+$/);
      expect(res.body.call?.state).toBe('not_sent');
      expect(env.sim.requests()).toHaveLength(0);

      const tenant = (await env.tenants.get('down'))!;
      await env.tenants.put({ ...tenant, pbx: { ...tenant.pbx, baseUrl: env.sim.url } });
      // The container caches nothing here (AUTH_CACHE_TTL_MS=0), so the fixed settings apply at once.
      const retry = await post(downKey, body(), headers);
      expect(retry.status).toBe(201);
      expect(retry.body.state).toBe('dialing');
      expect(retry.body.events?.map((e) => e.state)).toEqual(['accepted', 'dispatching', 'not_sent', 'dispatching', 'dialing']);
      expect(env.sim.requests()).toHaveLength(1);
    });
  });
});

describe('bad requests get their documented 4xx problem and reach no PBX', () => {
  afterAll(() => {
    expect(env.sim.requests()).toHaveLength(0);
  });

  it('no key -> 401', async () => {
    const res = await invoke(create, { method: 'POST', route: '/v1/calls', body: body() });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('unauthorized');
    expect(res.headers['www-authenticate']).toBe('Bearer');
  });

  it('a key that does not exist -> 401', async () => {
    const res = await post('c2c_acme_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', body());
    expect(res.status).toBe(401);
  });

  it('a revoked key -> 401', async () => {
    const { key: revoked, keyId } = await seedTenant(env, { tenantId: 'revoked' });
    await env.apiKeys.revoke('revoked', keyId);
    const res = await post(revoked, body());
    expect(res.status).toBe(401);
  });

  it('a key without calls:write -> 403 insufficient_scope', async () => {
    const res = await post(readOnlyKey, body());
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('insufficient_scope');
  });

  it('malformed JSON -> 400 naming the body', async () => {
    const res = await invoke(create, { method: 'POST', route: '/v1/calls', headers: bearer(key), rawBody: '{"agent":' });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ path: 'body', message: 'not valid JSON' }]);
  });

  it('a missing field and an unknown one -> 400 naming both', async () => {
    const res = await post(key, { agent: { crmUserId: 'u-17' }, too: '+447766889900' });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_request');
    expect(res.body.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: 'to' }), { path: 'too', message: 'unknown field' }]),
    );
  });

  it('a bad Idempotency-Key header -> 400 naming the header', async () => {
    const res = await post(key, body(), { 'idempotency-key': 'has spaces in it' });
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.path).toBe('headers.idempotency-key');
  });

  it('a prefix with URL characters -> 400', async () => {
    const res = await post(key, body({ prefix: '../x' }));
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.path).toBe('prefix');
  });

  it('an unknown agent -> 422 agent_not_found, the rejected call kept', async () => {
    const res = await post(key, body({ agent: { email: 'nobody@example.com' } }), idem());
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('agent_not_found');
    const stored = await invoke(getCall, {
      method: 'GET',
      route: '/v1/calls/{callId}',
      path: { callId: callIdOf(res) },
      headers: bearer(key),
    });
    expect(stored.body).toMatchObject({ state: 'rejected', reason: 'agent_not_found' });
  });

  it('an invalid number -> 422 invalid_number', async () => {
    for (const to of ['+44 12', '1-800-FLOWERS', '+44 7766 88990#', 'hello']) {
      const res = await post(key, body({ to }), idem());
      expect(res.status, to).toBe(422);
      expect(res.body.code).toBe('invalid_number');
    }
  });
});

describe('reading calls', () => {
  it("finds a call by id, and not another tenant's", async () => {
    const placed = await post(key, body({ lead: { id: 'read-1' } }), idem());
    const own = await invoke(getCall, {
      method: 'GET',
      route: '/v1/calls/{callId}',
      path: { callId: present(placed.body.callId, 'callId') },
      headers: bearer(key),
    });
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ callId: placed.body.callId, state: 'dialing', duplicate: false });
    const other = await invoke(getCall, {
      method: 'GET',
      route: '/v1/calls/{callId}',
      path: { callId: present(placed.body.callId, 'callId') },
      headers: bearer(readOnlyKey),
    });
    expect(other.status).toBe(404);
  });

  it('lists by lead, newest first, page by page', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await post(key, body({ lead: { id: 'lead-list' }, to: `+44 7766 88990${i}` }), idem());
      ids.push(present(res.body.callId, 'callId'));
    }
    const page1 = await invoke(listCalls, {
      method: 'GET',
      route: '/v1/calls',
      query: { leadId: 'lead-list', limit: '2' },
      headers: bearer(key),
    });
    expect(page1.status).toBe(200);
    expect(page1.body.calls?.map((c) => c.callId)).toEqual([ids[2], ids[1]]);
    const page2 = await invoke(listCalls, {
      method: 'GET',
      route: '/v1/calls',
      query: { leadId: 'lead-list', limit: '2', cursor: present(page1.body.nextCursor, 'nextCursor') },
      headers: bearer(key),
    });
    expect(page2.body.calls?.map((c) => c.callId)).toEqual([ids[0]]);
    expect(page2.body.nextCursor).toBeNull();
  });

  it('refuses a cursor from another listing with 400', async () => {
    const forged = Buffer.from(JSON.stringify({ gsi3pk: 'TENANT#acme#CALLS', gsi3sk: 'x', pk: 'TENANT#acme', sk: 'CALL#x' })).toString(
      'base64url',
    );
    const res = await invoke(listCalls, { method: 'GET', route: '/v1/calls', query: { cursor: forged }, headers: bearer(readOnlyKey) });
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.path).toBe('query.cursor');
  });

  it('refuses an unknown state filter with 400', async () => {
    const res = await invoke(listCalls, { method: 'GET', route: '/v1/calls', query: { state: 'ringing' }, headers: bearer(key) });
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.path).toBe('query.state');
  });
});

describe('an agent stored around the API', () => {
  it('without an extension: 422 agent_not_found saying how to fix it, not a 500, and nothing dialled', async () => {
    const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
    await env.table.doc.send(
      new PutCommand({
        TableName: env.table.name,
        Item: { pk: 'TENANT#acme', sk: 'AGENT#u-broken', tenantId: 'acme', crmUserId: 'u-broken', createdAt: 'x', updatedAt: 'x' },
      }),
    );
    const before = env.sim.requests().length;
    const res = await post(key, body({ agent: { crmUserId: 'u-broken' } }), idem());
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('agent_not_found');
    expect(res.body.detail).toMatch(/incomplete/);
    expect(env.sim.requests().length).toBe(before);
  });
});
