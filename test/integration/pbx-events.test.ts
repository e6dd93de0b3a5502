import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issuePbxEventsToken } from '../../lib/calls/pbx-event-tokens';
import { CallRepository } from '../../lib/store/calls';
import { PbxEventRepository } from '../../lib/store/pbx-events';
import { present } from '../support/api-body';
import { bearer, invoke, seedTenant, startTestEnv, useEnvForHandlers, type TestEnv } from '../support/env';

/**
 * PBX Stats webhooks into the ledger, through the handler, against dynalite: each behaviour in each
 * of the three transports PBX Stats offers (GET query string, POST form, POST JSON).
 */

let env: TestEnv;
let create: typeof import('../../functions/calls-create').handler;
let pbxEvents: typeof import('../../functions/pbx-events').handler;
let calls: CallRepository;
let rawEvents: PbxEventRepository;
let key: string;
let token: string;
let oldToken: string;

const TENANT = 'pbx-acme';
type Transport = 'query' | 'form' | 'json';
type Fields = Record<string, string | number>;

beforeAll(async () => {
  env = await startTestEnv();
  useEnvForHandlers(env);
  ({ handler: create } = await import('../../functions/calls-create'));
  ({ handler: pbxEvents } = await import('../../functions/pbx-events'));
  calls = new CallRepository(env.table);
  rawEvents = new PbxEventRepository(env.table);
  const live = issuePbxEventsToken();
  const old = issuePbxEventsToken();
  const revoked = issuePbxEventsToken();
  token = live.token;
  oldToken = old.token;
  ({ key } = await seedTenant(env, {
    tenantId: TENANT,
    pbxEvents: { tokens: [old.record, live.record, { ...revoked.record, revokedAt: new Date().toISOString() }] },
  }));
  revokedToken = revoked.token;
  await seedTenant(env, { tenantId: 'pbx-other', pbxEvents: { tokens: [issuePbxEventsToken().record] } });
});
let revokedToken: string;

afterAll(async () => {
  await env?.stop();
});

let seq = 0;
async function placeCall(): Promise<{ callId: string; uniqueId: string }> {
  const res = await invoke(create, {
    method: 'POST',
    route: '/v1/calls',
    headers: { ...bearer(key), 'idempotency-key': `pbx-events-${Date.now()}-${++seq}` },
    body: { agent: { crmUserId: 'u-17' }, to: '+44 7766 889900', lead: { id: 'lead-pbx' } },
  });
  expect(res.status).toBe(201);
  return { callId: present(res.body.callId, 'callId'), uniqueId: present(res.body.pbx?.uniqueId, 'pbx.uniqueId') };
}

function send(transport: Transport, fields: Fields, path: { tenantId?: string; token?: string } = {}) {
  const strings = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)]));
  const routePath = { tenantId: path.tenantId ?? TENANT, token: path.token ?? token };
  const route = '/v1/pbx-events/{tenantId}/{token}';
  switch (transport) {
    case 'query':
      return invoke(pbxEvents, { method: 'GET', route, path: routePath, query: strings, headers: {} });
    case 'form':
      return invoke(pbxEvents, {
        method: 'POST',
        route,
        path: routePath,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        rawBody: new URLSearchParams(strings).toString(),
      });
    case 'json':
      return invoke(pbxEvents, {
        method: 'POST',
        route,
        path: routePath,
        headers: { 'content-type': 'application/json' },
        rawBody: JSON.stringify(fields),
      });
  }
}

const stateOf = async (callId: string) => (await calls.get(TENANT, callId))!;

