import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { seedTenant, startTestEnv, useEnvForHandlers, type TestEnv } from '../support/env';
import { createRoot, type Root } from '../../lib/compose/root';
import type { CallPolicy } from '../../lib/model/call-policy';
import { CallRepository } from '../../lib/store/calls';

/**
 * Calling hours set by law (docs/api.md), on the request path and at dispatch: the real use cases, dynalite and the
 * PBX simulator, on roots whose clock the test drives. The lead is in France: weekdays 10:00-13:00 and 14:00-20:00
 * Paris time, no weekend, no public holiday.
 */
let env: TestEnv;
let dispatchDueUseCase: typeof import('../../lib/compose/dispatch-due').dispatchDueUseCase;
let placeCallUseCase: typeof import('../../lib/compose/place-call').placeCallUseCase;
let calls: CallRepository;
let seq = 0;

const rootAt = (at: () => Date): Root => createRoot({ clock: at });
const FRENCH_LEAD = '+33 6 12 34 56 78';

async function frenchTenant(policy: Partial<CallPolicy>) {
  const tenantId = `legal${++seq}`;
  await seedTenant(env, {
    tenantId,
    defaultCountry: 'FR',
    policy: {
      caps: { perDestination: { max: 10_000, windowSec: 900 }, perAgentPerMinute: 10_000, perTenantPerSecond: 10_000 },
      ...policy,
    },
  });
  return (await env.tenants.get(tenantId))!;
}

beforeAll(async () => {
  env = await startTestEnv();
  useEnvForHandlers(env, { ALLOW_PRIVATE_OUTBOUND: 'true' });
  ({ dispatchDueUseCase } = await import('../../lib/compose/dispatch-due'));
  ({ placeCallUseCase } = await import('../../lib/compose/place-call'));
  calls = new CallRepository(env.table);
});

afterAll(async () => {
  await env?.stop();
});

beforeEach(() => env.sim.clearRequests());

describe('calling hours set by law', () => {
  it('a call asked for on Ascension Day with defer on is scheduled for Friday 10:00 Paris, and dials then, once', async () => {
    const tenant = await frenchTenant({ legalCallingHours: true, outsideCallingHours: 'defer' });
    let now = new Date('2026-05-14T09:00:00Z'); // Thursday 11:00 in Paris, Ascension Day
    const outcome = await placeCallUseCase(rootAt(() => now)).execute({
      tenant,
      request: { agent: { crmUserId: 'u-17' }, to: FRENCH_LEAD },
      idempotencyKey: 'ascension-1',
      source: 'api',
    });
    expect(outcome.call).toMatchObject({
      state: 'scheduled',
      schedule: { notBefore: '2026-05-15T08:00:00.000Z', reason: 'calling_hours' },
    });
    const scheduler = dispatchDueUseCase(rootAt(() => now));
    now = new Date('2026-05-15T07:59:00Z');
    await scheduler.runOnce();
    expect(env.sim.requests()).toHaveLength(0);
    now = new Date('2026-05-15T08:00:01Z');
    await scheduler.runOnce();
    await scheduler.runOnce();
    expect(env.sim.requests()).toHaveLength(1);
    expect((await calls.get(tenant.tenantId, outcome.call!.callId))?.state).toBe('dialing');
  });

  it('refuses with the law named when the policy refuses, and not without legalCallingHours', async () => {
    const saturday = new Date('2026-11-28T10:30:00Z'); // 11:30 in Paris
    const place = placeCallUseCase(rootAt(() => saturday));
    const request = { agent: { crmUserId: 'u-17' }, to: FRENCH_LEAD };
    const strict = await frenchTenant({ legalCallingHours: true });
    const refused = await place.execute({ tenant: strict, request, idempotencyKey: 'saturday-1', source: 'api' });
    expect(refused).toMatchObject({ kind: 'refused', code: 'outside_calling_hours' });
    expect(refused.kind === 'refused' && refused.detail).toContain('D223-9');
    const free = await frenchTenant({});
    expect(await place.execute({ tenant: free, request, idempotencyKey: 'saturday-2', source: 'api' })).toMatchObject({
      kind: 'call',
      progress: 'dialled',
    });
  });

  it('the scheduler checks the law at dispatch: a call due on a Saturday moves to Monday 10:00 Paris, nothing dialled', async () => {
    const tenant = await frenchTenant({});
    const saturday = new Date('2026-11-28T10:00:00Z');
    const outcome = await placeCallUseCase(rootAt(() => new Date('2026-11-27T10:00:00Z'))).execute({
      tenant,
      request: { agent: { crmUserId: 'u-17' }, to: FRENCH_LEAD, notBefore: saturday.toISOString() },
      idempotencyKey: 'weekend-1',
      source: 'api',
    });
    expect(outcome.call).toMatchObject({ state: 'scheduled', schedule: { reason: 'requested' } });
    // The operator turns the law's hours on while the call waits.
    await env.tenants.put({ ...tenant, policy: { ...tenant.policy, legalCallingHours: true } });
    const report = await dispatchDueUseCase(rootAt(() => new Date(saturday.getTime() + 1_000))).runOnce();
    expect(report).toMatchObject({ rescheduled: 1, sent: 0 });
    expect(env.sim.requests()).toHaveLength(0);
    const moved = await calls.get(tenant.tenantId, outcome.call!.callId);
    expect(moved).toMatchObject({ state: 'scheduled', schedule: { notBefore: '2026-11-30T09:00:00.000Z', reason: 'calling_hours' } });
  });
});
