/**
 * The answer to a replay of the same request (lib/calls/place/replay.ts), from the call as the ledger holds it: no
 * I/O. The retries of `not_sent` calls, which do write, are covered on dynalite by the integration tests.
 */
import { describe, expect, it } from 'vitest';
import { replayAnswer } from '../../../lib/calls/place/replay';
import { queuedCall, routedCall } from '../../../lib/calls/place/record';
import { emptyOutcome, type CallState } from '../../../lib/model/call';
import type { StoredCall } from '../../../lib/store/calls';

const AT = '2026-12-01T12:00:00.000Z';

function stored(state: CallState, reason: string | null = null): StoredCall {
  return {
    callId: 'c_1',
    tenantId: 'acme',
    state,
    reason,
    agent: { crmUserId: 'u-17', extension: '1001' },
    crmUserId: 'u-17',
    schedule: null,
    to: '+447766889900',
    legB: '447766889900',
    prefix: null,
    lead: null,
    customData: {},
    pbx: null,
    outcome: emptyOutcome(),
    events: [{ at: AT, state: 'accepted' }],
    source: 'api',
    idempotencyKey: 'k-1',
    duplicate: false,
    createdAt: AT,
    updatedAt: AT,
    requestHash: 'h',
    attempt: 1,
  };
}

describe('the answer to a replay', () => {
  it.each<{ state: CallState; reason?: string | null; outcome: Record<string, unknown> }>([
    {
      state: 'rejected',
      reason: 'agent_not_found',
      outcome: { kind: 'refused', code: 'agent_not_found', detail: 'This request was refused before.' },
    },
    { state: 'rejected', reason: 'pbx_rejected', outcome: { kind: 'refused', code: 'pbx_rejected' } },
    { state: 'rejected', reason: null, outcome: { kind: 'refused', code: 'rejected' } },
    { state: 'rejected', reason: 'not_a_code', outcome: { kind: 'refused', code: 'rejected' } },
    { state: 'not_sent', reason: 'agent_busy', outcome: { kind: 'refused', code: 'agent_busy', retryAfterSec: 5 } },
    { state: 'not_sent', reason: 'destination_rate_limited', outcome: { kind: 'refused', code: 'destination_rate_limited' } },
    { state: 'not_sent', reason: 'no_agent_available', outcome: { kind: 'refused', code: 'no_agent_available' } },
    { state: 'not_sent', reason: 'pbx_unreachable', outcome: { kind: 'refused', code: 'pbx_unreachable', retryAfterSec: 5 } },
    { state: 'not_sent', reason: 'store_unavailable', outcome: { kind: 'refused', code: 'store_unavailable' } },
    { state: 'not_sent', reason: 'tenant_inactive', outcome: { kind: 'refused', code: 'tenant_inactive' } },
    { state: 'not_sent', reason: null, outcome: { kind: 'refused', code: 'pbx_unreachable', detail: 'The call has not been sent yet.' } },
    ...(['accepted', 'scheduled', 'queued', 'dispatching', 'unknown'] as const).map((state) => ({
      state,
      outcome: { kind: 'call', progress: 'pending' },
    })),
    ...(['dialing', 'answered', 'completed', 'busy', 'no_answer', 'failed', 'cancelled'] as const).map((state) => ({
      state,
      outcome: { kind: 'call', progress: 'replayed' },
    })),
  ])('$state ($reason): $outcome.kind $outcome.code$outcome.progress', ({ state, reason, outcome }) => {
    const answer = replayAnswer(stored(state, reason));
    expect(answer).toMatchObject(outcome);
    // Always with the call, marked a duplicate: what the ledger holds, not what this copy asked.
    expect(answer.call).toMatchObject({ callId: 'c_1', state, duplicate: true });
  });
});

describe('the records a team call moves through', () => {
  const routing = {
    team: 'sales',
    chosen: null,
    decidedAt: null,
    passedOver: [{ crmUserId: 'u-18', reason: 'on_call' as const }],
    attempts: 1,
  };

  it('queued: its wait starts at its creation and lasts maxWaitSec', () => {
    const call = { ...stored('dispatching'), team: 'sales', queue: { maxWaitSec: 120, since: null, until: null } };
    expect(queuedCall(call, routing)).toMatchObject({
      state: 'queued',
      attempt: 0,
      queue: { maxWaitSec: 120, since: AT, until: '2026-12-01T12:02:00.000Z' },
      routing,
      events: [{ state: 'accepted' }, { at: AT, state: 'queued', detail: 'until 2026-12-01T12:02:00.000Z' }],
    });
  });

  it('routed: reserved for the member the router took', () => {
    const call = { ...stored('dispatching'), agent: {}, crmUserId: undefined, team: 'sales' };
    const chosen = { ...routing, chosen: 'u-19', decidedAt: AT };
    expect(routedCall(call, { crmUserId: 'u-19', extension: '1003' }, chosen)).toMatchObject({
      state: 'dispatching',
      agent: { crmUserId: 'u-19', extension: '1003' },
      crmUserId: 'u-19',
      routing: chosen,
      events: [{ state: 'accepted' }, { at: AT, state: 'dispatching', detail: 'agent u-19' }],
    });
  });
});
