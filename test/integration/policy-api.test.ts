import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bearer, invoke, seedTenant, startTestEnv, useEnvForHandlers, type TestEnv } from '../support/env';

let env: TestEnv;
let create: typeof import('../../functions/calls-create').handler;
let seq = 0;

beforeAll(async () => {
  env = await startTestEnv();
  useEnvForHandlers(env);
  ({ handler: create } = await import('../../functions/calls-create'));
});

afterAll(async () => {
  await env?.stop();
});

const post = (key: string, body: Record<string, unknown>) =>
  invoke(create, {
    method: 'POST',
    route: '/v1/calls',
    headers: { ...bearer(key), 'idempotency-key': `policy-${++seq}` },
    body: { agent: { crmUserId: 'u-17' }, ...body },
  });

/** Places a request and returns its answer and how many GETs the PBX received for it. */
async function attempt(key: string, body: Record<string, unknown>) {
  const before = env.sim.requests().length;
  const res = await post(key, body);
  return { res, gets: env.sim.requests().length - before };
}

describe('destination policy refusals: 422 with the code, nothing sent to the PBX', () => {
  let key: string;
  beforeAll(async () => {
    ({ key } = await seedTenant(env, {
      tenantId: 'policy',
      policy: {
        allowedCountries: ['GB', 'DE', 'US'],
        denyPrefixes: ['4470'],
        caps: { perDestination: { max: 100, windowSec: 900 }, perAgentPerMinute: 100, perTenantPerSecond: 100 },
      },
    }));
  });

  it.each([
    ['a country outside the allowed list (France)', '+33 6 12 34 56 78', /not allowed for this tenant/],
    ['a premium-rate number (UK 09)', '+44 909 879 0000', /Premium-rate/],
    ['a shared-cost number (DE 0180)', '+49 180 212345', /Shared-cost/],
    ['a deny-listed prefix (+4470)', '+44 70 0000 0000', /deny-listed/],
  ])('%s -> destination_not_allowed', async (_name, to, detail) => {
    const { res, gets } = await attempt(key, { to });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('destination_not_allowed');
    expect(res.body.detail).toMatch(detail);
    expect(res.body.call?.state).toBe('rejected');
    expect(gets).toBe(0);
  });

  it('outside the calling hours of the destination -> outside_calling_hours', async () => {
    // A window that is closed at every hour of the week: Sunday only, one minute long, in the past of any clock.
    const { key: hoursKey } = await seedTenant(env, {
      tenantId: 'hours',
      policy: { callingHours: { start: '00:00', end: '00:01', days: [] } },
    });
    const { res, gets } = await attempt(hoursKey, { to: '+44 7766 889900' });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('outside_calling_hours');
    expect(gets).toBe(0);
  });
});

describe('caps: 429 with Retry-After and the code, nothing sent for the refused call', () => {
  it('per destination: the 4th call to one number within the window', async () => {
    const { key } = await seedTenant(env, {
      tenantId: 'cap-dest',
      policy: { caps: { perDestination: { max: 3, windowSec: 900 }, perAgentPerMinute: 100, perTenantPerSecond: 100 } },
    });
    for (let i = 0; i < 3; i++) expect((await attempt(key, { to: '+44 7766 889900' })).res.status).toBe(201);
    const { res, gets } = await attempt(key, { to: '+44 7766 889900' });
    expect(res.status).toBe(429);
    expect(res.body.code).toBe('destination_rate_limited');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.body.call?.state).toBe('not_sent');
    expect(gets).toBe(0);
    expect((await attempt(key, { to: '+44 7766 889901' })).res.status).toBe(201);
  });

  it('per agent and minute', async () => {
    const { key } = await seedTenant(env, {
      tenantId: 'cap-agent',
      policy: { caps: { perDestination: { max: 100, windowSec: 900 }, perAgentPerMinute: 2, perTenantPerSecond: 100 } },
    });
    // The three calls must fall in one minute window: start early in a minute.
    if (new Date().getSeconds() > 50) await new Promise((r) => setTimeout(r, (61 - new Date().getSeconds()) * 1000));
    expect((await attempt(key, { to: '+44 7766 889900' })).res.status).toBe(201);
    expect((await attempt(key, { to: '+44 7766 889901' })).res.status).toBe(201);
    const { res, gets } = await attempt(key, { to: '+44 7766 889902' });
    expect(res.status).toBe(429);
    expect(res.body.code).toBe('agent_rate_limited');
    expect(gets).toBe(0);
    expect((await attempt(key, { agent: { crmUserId: 'u-18' }, to: '+44 7766 889902' })).res.status).toBe(201);
  });

  it('per agent: no new call while the previous one is still dispatching', async () => {
    const { key } = await seedTenant(env, { tenantId: 'cap-busy' });
    const getsTo = (legB: string) => env.sim.requests().filter((r) => r.legB === legB).length;
    // The PBX holds the first call's answer (under the handlers' 2 s PBX timeout, so it still answers 201). The second
    // call is made once that GET has reached the PBX, not after a guessed delay: until then the first may not hold the
    // agent yet, and its GET could land while the second is counted.
    env.sim.setFault({ mode: 'latency', latencyMs: 1_500, times: 1 });
    const slowGets = getsTo('447766889900');
    const slow = attempt(key, { to: '+44 7766 889900' });
    await vi.waitFor(() => expect(getsTo('447766889900')).toBe(slowGets + 1), { timeout: 10_000, interval: 10 });
    const refusedGets = getsTo('447766889901');
    const { res } = await attempt(key, { to: '+44 7766 889901' });
    expect(res.status).toBe(429);
    expect(res.body.code).toBe('agent_busy');
    expect(getsTo('447766889901')).toBe(refusedGets);
    expect((await slow).res.status).toBe(201);
    // The lock is released with the answer: the agent can call again at once.
    expect((await attempt(key, { to: '+44 7766 889901' })).res.status).toBe(201);
  });

  it('per tenant and second', async () => {
    const { key } = await seedTenant(env, {
      tenantId: 'cap-tenant',
      policy: { caps: { perDestination: { max: 100, windowSec: 900 }, perAgentPerMinute: 100, perTenantPerSecond: 1 } },
    });
    // Two calls in the same second for different agents and numbers: the second is over the cap. The clock is
    // held inside one second (lib/time/clock.ts reads Date), so the two cannot straddle a second's edge.
    vi.useFakeTimers({ toFake: ['Date'] });
    let refused;
    try {
      vi.setSystemTime(Math.ceil(Date.now() / 1000) * 1000 + 100);
      const [a, b] = await Promise.all([
        attempt(key, { to: '+44 7766 889903' }),
        attempt(key, { agent: { crmUserId: 'u-18' }, to: '+44 7766 889904' }),
      ]);
      refused = [a, b].find((x) => x.res.status === 429);
    } finally {
      vi.useRealTimers();
    }
    expect(refused?.res.body.code).toBe('tenant_rate_limited');
    expect(refused?.res.headers['retry-after']).toBe('1');
  });
});
