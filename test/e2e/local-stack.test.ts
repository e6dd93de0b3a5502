import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/stack';
import { present, type ApiBody } from '../support/api-body';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack();
  console.log(`local stack ready in ${stack.startupMs} ms`);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

/** JSON of a response, read as the shape the assertions then check. */
const jsonOf = async <T = ApiBody>(res: Response): Promise<T> => (await res.json()) as T;

const api = (path: string, init: RequestInit & { key?: string } = {}) =>
  fetch(`${stack.apiUrl}${path}`, {
    ...init,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${init.key ?? stack.demo.apiKey}`, ...init.headers },
  });

describe('the whole service through serverless-offline', () => {
  it('answers health with the egress IP', async () => {
    const res = await fetch(`${stack.apiUrl}/v1/health`);
    expect(res.status).toBe(200);
    expect(await jsonOf(res)).toMatchObject({ status: 'ok', egressIp: '127.0.0.1' });
  });

  it('places the README call: 201 dialing, one GET at the simulator, readable afterwards', async () => {
    stack.simulator.clearRequests();
    const res = await api('/v1/calls', {
      method: 'POST',
      headers: { 'idempotency-key': `e2e-${Date.now()}` },
      body: JSON.stringify({ agent: { crmUserId: 'u-17' }, to: '+44 7766 889900', lead: { id: '1234' } }),
    });
    expect(res.status).toBe(201);
    const call = await jsonOf(res);
    expect(call).toMatchObject({ state: 'dialing', to: '+447766889900', agent: { crmUserId: 'u-17', extension: '1000' } });

    const sim = await jsonOf<{ requests: unknown[] }>(await fetch(`${stack.pbxSimulatorUrl}/_sim/requests`));
    expect(sim.requests).toHaveLength(1);
    expect(sim.requests[0]).toMatchObject({
      path: '/call/100/200/1000/447766889900',
      query: { leadid: '1234', c2c_call_id: call.callId },
    });

    const read = await api(`/v1/calls/${call.callId}`);
    expect(read.status).toBe(200);
    expect((await jsonOf(read)).pbx?.uniqueId).toBe(present(call.pbx?.uniqueId, 'pbx.uniqueId'));
    const byLead = await jsonOf(await api('/v1/calls?leadId=1234'));
    expect(byLead.calls?.map((c) => c.callId)).toContain(call.callId);
  });

  it('refuses a bad key with a problem document, and dials nothing', async () => {
    stack.simulator.clearRequests();
    const res = await api('/v1/calls', { method: 'POST', key: 'c2c_demo_notarealkeynotarealkeynotarealkey', body: '{}' });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(stack.simulator.requests()).toHaveLength(0);
  });

  it('manages agents over HTTP', async () => {
    // 1001 is the demo's u-18: one agent per extension.
    const taken = await api('/v1/agents/u-99', { method: 'PUT', body: JSON.stringify({ extension: '1001' }) });
    expect(taken.status).toBe(409);
    expect(await jsonOf(taken)).toMatchObject({ code: 'extension_taken', heldBy: 'u-18' });
    const put = await api('/v1/agents/u-99', { method: 'PUT', body: JSON.stringify({ extension: '1099', email: 'Carol@Example.com' }) });
    expect(put.status).toBe(201);
    expect(await jsonOf(put)).toMatchObject({ crmUserId: 'u-99', extension: '1099', email: 'carol@example.com' });
    const list = await jsonOf(await api('/v1/agents'));
    expect(list.agents?.map((a) => a.crmUserId)).toEqual(expect.arrayContaining(['u-17', 'u-18', 'u-99']));
    expect((await api('/v1/agents/u-99', { method: 'DELETE' })).status).toBe(204);
    expect((await api('/v1/agents/u-99')).status).toBe(404);
  });
});
