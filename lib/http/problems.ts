import type { DomainError, ProblemCode, ProblemKind } from '../model/domain-error';
import { HttpProblem } from './errors';

/** The status and the default title of each kind of domain failure: the one table that knows status codes for them. */
const KIND_STATUS: Record<ProblemKind, { status: number; title: string }> = {
  invalid: { status: 400, title: 'The request is not valid' },
  unauthenticated: { status: 401, title: 'Authentication required' },
  forbidden: { status: 403, title: 'Not allowed' },
  not_found: { status: 404, title: 'Not found' },
  conflict: { status: 409, title: 'Conflict' },
  refused: { status: 422, title: 'The call was refused' },
  rate_limited: { status: 429, title: 'Too many calls' },
  unavailable: { status: 503, title: 'Service unavailable' },
};

/** Codes whose title says more than their kind's. */
const TITLES: Partial<Record<ProblemCode, string>> = {
  invalid_cursor: 'The cursor is not valid',
  unknown_source: 'Unknown webhook source',
  mapping_failed: 'The payload does not fit the mapping',
  unsupported_payload: 'Unsupported payload',
  range_too_large: 'The range is too large',
  too_many_memberships: 'Too many memberships',
  read_rate_limited: 'Too many reads',
  subscription_limit: 'Too many subscriptions',
};

/** The default wait of a kind that invites a retry, when the error does not say. */
const DEFAULT_RETRY_AFTER_SEC: Partial<Record<ProblemKind, number>> = { rate_limited: 1, unavailable: 5 };

/** The HTTP answer of a domain failure (middy's http-error-handler, for our own error). */
export function problemOf(error: DomainError): HttpProblem {
  const { status, title } = KIND_STATUS[error.kind];
  const headers: Record<string, string> = {};
  const retryAfter = error.retryAfterSec ?? DEFAULT_RETRY_AFTER_SEC[error.kind];
  if (retryAfter !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfter)));
  if (error.kind === 'unauthenticated' && error.challenge) headers['www-authenticate'] = error.challenge;
  return new HttpProblem(status, error.code, TITLES[error.code] ?? title, error.message, {
    errors: error.errors,
    headers,
    extensions: error.extensions,
    cause: error,
  });
}
