/** One inbound delivery as the verifiers see it: nothing parsed yet. */
export interface WebhookDelivery {
  method: string;
  /** The URL the sender called, as it signed it (HubSpot signs it). */
  url: string;
  /** Header names in lower case. */
  headers: Readonly<Record<string, string>>;
  /** The body exactly as received: every signature is computed over these bytes. */
  rawBody: string;
}

/** A live secret as a verifier needs it: its id (for the log) and the stored value. */
export interface LiveSecret {
  secretId: string;
  value: string;
}

/**
 * What a verifier found. A failure carries the precise reason, for the log only: the sender gets
 * one generic 401 whatever it is.
 */
export type Verification =
  | {
      ok: true;
      secretId: string;
      /** The delivery id the scheme itself carries and signs (Standard Webhooks). */
      deliveryId?: string;
      /**
       * For a signed scheme without a delivery id (HubSpot): what identifies this very delivery, and
       * how long a copy of it can pass verification (the timestamp window both ways).
       */
      replay?: { id: string; validForSec: number };
    }
  | { ok: false; reason: VerificationFailure };

export type VerificationFailure =
  | 'missing_headers'
  | 'malformed_timestamp'
  | 'timestamp_out_of_window'
  | 'malformed_signature'
  /** Base64 a lenient decoder would read, but not the one spelling the sender produces: a re-spelt copy. */
  | 'non_canonical_signature'
  | 'signature_mismatch'
  | 'missing_credentials'
  | 'credentials_mismatch';
