/** POST /v1/diagnostics/pbx-probe: its budget per tenant, through the handler, dynalite and the PBX simulator. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROBE_BUDGET } from '../../lib/pbx/probe';
import { bearer, invoke, seedTenant, startTestEnv, useEnvForHandlers, type TestEnv } from '../support/env';

let env: TestEnv;
let probe: typeof import('../../functions/pbx-probe').handler;

beforeAll(async () => {
  env = await startTestEnv();
  useEnvForHandlers(env);
  ({ handler: probe } = await import('../../functions/pbx-probe'));
});

afterAll(async () => {
  await env?.stop();
});

const probeAs = (key: string) => invoke(probe, { method: 'POST', route: '/v1/diagnostics/pbx-probe', headers: bearer(key) });
const probeGets = (clientId: string) => env.sim.requests().filter((r) => r.query.c2c_probe !== undefined && r.clientId === clientId);

describe('the allowlist probe budget', () => {
  it(`answers 429 with Retry-After past ${PROBE_BUDGET.max} probes a minute for a tenant, sending nothing more; other tenants keep theirs`, async () => {
    const { key } = await seedTenant(env, { tenantId: 'probe-busy', clientId: '701' });
    const { key: otherKey } = await seedTenant(env, { tenantId: 'probe-other', clientId: '702' });
    // The budget is a fixed window: start well inside one, so the window cannot turn over mid-test.
    const intoWindow = (Date.now() / 1000) % PROBE_BUDGET.windowSec;
    if (intoWindow > PROBE_BUDGET.windowSec - 10)
      await new Promise((resolve) => setTimeout(resolve, (PROBE_BUDGET.windowSec - intoWindow + 0.1) * 1000));

    for (let i = 0; i < PROBE_BUDGET.max; i++) {
      const res = await probeAs(key);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.verdict).toBe('allowlisted');
    }
    const refused = await probeAs(key);
    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ status: 429, code: 'probe_rate_limited' });
    expect(refused.body.detail).toContain(`At most ${PROBE_BUDGET.max} PBX probes a minute`);
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(PROBE_BUDGET.windowSec);
    expect(probeGets('701')).toHaveLength(PROBE_BUDGET.max);

    expect((await probeAs(otherKey)).status).toBe(200);
    expect(probeGets('702')).toHaveLength(1);
  });
});
