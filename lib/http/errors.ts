import type { FieldError } from '../model/domain-error';

export type { FieldError };

/**
 * The `type` of a problem is this base and its code: a reference into the project's own contract,
 * docs/api.md, where each code has the anchor `problem-<code>`. Root-relative, so it names no domain
 * we do not own and resolves (RFC 9457 §3.1.1) to the same URI from every route of a deployment.
 */
export const PROBLEM_TYPE_BASE = '/docs/api.md#problem-';

/**
 * An HTTP answer other than success, as problem+json. The use cases throw a DomainError instead (lib/model/domain-error.ts),
 * which lib/http/problems.ts turns into one of these; the HTTP kit itself throws these for what only HTTP knows (a
 * body that is not JSON, a missing key). Anything else thrown is a bug and answers 500.
 */
export class HttpProblem extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly errors?: FieldError[];
  readonly headers: Record<string, string>;
  /** Extra members of the problem document (e.g. the rejected call). */
  readonly extensions: Record<string, unknown>;

  constructor(
    status: number,
    code: string,
    title: string,
    detail: string,
    options: { errors?: FieldError[]; headers?: Record<string, string>; extensions?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HttpProblem';
    this.status = status;
    this.code = code;
    this.title = title;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
    this.extensions = options.extensions ?? {};
  }
}

export class InvalidRequestError extends HttpProblem {
  constructor(detail: string, errors?: FieldError[]) {
    super(400, 'invalid_request', 'The request is not valid', detail, { errors });
    this.name = 'InvalidRequestError';
  }
}

export class UnauthorizedError extends HttpProblem {
  constructor(detail: string) {
    super(401, 'unauthorized', 'Authentication required', detail, { headers: { 'www-authenticate': 'Bearer' } });
    this.name = 'UnauthorizedError';
  }
}

export class ForbiddenError extends HttpProblem {
  constructor(code: string, detail: string) {
    super(403, code, 'Not allowed', detail);
    this.name = 'ForbiddenError';
  }
}

export class NotFoundError extends HttpProblem {
  constructor(detail: string) {
    super(404, 'not_found', 'Not found', detail);
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends HttpProblem {
  constructor(code: string, detail: string, extensions?: Record<string, unknown>) {
    super(409, code, 'Conflict', detail, { extensions });
    this.name = 'ConflictError';
  }
}

export class UnprocessableError extends HttpProblem {
  constructor(code: string, detail: string, options: { errors?: FieldError[]; extensions?: Record<string, unknown> } = {}) {
    super(422, code, 'The call was refused', detail, options);
    this.name = 'UnprocessableError';
  }
}

export class RateLimitedError extends HttpProblem {
  constructor(code: string, detail: string, retryAfterSec: number, extensions?: Record<string, unknown>) {
    super(429, code, 'Too many calls', detail, { headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSec))) }, extensions });
    this.name = 'RateLimitedError';
  }
}

export class ServiceUnavailableError extends HttpProblem {
  constructor(code: string, detail: string, retryAfterSec: number, extensions?: Record<string, unknown>) {
    super(503, code, 'Service unavailable', detail, {
      headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSec))) },
      extensions,
    });
    this.name = 'ServiceUnavailableError';
  }
}

/** Seconds a caller waits after a store fault: DynamoDB's throttling and blips pass within a second or two. */
export const STORE_RETRY_AFTER_SEC = 2;

/**
 * DynamoDB could not serve the request (throttled, 5xx, timeout, connection): a 503 the caller should
 * retry, never a 500. Every write of the call path is conditional, so a retry with the same key never
 * dials twice.
 */
export class StoreUnavailableError extends ServiceUnavailableError {
  constructor(options: { cause?: unknown } = {}) {
    super(
      'store_unavailable',
      'Our database did not answer in time (throttled or unavailable). Retry after the Retry-After delay; a retry with the same Idempotency-Key never dials twice.',
      STORE_RETRY_AFTER_SEC,
    );
    this.name = 'StoreUnavailableError';
    if (options.cause !== undefined) this.cause = options.cause;
  }
}
