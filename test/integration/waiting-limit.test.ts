import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DoNotCallRepository } from '../../lib/store/do-not-call';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CallDispatch } from '../../lib/calls/dispatch';
import { DispatchDue } from '../../lib/calls/dispatch-due';
import { callIdFor } from '../../lib/calls/request';
import { Click2CallClient } from '../../lib/pbx/click2call';
import { CallCaps } from '../../lib/policy/caps';
import { AgentPresenceRepository } from '../../lib/store/agent-presence';
import { CallRepository } from '../../lib/store/calls';
import { tenantPk, waitingReturnedSk, workMarkerSk } from '../../lib/store/keys';
import type { FairBounds } from '../../lib/store/work-queues';
import { RateLimitRepository } from '../../lib/store/rate-limits';
import { callIdOf } from '../support/api-body';
import { bearer, invoke, seedTenant, startTestEnv, useEnvForHandlers, type TestEnv } from '../support/env';

/**
 * A tenant's waiting calls are bounded by its policy's maxWaitingCalls (429 waiting_limit, nothing written), and the
 * scheduler serves every tenant's due calls in turn: one tenant's full queue never holds up another's scheduled call.
 */
let env: TestEnv;
let create: typeof import('../../functions/calls-create').handler;
let cancel: typeof import('../../functions/calls-cancel').handler;
let getCall: typeof import('../../functions/calls-get').handler;
let calls: CallRepository;
let presence: AgentPresenceRepository;
let seq = 0;
const LIMIT = 20;
const MEMBERS = ['u-a1', 'u-a2'];

const post = (key: string, body: Record<string, unknown>, idempotencyKey = `wl-${++seq}`) =>
  invoke(create, { method: 'POST', route: '/v1/calls', headers: { ...bearer(key), 'idempotency-key': idempotencyKey }, body });
const read = (key: string, callId: string) =>
  invoke(getCall, { method: 'GET', route: '/v1/calls/{callId}', path: { callId }, headers: bearer(key) });
const queuedBody = (i: number) => ({ team: 'away', to: `+44 7766 ${880_000 + i}`, maxWaitSec: 3600 });

/** The tenant's waiting counter as stored: the due marker's count of slots taken, and the slots given back since. */
async function counterOf(tenantId: string): Promise<{ waiting: number | undefined; returned: number | undefined }> {
  const get = (sk: string) =>
    env.table.doc.send(new GetCommand({ TableName: env.table.name, Key: { pk: tenantPk(tenantId), sk }, ConsistentRead: true }));
  const [marker, returned] = await Promise.all([get(workMarkerSk('due')), get(waitingReturnedSk())]);
  return { waiting: marker.Item?.waiting as number | undefined, returned: returned.Item?.returned as number | undefined };
}

/** The tenant's waiting calls by its counter: slots taken less slots given back (undefined: no marker). */
async function waitingOf(tenantId: string): Promise<number | undefined> {
  const { waiting, returned } = await counterOf(tenantId);
  return waiting === undefined ? undefined : waiting - (returned ?? 0);
}

/** A tenant whose team `away` has every member away, and whose policy allows `maxWaitingCalls` waiting calls. */
async function awayTenant(tenantId: string, maxWaitingCalls?: number) {
  const { key } = await seedTenant(
    env,
    {
      tenantId,
      policy: {
        caps: { perDestination: { max: 10_000, windowSec: 900 }, perAgentPerMinute: 10_000, perTenantPerSecond: 10_000 },
        ...(maxWaitingCalls === undefined ? {} : { maxWaitingCalls }),
      },
    },
    { agents: [{ crmUserId: 'u-b', extension: '1000' }] },
  );
  for (const [i, crmUserId] of MEMBERS.entries()) {
    await env.agents.put(tenantId, crmUserId, { extension: `100${i + 1}`, teams: ['away'] });
    await presence.setAvailability(tenantId, crmUserId, false, Math.floor(Date.now() / 1000));
  }
  return key;
}