describe.each<Transport>(['query', 'form', 'json'])('PBX Stats events as %s', (transport) => {
  it('plays a call through Start, Answer and End: completed, with what the PBX sent and the raw events kept', async () => {
    const { callId, uniqueId } = await placeCall();
    const ids = { unique_id: uniqueId, c2c_call_id: callId, leadid: 'lead-pbx' };
    expect((await send(transport, { ...ids, event: 'Call Start', call_start: '2026-03-01 10:00:00' })).body).toMatchObject({
      status: 'unchanged',
      state: 'dialing',
    });
    const answer = await send(transport, { ...ids, event: 'Call Answer', call_answer: '2026-03-01T10:00:05Z' });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 'applied', state: 'answered' });
    const end = await send(transport, {
      ...ids,
      event: 'Call End',
      call_end: '2026-03-01T10:00:47Z',
      duration: 47,
      billsec: 42,
      hangup_cause: 'NORMAL_CLEARING',
      recording_link: 'https://rec.example/abc.mp3',
      x_vendor_field: 'kept as sent',
    });
    expect(end.body).toMatchObject({ status: 'applied', state: 'completed' });

    const call = await stateOf(callId);
    expect(call.state).toBe('completed');
    expect(call.outcome).toEqual({
      answeredAt: '2026-03-01T10:00:05.000Z',
      endedAt: '2026-03-01T10:00:47.000Z',
      durationSec: 47,
      billSec: 42,
      hangupCause: 'NORMAL_CLEARING',
      hangupClass: 'answered',
      recordingUrl: 'https://rec.example/abc.mp3',
    });
    expect(call.events.map((e) => e.state)).toEqual(['accepted', 'dispatching', 'dialing', 'answered', 'completed']);
    const raw = await rawEvents.listForCall(TENANT, callId);
    expect(raw.map((r) => r.eventType)).toEqual(['Call Start', 'Call Answer', 'Call End']);
    expect(raw.every((r) => r.transport === transport)).toBe(true);
    expect(raw[2]!.fields).toMatchObject({ x_vendor_field: 'kept as sent', hangup_cause: 'NORMAL_CLEARING', billsec: '42' });
  });

  it('ends a call right when its End overtakes its Answer, and the late Answer changes nothing', async () => {
    const { callId, uniqueId } = await placeCall();
    const end = await send(transport, {
      uniqueid: uniqueId,
      event: 'call_end',
      call_end: '2026-03-01T10:01:00Z',
      billsec: 40,
      duration: 45,
      hangup_cause: 'ANSWERED',
    });
    expect(end.body).toMatchObject({ status: 'applied', state: 'completed' });
    const late = await send(transport, { uniqueid: uniqueId, event: 'call_answer', call_answer: '2026-03-01T10:00:21Z' });
    expect(late.status).toBe(200);
    expect(late.body).toMatchObject({ status: 'unchanged', state: 'completed' });
    const call = await stateOf(callId);
    expect(call.state).toBe('completed');
    // Derived from the End: its end less the billed seconds.
    expect(call.outcome.answeredAt).toBe('2026-03-01T10:00:20.000Z');
    expect(call.events.map((e) => e.state)).toEqual(['accepted', 'dispatching', 'dialing', 'completed']);
    expect(await rawEvents.listForCall(TENANT, callId)).toHaveLength(2);
  });

  it('answers a repeated End 200 and changes nothing', async () => {
    const { callId } = await placeCall();
    const end = { c2c_call_id: callId, event: 'Call End', billsec: 0, duration: 30, hangup_cause: 'NO ANSWER' };
    expect((await send(transport, end)).body).toMatchObject({ status: 'applied', state: 'no_answer' });
    const before = await stateOf(callId);
    const again = await send(transport, { ...end, hangup_cause: 'BUSY' });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: 'unchanged', state: 'no_answer' });
    const after = await stateOf(callId);
    expect(after.events).toEqual(before.events);
    expect(after.outcome).toEqual(before.outcome);
    expect(after.outcome).toMatchObject({ hangupCause: 'NO ANSWER', hangupClass: 'no_answer' });
  });

  it('keeps an unknown hangup cause as sent and classifies it by the billed seconds', async () => {
    const talked = await placeCall();
    await send(transport, { c2c_call_id: talked.callId, event: 'Call End', billsec: 12, hangup_cause: 'Customer Hung Up (renamed)' });
    expect((await stateOf(talked.callId)).outcome).toMatchObject({
      hangupCause: 'Customer Hung Up (renamed)',
      hangupClass: 'answered',
      billSec: 12,
    });
    expect((await stateOf(talked.callId)).state).toBe('completed');

    const silent = await placeCall();
    await send(transport, { c2c_call_id: silent.callId, event: 'Call End', billsec: 0, hangup_cause: 'WEIRD_CAUSE_42' });
    expect(await stateOf(silent.callId)).toMatchObject({
      state: 'failed',
      outcome: { hangupCause: 'WEIRD_CAUSE_42', hangupClass: 'failed' },
    });
  });

  it('answers 202 to an event for an unknown call and keeps it as an orphan', async () => {
    const before = (await rawEvents.listOrphans(TENANT)).length;
    const res = await send(transport, {
      unique_id: '999.404',
      c2c_call_id: 'c_00000000000000000000000000',
      event: 'Call Start',
      secret_sauce: 'x',
    });
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('orphan');
    const orphans = await rawEvents.listOrphans(TENANT);
    expect(orphans).toHaveLength(before + 1);
    expect(orphans[0]!.fields).toMatchObject({ unique_id: '999.404', secret_sauce: 'x' });
  });

  it("refuses a bad token, a revoked one, and another tenant's, with 401 and nothing changed", async () => {
    const { callId, uniqueId } = await placeCall();
    const before = await stateOf(callId);
    const end = { unique_id: uniqueId, c2c_call_id: callId, event: 'Call End', billsec: 10, hangup_cause: 'ANSWERED' };
    for (const path of [
      { token: 'not-the-token' },
      { token: revokedToken },
      { tenantId: 'pbx-other' },
      { tenantId: 'no-such-tenant' },
      { tenantId: 'BAD TENANT' },
    ]) {
      const res = await send(transport, end, path);
      expect(res.status, JSON.stringify(path)).toBe(401);
      expect(res.headers['content-type']).toBe('application/problem+json');
    }
    expect(await stateOf(callId)).toEqual(before);
    expect(await rawEvents.listForCall(TENANT, callId)).toHaveLength(0);
    // A second live token (rotation) works.
    expect((await send(transport, end, { token: oldToken })).body).toMatchObject({ status: 'applied', state: 'completed' });
  });

  it('takes a token issued after this container read its tenant at once (its copy is read again), and still refuses a stranger', async () => {
    const { callId, uniqueId } = await placeCall();
    const answer = { unique_id: uniqueId, c2c_call_id: callId, event: 'Call Answer' };
    expect((await send(transport, { ...answer, event: 'Call Start' })).status).toBe(200);
    const issued = issuePbxEventsToken();
    const current = (await env.tenants.get(TENANT))!;
    await env.tenants.put({ ...current, pbxEvents: { tokens: [...(current.pbxEvents?.tokens ?? []), issued.record] } });
    expect((await send(transport, answer, { token: 'still-not-the-token' })).status).toBe(401);
    expect((await send(transport, answer, { token: issued.token })).body).toMatchObject({ status: 'applied', state: 'answered' });
  });

  it('answers 400 naming the field when there is no event type', async () => {
    const { callId } = await placeCall();
    const res = await send(transport, { c2c_call_id: callId, billsec: 3 });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ path: 'event' })]);
    expect((await stateOf(callId)).state).toBe('dialing');
  });

  it('keeps an event of an unknown type under its call, applied to nothing (202)', async () => {
    const { callId } = await placeCall();
    const res = await send(transport, { c2c_call_id: callId, event: 'Call Transferred' });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'ignored', state: 'dialing' });
    expect(await rawEvents.listForCall(TENANT, callId)).toHaveLength(1);
  });
});

describe('correlation', () => {
  it("settles an `unknown` call (its Click2Call answer lost) from the PBX's events, and learns its unique_id", async () => {
    env.sim.setFault({ mode: 'reset', times: 1 });
    const res = await invoke(create, {
      method: 'POST',
      route: '/v1/calls',
      headers: { ...bearer(key), 'idempotency-key': `pbx-events-lost-${Date.now()}` },
      body: { agent: { crmUserId: 'u-17' }, to: '+44 7766 889900' },
    });
    expect(res.body.state).toBe('unknown');
    const callId = res.body.callId as string;
    const uniqueId = env.sim.requests().at(-1)!.uniqueId!;
    await send('json', { event: 'Call Start', unique_id: uniqueId, custom: { c2c_call_id: callId } } as never);
    const call = await stateOf(callId);
    expect(call.state).toBe('dialing');
    expect(call.pbx?.uniqueId).toBe(uniqueId);
    // Later events that carry only the unique_id now find the call.
    await send('form', { uniqueid: uniqueId, event: 'Call End', billsec: 5, hangup_cause: 'ANSWERED' });
    expect((await stateOf(callId)).state).toBe('completed');
  });
});
