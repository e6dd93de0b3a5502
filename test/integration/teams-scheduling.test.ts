import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { callIdOf } from '../support/api-body';
import { bearer, invoke, seedTenant, startTestEnv, useEnvForHandlers, type TestEnv } from '../support/env';
import { createRoot, type Root } from '../../lib/compose/root';
import { AgentPresenceRepository } from '../../lib/store/agent-presence';
import { CallRepository } from '../../lib/store/calls';

/**
 * Team calls, queued and scheduled calls and cancel, through the real handlers, dynalite and the PBX simulator. The
 * scheduler runs on a root whose clock the test drives: nothing waits for real time to pass.
 */
let env: TestEnv;
let create: typeof import('../../functions/calls-create').handler;
let cancel: typeof import('../../functions/calls-cancel').handler;
let getCall: typeof import('../../functions/calls-get').handler;
let dispatchDueUseCase: typeof import('../../lib/compose/dispatch-due').dispatchDueUseCase;
let placeCallUseCase: typeof import('../../lib/compose/place-call').placeCallUseCase;
let key: string;
let presence: AgentPresenceRepository;
let calls: CallRepository;
let tenantSeq = 0;

const TEAM = ['u-17', 'u-18', 'u-19'];

const post = (k: string, payload: unknown, idempotencyKey = `t-${Date.now()}-${Math.random()}`) =>
  invoke(create, { method: 'POST', route: '/v1/calls', headers: { ...bearer(k), 'idempotency-key': idempotencyKey }, body: payload });
const del = (k: string, callId: string) =>
  invoke(cancel, { method: 'DELETE', route: '/v1/calls/{callId}', path: { callId }, headers: bearer(k) });
const read = (k: string, callId: string) =>
  invoke(getCall, { method: 'GET', route: '/v1/calls/{callId}', path: { callId }, headers: bearer(k) });

/** A root of the same configuration as the handlers, whose clock reads `at()`. */
const rootAt = (at: () => Date): Root => createRoot({ clock: at });

async function teamTenant(overrides: Record<string, unknown> = {}) {
  const tenantId = `team${++tenantSeq}`;
  const seeded = await seedTenant(env, { tenantId, ...overrides }, { agents: [] });
  for (const [i, crmUserId] of TEAM.entries()) await env.agents.put(tenantId, crmUserId, { extension: `100${i}`, teams: ['sales'] });
  return { tenantId, key: seeded.key };
}

beforeAll(async () => {
  env = await startTestEnv();
  useEnvForHandlers(env, { ALLOW_PRIVATE_OUTBOUND: 'true' });
  ({ handler: create } = await import('../../functions/calls-create'));
  ({ handler: cancel } = await import('../../functions/calls-cancel'));
  ({ handler: getCall } = await import('../../functions/calls-get'));
  ({ dispatchDueUseCase } = await import('../../lib/compose/dispatch-due'));
  ({ placeCallUseCase } = await import('../../lib/compose/place-call'));
  ({ key } = await teamTenant());
  presence = new AgentPresenceRepository(env.table);
  calls = new CallRepository(env.table);
});

afterAll(async () => {
  await env?.stop();
});

beforeEach(() => {
  env.sim.clearFault();
  env.sim.clearRequests();
});

