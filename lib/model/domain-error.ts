/**
 * The one error the use cases, the store and the adapters speak: a typed `code` (the problem code of docs/api.md) and
 * the facts that go with it. What a code means to a caller over HTTP (its status, title, headers) is decided in one
 * place only, lib/http/problems.ts, as middy's http-error-handler does for its HttpErrors; nothing under lib/ but
 * lib/http knows a status code.
 */

/** One entry per offending field: `path` as dotted names ("agent.crmUserId", "headers.idempotency-key"). */
export interface FieldError {
  path: string;
  message: string;
}

/** What kind of failure a code is: the only thing the HTTP layer reads to choose a status. */
export type ProblemKind =
  /** The request is malformed or out of bounds: the caller must change it. */
  | 'invalid'
  /** Who is calling could not be established. */
  | 'unauthenticated'
  /** Known, but not allowed to do this. */
  | 'forbidden'
  | 'not_found'
  /** The request conflicts with what the ledger holds (a reused key, a call already sent). */
  | 'conflict'
  /** Understood and well-formed, but a rule refuses it (a number, a destination, a mapping). */
  | 'refused'
  /** Too many, too fast: the same request later may pass (`retryAfterSec`). */
  | 'rate_limited'
  /** A dependency did not answer: the same request later may pass (`retryAfterSec`). */
  | 'unavailable';

/**
 * Every problem code the service can answer with, and its kind. A code outside this table does not type-check, and
 * each has its section (`problem-<code>`) in docs/api.md (test/unit/http/problem-types.test.ts).
 */
export const PROBLEM_KINDS = {
  invalid_request: 'invalid',
  invalid_cursor: 'invalid',
  unauthorized: 'unauthenticated',
  insufficient_scope: 'forbidden',
  tenant_suspended: 'forbidden',
  not_found: 'not_found',
  unknown_source: 'not_found',
  idempotency_key_reused: 'conflict',
  already_dispatched: 'conflict',
  not_cancellable: 'conflict',
  /** An agent's extension is another agent's of the tenant (lib/store/agent-extensions.ts). */
  extension_taken: 'conflict',
  /** The tenant has MAX_SUBSCRIPTIONS webhook subscriptions already (lib/store/subscriptions.ts). */
  subscription_limit: 'conflict',
  invalid_number: 'refused',
  destination_not_allowed: 'refused',
  outside_calling_hours: 'refused',
  /** The number is on the tenant's do-not-call list (lib/calls/do-not-call.ts). */
  do_not_call: 'refused',
  agent_not_found: 'refused',
  team_not_found: 'refused',
  pbx_rejected: 'refused',
  pbx_not_allowlisted: 'refused',
  rejected: 'refused',
  mapping_failed: 'refused',
  unsupported_payload: 'refused',
  range_too_large: 'refused',
  too_many_memberships: 'refused',
  agent_busy: 'rate_limited',
  agent_rate_limited: 'rate_limited',
  destination_rate_limited: 'rate_limited',
  tenant_rate_limited: 'rate_limited',
  no_agent_available: 'rate_limited',
  probe_rate_limited: 'rate_limited',
  read_rate_limited: 'rate_limited',
  waiting_limit: 'rate_limited',
  store_unavailable: 'unavailable',
  pbx_unreachable: 'unavailable',
  /** A replay of a waiting call that ended while its tenant was suspended, and whose agent no longer resolves. */
  tenant_inactive: 'unavailable',
} as const satisfies Record<string, ProblemKind>;

export type ProblemCode = keyof typeof PROBLEM_KINDS;

export function isProblemCode(value: string): value is ProblemCode {
  return Object.hasOwn(PROBLEM_KINDS, value);
}

export interface DomainErrorDetails {
  /** The fields at fault, for `invalid` and `refused` problems. */
  errors?: FieldError[];
  /** When the same request may pass, for `rate_limited` and `unavailable` problems. */
  retryAfterSec?: number;
  /** The authentication scheme to answer with (`Bearer`, Pipedrive's `Basic realm=...`), for `unauthenticated`. */
  challenge?: string;
  /** Facts the answer carries besides the detail (the call kept for a refused request). */
  extensions?: Record<string, unknown>;
  cause?: unknown;
}

/** A failure the caller can act on, in the domain's words (like dynamodb-toolbox's DynamoDBToolboxError). */
export class DomainError extends Error {
  readonly code: ProblemCode;
  readonly kind: ProblemKind;
  readonly errors?: FieldError[];
  readonly retryAfterSec?: number;
  readonly challenge?: string;
  readonly extensions: Record<string, unknown>;

  constructor(code: ProblemCode, detail: string, details: DomainErrorDetails = {}) {
    super(detail, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'DomainError';
    this.code = code;
    this.kind = PROBLEM_KINDS[code];
    this.errors = details.errors;
    this.retryAfterSec = details.retryAfterSec;
    this.challenge = details.challenge;
    this.extensions = details.extensions ?? {};
  }
}

/** The request is not valid: each offending field named. */
export const invalidRequest = (detail: string, errors?: FieldError[]) => new DomainError('invalid_request', detail, { errors });
