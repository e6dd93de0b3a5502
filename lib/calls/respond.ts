import { ConflictError, HttpProblem, RateLimitedError, ServiceUnavailableError, UnprocessableError } from '../http/errors';
import type { HttpResult } from '../http/handler';
import type { PlaceCallOutcome } from './place-call';

/**
 * The HTTP answer of docs/api.md for a call request: the call resource for 200/201/202, otherwise a
 * problem that carries the call record when one was kept.
 */
export function callOutcomeToHttp(outcome: PlaceCallOutcome): HttpResult {
  if (outcome.kind === 'call') {
    return { status: outcome.status, body: outcome.call, headers: { location: `/v1/calls/${outcome.call.callId}` } };
  }
  throw callProblem(outcome);
}

export function callProblem(outcome: Extract<PlaceCallOutcome, { kind: 'refused' }>): HttpProblem {
  const extensions = outcome.call ? { call: outcome.call } : undefined;
  switch (outcome.status) {
    case 409:
      return new ConflictError(outcome.code, outcome.detail, extensions);
    case 422:
      return new UnprocessableError(outcome.code, outcome.detail, { extensions });
    case 429:
      return new RateLimitedError(outcome.code, outcome.detail, outcome.retryAfterSec ?? 1, extensions);
    case 503:
      return new ServiceUnavailableError(outcome.code, outcome.detail, outcome.retryAfterSec ?? 5, extensions);
  }
}