describe('team calls', () => {
  it('5 concurrent calls to a team of 3: 3 dial 3 different agents at once, 2 queue and dial as agents free up', async () => {
    const { tenantId, key: k } = await teamTenant();
    const answers = await Promise.all(
      ['1', '2', '3', '4', '5'].map((n) => post(k, { team: 'sales', to: `+44 7766 88990${n}`, maxWaitSec: 120 })),
    );
    const dialled = answers.filter((a) => a.status === 201);
    const queued = answers.filter((a) => a.status === 202);
    expect(dialled).toHaveLength(3);
    expect(queued).toHaveLength(2);
    expect(new Set(dialled.map((a) => a.body.agent?.crmUserId))).toEqual(new Set(TEAM));
    for (const a of dialled)
      expect(a.body).toMatchObject({ state: 'dialing', team: 'sales', routing: { team: 'sales', chosen: a.body.agent?.crmUserId } });
    for (const a of queued)
      expect(a.body).toMatchObject({ state: 'queued', team: 'sales', queue: { maxWaitSec: 120 }, routing: { chosen: null } });
    const firstDials = env.sim.requests();
    expect(new Set(firstDials.map((d) => d.legA))).toEqual(new Set(['1000', '1001', '1002']));

    // While every agent is on a call, the scheduler finds no one: the queued calls wait, nothing is sent.
    const scheduler = dispatchDueUseCase(rootAt(() => new Date()));
    expect((await scheduler.runOnce()).sent).toBe(0);
    expect(env.sim.requests()).toHaveLength(3);

    // Two calls end (the PBX's Call End frees their agents): the two queued calls dial, to those two agents.
    const ended = dialled.slice(0, 2);
    const nowSec = Math.floor(Date.now() / 1000);
    for (const a of ended) await presence.markCallEnded(tenantId, a.body.agent!.crmUserId, callIdOf(a), nowSec);
    const report = await scheduler.runOnce();
    expect(report.sent).toBe(2);
    const later = env.sim.requests().slice(3);
    expect(new Set(later.map((d) => d.legA))).toEqual(new Set(ended.map((a) => a.body.agent!.extension)));
    for (const q of queued) {
      const call = (await read(k, callIdOf(q))).body;
      expect(call.state).toBe('dialing');
      expect(call.events?.map((e) => e.state)).toEqual(['accepted', 'queued', 'dispatching', 'dialing']);
      expect(call.routing?.chosen).toBe(call.agent?.crmUserId);
    }
  });

  it('chooses the longest idle agent and records why the others were passed over', async () => {
    const { tenantId, key: k } = await teamTenant();
    const nowSec = Math.floor(Date.now() / 1000);
    await presence.markCallEnded(tenantId, 'u-17', 'c_x', nowSec - 10);
    await presence.markCallEnded(tenantId, 'u-18', 'c_y', nowSec - 300);
    await presence.setAvailability(tenantId, 'u-19', false, nowSec);
    const res = await post(k, { team: 'sales', to: '+44 7766 889900' });
    expect(res.status).toBe(201);
    expect(res.body.routing?.chosen).toBe('u-18');
    expect(res.body.routing?.passedOver).toEqual(
      expect.arrayContaining([
        { crmUserId: 'u-19', reason: 'away' },
        { crmUserId: 'u-17', reason: 'shorter_idle' },
      ]),
    );
  });

  it('no agent free and no wait allowed: 429 no_agent_available with Retry-After, nothing written or sent', async () => {
    const { tenantId, key: k } = await teamTenant();
    const nowSec = Math.floor(Date.now() / 1000);
    for (const id of TEAM) await presence.setAvailability(tenantId, id, false, nowSec);
    const res = await post(k, { team: 'sales', to: '+44 7766 889900' });
    expect(res.status).toBe(429);
    expect(res.body.code).toBe('no_agent_available');
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(res.body.call).toBeUndefined();
    expect(env.sim.requests()).toHaveLength(0);
  });

  it('a team without members: 422 team_not_found; team and agent together, or maxWaitSec without a team: 400 naming the field', async () => {
    const res = await post(key, { team: 'nobody', to: '+44 7766 889900' });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('team_not_found');
    const both = await post(key, { team: 'sales', agent: { crmUserId: 'u-17' }, to: '+44 7766 889900' });
    expect(both.status).toBe(400);
    expect(JSON.stringify(both.body.errors)).toContain('team');
    const wait = await post(key, { agent: { crmUserId: 'u-17' }, to: '+44 7766 889900', maxWaitSec: 30 });
    expect(wait.status).toBe(400);
    expect(JSON.stringify(wait.body.errors)).toContain('maxWaitSec');
    expect(env.sim.requests()).toHaveLength(0);
  });

  it('a queued call whose wait runs out ends not_sent, reason no_agent_available, and never dials', async () => {
    const { tenantId, key: k } = await teamTenant();
    const nowSec = Math.floor(Date.now() / 1000);
    for (const id of TEAM) await presence.setAvailability(tenantId, id, false, nowSec);
    const res = await post(k, { team: 'sales', to: '+44 7766 889900', maxWaitSec: 30 });
    expect(res.body.state).toBe('queued');
    for (const id of TEAM) await presence.setAvailability(tenantId, id, true, nowSec);
    const later = dispatchDueUseCase(rootAt(() => new Date(Date.now() + 31_000)));
    await later.runOnce();
    const call = (await read(k, callIdOf(res))).body;
    expect(call).toMatchObject({ state: 'not_sent', reason: 'no_agent_available' });
    expect(env.sim.requests()).toHaveLength(0);
  });
});

