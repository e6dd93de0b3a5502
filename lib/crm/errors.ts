import { DomainError, type DomainErrorDetails, type FieldError, type ProblemCode } from '../model/domain-error';

/**
 * Errors of the inbound webhook path: domain errors, which lib/http turns into problem+json like every other
 * answer of the service.
 */
export class WebhookError extends DomainError {
  constructor(code: ProblemCode, detail: string, details: DomainErrorDetails = {}) {
    super(code, detail, details);
    this.name = 'WebhookError';
  }
}

/** `{source}` is not one of the schemes we speak: nothing about the tenant is looked up. */
export class UnknownSourceError extends WebhookError {
  constructor(source: string) {
    super('unknown_source', `There is no webhook source "${source.slice(0, 40)}".`);
    this.name = 'UnknownSourceError';
  }
}

/**
 * Any authenticity failure: unknown tenant, no secret configured, a bad or missing signature, a
 * timestamp out of its window, wrong credentials. The answer is the same for all of them, so a
 * prober learns nothing about which part failed; the precise reason goes to the log only.
 */
export class WebhookUnauthorizedError extends WebhookError {
  /**
   * `challenge`: the source's `WWW-Authenticate` value, for schemes that are HTTP authentication (Pipedrive's Basic).
   * `reason`: the precise failure, for the operator's delivery log only (never in the answer).
   */
  constructor(
    challenge?: string,
    readonly reason?: string,
  ) {
    super('unauthorized', 'The webhook could not be authenticated.', { challenge });
    this.name = 'WebhookUnauthorizedError';
  }
}

/** The delivery is authentic but its body is not something we can read (not JSON, too large). */
export class WebhookBodyError extends WebhookError {
  constructor(detail: string, errors: FieldError[]) {
    super('invalid_request', detail, { errors });
    this.name = 'WebhookBodyError';
  }
}

/**
 * The payload lacks a field the tenant's mapping needs, or a mapped value is not acceptable in a
 * call request. `errors[].path` names the path in the sender's payload, which is what the person
 * configuring the CRM can fix.
 */
export class MappingError extends WebhookError {
  constructor(errors: FieldError[]) {
    super('mapping_failed', describe(errors), { errors });
    this.name = 'MappingError';
  }
}

/** The payload is of a shape this source refuses on purpose (e.g. Pipedrive webhooks v1). */
export class UnsupportedPayloadError extends WebhookError {
  constructor(detail: string, errors: FieldError[]) {
    super('unsupported_payload', detail, { errors });
    this.name = 'UnsupportedPayloadError';
  }
}

function describe(errors: FieldError[]): string {
  const paths = errors.map((e) => e.path).slice(0, 5);
  return `The payload does not provide what the mapping needs: ${paths.join(', ')}.`;
}