function scheduler(now: () => Date, bounds?: FairBounds) {
  const rates = new RateLimitRepository(env.table);
  return new DispatchDue({
    calls,
    agents: env.agents,
    presence,
    caps: new CallCaps(rates, () => now().getTime()),
    sender: new CallDispatch({
      calls,
      pbx: new Click2CallClient(),
      pbxTimeoutMs: 2000,
      logger: { info: () => undefined, warn: () => undefined },
      now,
    }),
    getTenant: (tenantId) => env.tenants.get(tenantId),
    dnc: new DoNotCallRepository(env.table),
    pbxTimeoutMs: 2000,
    logger: { info: () => undefined, warn: () => undefined },
    now,
    ...(bounds ? { bounds } : {}),
  });
}

beforeAll(async () => {
  env = await startTestEnv();
  useEnvForHandlers(env);
  ({ handler: create } = await import('../../functions/calls-create'));
  ({ handler: cancel } = await import('../../functions/calls-cancel'));
  ({ handler: getCall } = await import('../../functions/calls-get'));
  calls = new CallRepository(env.table);
  presence = new AgentPresenceRepository(env.table);
});

afterAll(async () => {
  await env?.stop();
});

beforeEach(() => env.sim.clearRequests());

describe('maxWaitingCalls', () => {
  it(`holds a tenant to ${LIMIT} waiting calls: the next is 429 waiting_limit with Retry-After, and nothing is written`, async () => {
    const key = await awayTenant('wl-full', LIMIT);
    const placed = await Promise.all(Array.from({ length: LIMIT }, (_, i) => post(key, queuedBody(i), `full-${i}`)));
    expect(placed.map((p) => p.body.state)).toEqual(new Array(LIMIT).fill('queued'));
    expect(await waitingOf('wl-full')).toBe(LIMIT);

    const over = await post(key, queuedBody(LIMIT), 'full-over');
    expect(over.status).toBe(429);
    expect(over.body.code).toBe('waiting_limit');
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    expect(over.body.call).toBeUndefined();
    expect((await read(key, callIdFor('wl-full', 'full-over'))).status).toBe(404);
    expect(await waitingOf('wl-full')).toBe(LIMIT);
    // A scheduled call counts as waiting too.
    const later = await post(key, {
      agent: { crmUserId: 'u-b' },
      to: '+44 7766 889900',
      notBefore: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(later.body.code).toBe('waiting_limit');

    // A copy of a call already waiting is its replay, at the limit too, and counts once.
    const copy = await post(key, queuedBody(3), 'full-3');
    expect(copy.status).toBe(202);
    expect(copy.body).toMatchObject({ state: 'queued', duplicate: true, callId: callIdOf(placed[3]!) });
    expect(await waitingOf('wl-full')).toBe(LIMIT);

    // A cancel gives the slot back: the next call waits.
    expect(
      (
        await invoke(cancel, {
          method: 'DELETE',
          route: '/v1/calls/{callId}',
          path: { callId: callIdOf(placed[0]!) },
          headers: bearer(key),
        })
      ).status,
    ).toBe(200);
    // On the returned item, not the due marker: the marker (and its gsi4 copy) takes one write per waiting call.
    expect(await counterOf('wl-full')).toEqual({ waiting: LIMIT, returned: 1 });
    // The next take is refused by the marker's count alone, applies the slot given back, and takes it.
    expect((await post(key, queuedBody(LIMIT), 'full-over')).body.state).toBe('queued');
    expect(await counterOf('wl-full')).toEqual({ waiting: LIMIT, returned: 0 });
    expect(env.sim.requests()).toHaveLength(0);
  }, 60_000);

  it('a copy below the limit takes no slot', async () => {
    const key = await awayTenant('wl-copy', LIMIT);
    await post(key, queuedBody(1), 'copy-1');
    await Promise.all([post(key, queuedBody(1), 'copy-1'), post(key, queuedBody(1), 'copy-1')]);
    expect(await waitingOf('wl-copy')).toBe(1);
  });

  it('defaults to 1000: with 999 waiting, one more waits and the next is refused', async () => {
    const key = await awayTenant('wl-default');
    expect((await env.tenants.get('wl-default'))!.policy.maxWaitingCalls).toBe(1000);
    // A smaller fixture than 999 real calls: one real call, then the counter set to where 998 more would have left it.
    expect((await post(key, queuedBody(0), 'default-0')).body.state).toBe('queued');
    await env.table.doc.send(
      new UpdateCommand({
        TableName: env.table.name,
        Key: { pk: tenantPk('wl-default'), sk: workMarkerSk('due') },
        UpdateExpression: 'SET waiting = :n',
        ExpressionAttributeValues: { ':n': 999 },
      }),
    );
    expect((await post(key, queuedBody(1), 'default-1')).body.state).toBe('queued');
    expect((await post(key, queuedBody(2), 'default-2')).body.code).toBe('waiting_limit');
  });

  it('a counter left too high (a crash between its take and the reservation) is recounted by the scheduler', async () => {
    const key = await awayTenant('wl-drift', LIMIT);
    for (let i = 0; i < 3; i++) await post(key, queuedBody(i), `drift-${i}`);
    await env.table.doc.send(
      new UpdateCommand({
        TableName: env.table.name,
        Key: { pk: tenantPk('wl-drift'), sk: workMarkerSk('due') },
        UpdateExpression: 'SET waiting = :n',
        ExpressionAttributeValues: { ':n': LIMIT },
      }),
    );
    expect((await post(key, queuedBody(3), 'drift-3')).body.code).toBe('waiting_limit');
    await scheduler(() => new Date()).runOnce();
    expect(await waitingOf('wl-drift')).toBe(3);
    expect((await post(key, queuedBody(3), 'drift-3')).body.state).toBe('queued');
  });

  it('the scheduler gives the slot back when it dials a waiting call, or its wait runs out', async () => {
    const key = await awayTenant('wl-leave', LIMIT);
    const queued = await post(key, { team: 'away', to: '+44 7766 889911', maxWaitSec: 60 }, 'leave-q');
    const scheduled = await post(key, {
      agent: { crmUserId: 'u-b' },
      to: '+44 7766 889912',
      notBefore: new Date(Date.now() + 1000).toISOString(),
    });
    expect(await waitingOf('wl-leave')).toBe(2);
    await scheduler(() => new Date(Date.now() + 2_000)).runOnce();
    expect((await read(key, callIdOf(scheduled))).body.state).toBe('dialing');
    expect(await counterOf('wl-leave')).toEqual({ waiting: 2, returned: 1 });
    await scheduler(() => new Date(Date.now() + 120_000)).runOnce();
    expect((await read(key, callIdOf(queued))).body).toMatchObject({ state: 'not_sent', reason: 'no_agent_available' });
    expect(await waitingOf('wl-leave')).toBe(0);
  });
});

describe('fair scheduling', () => {
  it("serves another tenant's due call in the same run when one tenant's queue would fill it", async () => {
    const keyA = await awayTenant('fair-a', LIMIT);
    const keyB = await awayTenant('fair-b', LIMIT);
    // A's queued calls are all older than B's scheduled call: by age across tenants, a run of 5 would read A's only.
    for (let i = 0; i < 10; i++) expect((await post(keyA, queuedBody(i))).body.state).toBe('queued');
    const b = await post(keyB, {
      agent: { crmUserId: 'u-b' },
      to: '+44 7766 889920',
      notBefore: new Date(Date.now() + 1000).toISOString(),
    });
    const report = await scheduler(() => new Date(Date.now() + 5_000), {
      total: 5,
      perTenant: { min: 1, max: 5 },
      maxTenants: 10,
    }).runOnce();
    expect(report.sent).toBe(1);
    expect((await read(keyB, callIdOf(b))).body.state).toBe('dialing');
    expect(env.sim.requests().filter((r) => r.query.c2c_call_id === callIdOf(b))).toHaveLength(1);
  });
});
