import { describe, expect, it } from 'vitest';
import type { CallRefused, PlaceCallOutcome } from '../../../lib/calls/outcome';
import { callOutcomeToHttp, webhookCallAnswer } from '../../../lib/http/call-answers';
import { HttpProblem } from '../../../lib/http/errors';
import type { Call } from '../../../lib/model/call-resource';
import type { ProblemCode } from '../../../lib/model/domain-error';

const call = { callId: 'c_1', state: 'rejected', reason: 'agent_not_found' } as unknown as Call;
const refused = (code: ProblemCode, retryAfterSec?: number): CallRefused => ({ kind: 'refused', code, detail: 'd', retryAfterSec, call });
const thrown = (fn: () => unknown): HttpProblem => {
  try {
    fn();
  } catch (error) {
    if (error instanceof HttpProblem) return error;
    throw error;
  }
  throw new Error('expected a throw');
};

describe('a call request as an HTTP answer (lib/http/call-answers.ts)', () => {
  it.each([
    { progress: 'dialled', status: 201 },
    { progress: 'replayed', status: 200 },
    { progress: 'pending', status: 202 },
  ] as const)('a $progress call is $status with the call and its location', ({ progress, status }) => {
    expect(callOutcomeToHttp({ kind: 'call', progress, call })).toEqual({ status, body: call, headers: { location: '/v1/calls/c_1' } });
  });

  // The statuses the call path answered before its outcomes spoke the domain: each now follows from the code's kind.
  it.each([
    { code: 'idempotency_key_reused', status: 409, retryAfter: undefined },
    { code: 'agent_not_found', status: 422, retryAfter: undefined },
    { code: 'outside_calling_hours', status: 422, retryAfter: undefined },
    { code: 'team_not_found', status: 422, retryAfter: undefined },
    { code: 'pbx_rejected', status: 422, retryAfter: undefined },
    { code: 'pbx_not_allowlisted', status: 422, retryAfter: undefined },
    { code: 'rejected', status: 422, retryAfter: undefined },
    { code: 'agent_busy', status: 429, retryAfter: '1' },
    { code: 'destination_rate_limited', status: 429, retryAfter: '1' },
    { code: 'tenant_rate_limited', status: 429, retryAfter: '1' },
    { code: 'no_agent_available', status: 429, retryAfter: '1' },
    { code: 'waiting_limit', status: 429, retryAfter: '1' },
    { code: 'pbx_unreachable', status: 503, retryAfter: '5' },
    { code: 'store_unavailable', status: 503, retryAfter: '5' },
    { code: 'tenant_inactive', status: 503, retryAfter: '5' },
  ] as const)('refused $code is $status, Retry-After $retryAfter by default, with the call', ({ code, status, retryAfter }) => {
    const problem = thrown(() => callOutcomeToHttp({ ...refused(code), call }));
    expect(problem).toMatchObject({ status, code, message: 'd', extensions: { call } });
    expect(problem.headers['retry-after']).toBe(retryAfter);
  });

  it("a refusal's own wait is its Retry-After, rounded up; without a call the problem carries none", () => {
    const problem = thrown(() =>
      callOutcomeToHttp({ kind: 'refused', code: 'destination_rate_limited', detail: 'd', retryAfterSec: 41.2 }),
    );
    expect(problem.headers['retry-after']).toBe('42');
    expect(problem.extensions).toEqual({});
  });
});

describe('answers per webhook sender', () => {
  it('a permanent refusal is 200 with the call where the sender would retry it, else 422', () => {
    expect(webhookCallAnswer(refused('agent_not_found'), 200)).toEqual({
      status: 200,
      body: call,
      headers: { location: '/v1/calls/c_1', 'x-c2c-refusal': 'agent_not_found' },
    });
    expect(thrown(() => webhookCallAnswer(refused('agent_not_found'), 422))).toMatchObject({ status: 422, code: 'agent_not_found' });
  });

  it('a permanent refusal without a kept call keeps its 422', () => {
    const outcome: PlaceCallOutcome = { kind: 'refused', code: 'team_not_found', detail: 'd' };
    expect(thrown(() => webhookCallAnswer(outcome, 200)).status).toBe(422);
  });

  it('transient refusals and key conflicts keep their status whatever the sender', () => {
    for (const [code, status] of [
      ['idempotency_key_reused', 409],
      ['agent_busy', 429],
      ['pbx_unreachable', 503],
    ] as const) {
      expect(thrown(() => webhookCallAnswer(refused(code, 3), 200)).status).toBe(status);
    }
    expect(thrown(() => webhookCallAnswer(refused('agent_busy', 3), 200)).headers['retry-after']).toBe('3');
  });

  it('a placed call is answered as POST /v1/calls answers it', () => {
    expect(webhookCallAnswer({ kind: 'call', progress: 'dialled', call }, 200)).toMatchObject({ status: 201, body: call });
  });
});
