/**
 * Errors raised by the PBX area before any request leaves this host.
 *
 * Outcomes of a request that was attempted are not errors: {@link Click2CallClient.dial}
 * answers them as a `DialOutcome`, because the caller must record every one of them.
 * These classes cover the inputs that can never be sent, so callers map them by `instanceof`.
 */

/**
 * Base class of every error thrown by `lib/pbx`.
 *
 * Each class sets `name` as a literal: bundlers may rename classes, and logs should not change with them.
 */
export class PbxError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PbxError';
  }
}

/** A dial request that cannot be expressed as a Click2Call URL (non-digit legs, an unusable prefix). */
export class InvalidDialRequestError extends PbxError {
  /** Which field of the dial request was rejected: never its value, which may be a phone number. */
  readonly field: 'legA' | 'legB' | 'prefix' | 'query';

  constructor(field: InvalidDialRequestError['field'], message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidDialRequestError';
    this.field = field;
  }
}

/** Tenant PBX settings that cannot produce a request (non-digit ids, a bad timeout). */
export class InvalidPbxSettingsError extends PbxError {
  /** Which setting was rejected. */
  readonly setting: 'urlShape' | 'baseUrl' | 'crmId' | 'clientId' | 'timeoutMs';

  constructor(setting: InvalidPbxSettingsError['setting'], message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidPbxSettingsError';
    this.setting = setting;
  }
}

/**
 * The tenant's base URL is not an absolute http(s) URL without credentials, query or fragment.
 *
 * `dial` answers this as `not_sent` (code `invalid_url`) rather than throwing: nothing left this host,
 * and the ledger must still record the attempt.
 */
export class InvalidPbxUrlError extends InvalidPbxSettingsError {
  constructor(message: string, options?: ErrorOptions) {
    super('baseUrl', message, options);
    this.name = 'InvalidPbxUrlError';
  }
}