describe('scheduled calls', () => {
  it('notBefore: 202 scheduled, nothing sent before its time, one dial once it is due', async () => {
    const at = new Date(Date.now() + 3_600_000);
    const res = await post(key, { agent: { crmUserId: 'u-17' }, to: '+44 7766 889900', notBefore: at.toISOString() });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ state: 'scheduled', schedule: { notBefore: at.toISOString(), reason: 'requested' } });
    await dispatchDueUseCase(rootAt(() => new Date())).runOnce();
    expect(env.sim.requests().filter((d) => d.query.c2c_call_id === callIdOf(res))).toHaveLength(0);
    const due = dispatchDueUseCase(rootAt(() => new Date(at.getTime() + 1_000)));
    await due.runOnce();
    await due.runOnce();
    expect(env.sim.requests().filter((d) => d.query.c2c_call_id === callIdOf(res))).toHaveLength(1);
    expect((await read(key, callIdOf(res))).body.state).toBe('dialing');
  });

  it("asked for at 21:30 in the lead's zone with defer on: scheduled for the next opening, and dials then", async () => {
    const { tenantId } = await teamTenant({
      policy: {
        callingHours: { start: '09:00', end: '20:00', days: [0, 1, 2, 3, 4, 5, 6] },
        outsideCallingHours: 'defer',
        caps: { perDestination: { max: 10_000, windowSec: 900 }, perAgentPerMinute: 10_000, perTenantPerSecond: 10_000 },
      },
    });
    // 21:30 in London on a winter day (UTC+0), the lead's zone for a +44 number.
    const evening = new Date('2026-12-01T21:30:00Z');
    let now = evening;
    const place = placeCallUseCase(rootAt(() => now));
    const tenant = (await env.tenants.get(tenantId))!;
    const outcome = await place.execute({
      tenant,
      request: { agent: { crmUserId: 'u-17' }, to: '+44 7766 889900' },
      idempotencyKey: 'evening-1',
      source: 'api',
    });
    expect(outcome.kind).toBe('call');
    const call = outcome.call!;
    expect(call).toMatchObject({ state: 'scheduled', schedule: { notBefore: '2026-12-02T09:00:00.000Z', reason: 'calling_hours' } });
    const scheduler = dispatchDueUseCase(rootAt(() => now));
    now = new Date('2026-12-02T08:59:00Z');
    await scheduler.runOnce();
    expect(env.sim.requests()).toHaveLength(0);
    now = new Date('2026-12-02T09:00:01Z');
    await scheduler.runOnce();
    expect(env.sim.requests()).toHaveLength(1);
    expect((await calls.get(tenantId, call.callId))?.state).toBe('dialing');
    // Refuse (the default) answers 422 outside_calling_hours, as before.
    now = evening;
    const refusing = await teamTenant({ policy: { callingHours: { start: '09:00', end: '20:00', days: [0, 1, 2, 3, 4, 5, 6] } } });
    const refused = await place.execute({
      tenant: (await env.tenants.get(refusing.tenantId))!,
      request: { agent: { crmUserId: 'u-17' }, to: '+44 7766 889900' },
      idempotencyKey: 'evening-2',
      source: 'api',
    });
    expect(refused).toMatchObject({ kind: 'refused', code: 'outside_calling_hours' });
  });

  it('the scheduler run twice at once dials each of 20 due calls exactly once', { timeout: 90_000 }, async () => {
    const at = new Date(Date.now() + 7_200_000);
    const { key: k } = await teamTenant();
    const placed = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        post(k, { team: 'sales', to: `+44 7766 8899${String(i).padStart(2, '0')}`, notBefore: at.toISOString(), maxWaitSec: 3600 }),
      ),
    );
    expect(placed.every((p) => p.status === 202)).toBe(true);
    const ids = new Set(placed.map(callIdOf));
    let clock = new Date(at.getTime() + 1000);
    const a = dispatchDueUseCase(rootAt(() => clock));
    const b = dispatchDueUseCase(rootAt(() => clock));
    // Three agents: each pass dials at most 3; between passes the clock moves past their calls' ring lease.
    for (let pass = 0; pass < 12; pass++) {
      await Promise.all([a.runOnce(), b.runOnce()]);
      clock = new Date(clock.getTime() + 100_000);
    }
    const dials = env.sim.requests().filter((d) => ids.has(d.query.c2c_call_id ?? ''));
    expect(dials).toHaveLength(20);
    expect(new Set(dials.map((d) => d.query.c2c_call_id)).size).toBe(20);
  });
});

describe('cancel', () => {
  it('cancels a scheduled call (twice is fine), which then never dials; a dialled call answers 409 already_dispatched', async () => {
    const at = new Date(Date.now() + 3_600_000);
    const res = await post(key, { agent: { crmUserId: 'u-18' }, to: '+44 7766 889901', notBefore: at.toISOString() });
    const callId = callIdOf(res);
    const first = await del(key, callId);
    expect(first.status).toBe(200);
    expect(first.body.state).toBe('cancelled');
    const again = await del(key, callId);
    expect(again.status).toBe(200);
    expect(again.body.state).toBe('cancelled');
    await dispatchDueUseCase(rootAt(() => new Date(at.getTime() + 1000))).runOnce();
    expect(env.sim.requests().filter((d) => d.query.c2c_call_id === callId)).toHaveLength(0);

    const now = await post(key, { agent: { crmUserId: 'u-17' }, to: '+44 7766 889902' });
    expect(now.status).toBe(201);
    const late = await del(key, callIdOf(now));
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ code: 'already_dispatched', call: { state: 'dialing' } });
    expect((await del(key, 'c_0000000000000000000000000A')).status).toBe(404);
    expect((await del(key, 'not-a-call')).status).toBe(404);
  });
});
