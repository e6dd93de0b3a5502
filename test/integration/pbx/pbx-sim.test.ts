import http from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startPbxSimulator, type PbxSimulator, type SimRequestRecord } from '../../../local/pbx-sim/simulator';
import { anyOf, containing, matching } from '../../support/match';

const CDR_API_KEY = 'cdr-key-123';
let sim: PbxSimulator;

beforeAll(async () => {
  sim = await startPbxSimulator({ port: 0, cdrApiKey: CDR_API_KEY });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(async () => {
  await control('DELETE', '/_sim/requests');
  await control('DELETE', '/_sim/fault');
  await control('PUT', '/_sim/extensions', { extensions: ['1000', '1001'] });
  await control('PUT', '/_sim/allow', { allow: ['127.0.0.1', '::1', '::ffff:127.0.0.1'] });
});

async function control(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    ...(body !== undefined && { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return { status: res.status, json: await res.json() };
}

async function get(path: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${sim.url}${path}`);
  return { status: res.status, text: await res.text() };
}

async function recorded(since?: number): Promise<SimRequestRecord[]> {
  const { json } = await control('GET', since === undefined ? '/_sim/requests' : `/_sim/requests?since=${since}`);
  return (json as { requests: SimRequestRecord[] }).requests;
}

function searchCdrs(form: string, headers: Record<string, string> = { 'x-api-key': CDR_API_KEY }): Promise<Response> {
  return fetch(`${sim.url}/api/cdrs`, {
    method: 'POST',
    body: form,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  });
}

describe('PBX simulator over HTTP', () => {
  it('reports health', async () => {
    expect(await control('GET', '/_sim/health')).toEqual({ status: 200, json: { ok: true } });
  });

  it('serves the documented answers in both shapes', async () => {
    const accepted = await get('/call/1/2/1000/4477668899/%2A?leadid=1234&domain=anothertest');
    expect(accepted.status).toBe(200);
    expect(JSON.parse(accepted.text)).toEqual({
      success: true,
      message: 'OK',
      unique_id: matching(/^\d+\.\d+$/),
      leg_a: '1000',
      leg_b: '*4477668899',
      pbx: 'sim.pbx.commpeak.local',
    });

    const refused = await get('/click2call/2000/4477668899');
    expect(JSON.parse(refused.text)).toMatchObject({ success: false, message: 'Extension does not exist.', leg_a: '2000' });
  });

  it('refuses values that are not digits or not an E.164 length', async () => {
    for (const path of ['/call/x/2/1000/4477668899', '/call/1/2/1000/123', '/click2call/1000/44776688990000000']) {
      expect(JSON.parse((await get(path)).text)).toMatchObject({ success: false, message: anyOf(String) });
    }
  });

  it('hands out a different unique id for every call', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 20; i += 1)
      ids.add((JSON.parse((await get('/click2call/1000/4477668899')).text) as { unique_id: string }).unique_id);
    expect(ids.size).toBe(20);
  });

  it('records every request, whatever it was answered, and pages with since', async () => {
    await get('/click2call/1000/4477668899?c2c_call_id=c_1');
    await control('PUT', '/_sim/fault', { mode: 'http_500', times: 1 });
    await get('/click2call/1000/4477668899');
    await get('/no/such/route');

    const all = await recorded();
    expect(all.map((r) => r.outcome)).toEqual(['accepted', 'http_500', 'no_route']);
    const firstSeq = all[0]?.seq ?? 0;
    expect(all.map((r) => r.seq)).toEqual([firstSeq, firstSeq + 1, firstSeq + 2]);
    expect(all[0]).toMatchObject({
      method: 'GET',
      path: '/click2call/1000/4477668899',
      query: { c2c_call_id: 'c_1' },
      shape: 'stats',
      remoteAddress: containing('127.0.0.1'),
      authorizationPresent: false,
      placed: true,
      uniqueId: anyOf(String),
      at: matching(/^\d{4}-\d{2}-\d{2}T/),
    });
    expect((await recorded(firstSeq + 1)).map((r) => r.outcome)).toEqual(['no_route']);
    expect((await control('GET', '/_sim/requests?since=-1')).status).toBe(400);

    // Clearing keeps seq increasing, so a poller's `since` stays valid.
    await control('DELETE', '/_sim/requests');
    expect(await recorded()).toEqual([]);
    await get('/click2call/1000/4477668899');
    expect((await recorded())[0]?.seq).toBe(firstSeq + 3);
  });

  it('switches faults at run time and shows the one in force', async () => {
    expect((await control('PUT', '/_sim/fault', { mode: 'latency', latencyMs: 50, times: 2 })).json).toEqual({
      mode: 'latency',
      latencyMs: 50,
      remaining: 2,
      placed: true,
    });
    await get('/click2call/1000/4477668899');
    expect((await control('GET', '/_sim/fault')).json).toMatchObject({ mode: 'latency', remaining: 1 });
    expect((await control('DELETE', '/_sim/fault')).json).toMatchObject({ mode: 'none' });
  });

  it('rejects an invalid fault with 400 and keeps the one in force', async () => {
    await control('PUT', '/_sim/fault', { mode: 'http_503' });
    expect((await control('PUT', '/_sim/fault', { mode: 'meltdown' })).status).toBe(400);
    expect((await control('PUT', '/_sim/fault', { mode: 'hang', times: -1 })).status).toBe(400);
    expect((await control('GET', '/_sim/fault')).json).toMatchObject({ mode: 'http_503' });
  });

  it('answers a malformed body and a 503 as configured', async () => {
    await control('PUT', '/_sim/fault', { mode: 'malformed', times: 1 });
    const malformed = await get('/click2call/1000/4477668899');
    expect(malformed.status).toBe(200);
    expect(() => JSON.parse(malformed.text) as unknown).toThrow();

    await control('PUT', '/_sim/fault', { mode: 'http_503', times: 1 });
    expect((await get('/click2call/1000/4477668899')).status).toBe(503);
  });

  it('registers extensions at run time', async () => {
    expect((await control('PUT', '/_sim/extensions', { extensions: ['2000'] })).json).toEqual({ extensions: ['2000'] });
    expect(JSON.parse((await get('/click2call/2000/4477668899')).text)).toMatchObject({ success: true });
    expect(JSON.parse((await get('/click2call/1000/4477668899')).text)).toMatchObject({ success: false });
    expect((await control('PUT', '/_sim/extensions', { extensions: ['ext-1'] })).status).toBe(400);
    expect((await control('GET', '/_sim/extensions')).json).toEqual({ extensions: ['2000'] });
  });

  it('answers 404 to a source address off the allowlist, switchable at run time', async () => {
    await control('PUT', '/_sim/allow', { allow: ['198.51.100.1'] });
    expect((await get('/click2call/1000/4477668899')).status).toBe(404);
    expect((await recorded()).map((r) => r.outcome)).toEqual(['not_allowlisted']);

    // The control endpoints stay reachable, or the allowlist could never be restored.
    await control('PUT', '/_sim/allow', { allow: ['127.0.0.1', '::ffff:127.0.0.1'] });
    expect((await get('/click2call/1000/4477668899')).status).toBe(200);
  });

  it('answers 404 and 405 to unknown control endpoints and methods', async () => {
    expect((await control('GET', '/_sim/nothing')).status).toBe(404);
    expect((await control('POST', '/_sim/fault', {})).status).toBe(405);
  });

  describe('CDR search API', () => {
    it('requires the API key', async () => {
      expect((await searchCdrs('uniqueid=1', {})).status).toBe(401);
      expect((await searchCdrs('uniqueid=1', { 'x-api-key': 'wrong' })).status).toBe(401);
      expect((await searchCdrs('uniqueid=1')).status).toBe(200);
    });

    it('takes form-encoded filters only', async () => {
      const res = await fetch(`${sim.url}/api/cdrs`, {
        method: 'POST',
        body: JSON.stringify({ uniqueid: '1' }),
        headers: { 'content-type': 'application/json', 'x-api-key': CDR_API_KEY },
      });
      expect(res.status).toBe(415);
      expect((await searchCdrs('date_from=someday')).status).toBe(400);
    });

    it('filters by uniqueid, custom fields, hangup cause and dates', async () => {
      const { unique_id: uniqueId } = JSON.parse((await get('/click2call/1000/4477668899?c2c_call_id=c_CDR&leadid=77')).text) as {
        unique_id: string;
      };
      const today = new Date().toISOString().slice(0, 10);

      const byId = (await (await searchCdrs(`uniqueid=${uniqueId}`)).json()) as { data: { custom_fields: unknown }[]; total: number };
      expect(byId.total).toBe(1);
      expect(byId.data[0]?.custom_fields).toEqual({ c2c_call_id: 'c_CDR', leadid: '77' });

      for (const form of ['c2c_call_id=c_CDR', `c2c_call_id=c_CDR&hangup_cause=ANSWERED&date_from=${today}&date_to=${today}`]) {
        expect(await (await searchCdrs(form)).json()).toMatchObject({ total: 1, data: [{ uniqueid: uniqueId }] });
      }
      for (const form of ['c2c_call_id=c_CDR&hangup_cause=BUSY', 'c2c_call_id=c_CDR&date_to=2000-01-01', 'c2c_call_id=c_OTHER']) {
        expect(await (await searchCdrs(form)).json()).toEqual({ data: [], total: 0 });
      }
    });

    it('has a CDR for a call placed behind a fault and none for a fault with placed:false', async () => {
      await control('PUT', '/_sim/fault', { mode: 'http_500', placed: true, times: 1 });
      await get('/click2call/1000/4477668899?c2c_call_id=c_500_PLACED');
      await control('PUT', '/_sim/fault', { mode: 'malformed', placed: false, times: 1 });
      await get('/click2call/1000/4477668899?c2c_call_id=c_MALFORMED_NOT_PLACED');

      expect(await (await searchCdrs('c2c_call_id=c_500_PLACED')).json()).toMatchObject({ total: 1 });
      expect(await (await searchCdrs('c2c_call_id=c_MALFORMED_NOT_PLACED')).json()).toMatchObject({ total: 0 });
    });
  });

  it('closes promptly with a request left hanging', async () => {
    const hanging = await startPbxSimulator({ port: 0 });
    hanging.setFault({ mode: 'hang' });
    const request = http.get(`${hanging.url}/click2call/1000/4477668899`);
    const settled = new Promise<string>((resolve) => {
      request.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      request.on('response', () => resolve('response'));
    });
    await expect.poll(() => hanging.requests().length).toBe(1);

    const startedAt = Date.now();
    await hanging.close();

    expect(Date.now() - startedAt).toBeLessThan(1_000);
    expect(await settled).toBe('ECONNRESET');
  });
});
