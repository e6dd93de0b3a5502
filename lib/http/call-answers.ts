import type { CallProgress, CallRefused, PlaceCallOutcome } from '../calls/outcome';
import { DomainError } from '../model/domain-error';
import type { HttpProblem } from './errors';
import type { HttpResult } from './handler';
import { problemOf } from './problems';

/** docs/api.md, "Place a call": 201 the PBX accepted this request's GET, 200 a settled replay, 202 not dialled or not known yet. */
const PROGRESS_STATUS: Record<CallProgress, 200 | 201 | 202> = { dialled: 201, replayed: 200, pending: 202 };

const located = (status: number, call: { callId: string }, headers: Record<string, string> = {}): HttpResult => ({
  status,
  body: call,
  headers: { location: `/v1/calls/${call.callId}`, ...headers },
});

/**
 * The HTTP answer of docs/api.md for a call request: the call resource for 200/201/202, otherwise a
 * problem (its status from the code's kind) that carries the call record when one was kept.
 *
 * @throws {HttpProblem} for a refusal
 */
export function callOutcomeToHttp(outcome: PlaceCallOutcome): HttpResult {
  if (outcome.kind === 'call') return located(PROGRESS_STATUS[outcome.progress], outcome.call);
  throw callProblem(outcome);
}

/** A refused call request as problem+json: the status, title and Retry-After of its code's kind (lib/http/problems.ts). */
export function callProblem(outcome: CallRefused): HttpProblem {
  return problemOf(
    new DomainError(outcome.code, outcome.detail, {
      retryAfterSec: outcome.retryAfterSec,
      extensions: outcome.call ? { call: outcome.call } : undefined,
    }),
  );
}

/**
 * The answer for a CRM webhook's sender: as `POST /v1/calls`, except that a permanent refusal (a 422) is answered
 * `refusalStatus` 200 with the rejected call where the sender would otherwise retry it for days. Transient refusals
 * (429, 503) and key conflicts keep their status and Retry-After, so the sender does retry.
 *
 * @throws {HttpProblem} for a refusal that keeps its status
 */
export function webhookCallAnswer(outcome: PlaceCallOutcome, refusalStatus: 200 | 422): HttpResult {
  if (outcome.kind === 'call') return callOutcomeToHttp(outcome);
  const problem = callProblem(outcome);
  if (problem.status === 422 && refusalStatus === 200 && outcome.call) return located(200, outcome.call, { 'x-c2c-refusal': outcome.code });
  throw problem;
}
