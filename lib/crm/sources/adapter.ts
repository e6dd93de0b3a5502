import type { SecretStorage } from '../../store/webhook-sources';
import type { EffectiveMapping } from '../mapping';
import type { LiveSecret, Verification, WebhookDelivery } from '../types';

/** A secret refused by its source's format: the message says what is expected. */
export class SecretFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretFormatError';
  }
}

/**
 * Where the identity of one delivery comes from (the ledger's idempotency key: docs/design.md, "The ledger: never
 * dial twice", and docs/webhooks.md, "Delivery ids"). Declared here, produced by `verify` and the mapping:
 * - `signed`: the scheme carries an id its signature covers (`verify` answers it as `deliveryId`); a mapping may
 *   not point elsewhere, `header` names it.
 * - `signature`: no id; `verify` answers the identity of the signature itself (`replay`), for as long as a copy of it
 *   verifies. Past that, and for a replay signed anew, the keyless window applies.
 * - `mapped`: the id the mapping reads (`defaultMapping.deliveryId`, overridable per tenant), else the keyless window.
 */
export type DeliveryIdentity = { kind: 'signed'; header: string } | { kind: 'signature' } | { kind: 'mapped' };

/**
 * Everything that differs from one CRM source to another: one adapter per source, one file each in this folder,
 * listed once in ./index.ts. Nothing else in lib/ names a source (docs/design.md, "Adding a CRM source").
 */
export interface SourceAdapter<Name extends string = string> {
  /** `{source}` in `/v1/hooks/{source}/{tenantId}`, in the CLI and in the stored settings. */
  name: Name;
  /** The vendor or scheme, as a sentence names it ("HubSpot signs the URL it calls"). */
  title: string;
  /** Its authenticity scheme in a few words, for the OpenAPI description. */
  scheme: string;
  /** The section of docs/webhooks.md that sets it up (a test holds the anchor to the file). */
  docs: `docs/webhooks.md#${string}`;
  /** How its secrets are kept at rest: the store hashes or seals by this (lib/store/webhook-sources.ts). */
  secretStorage: SecretStorage;
  secrets: SecretFormat;
  /** Checks authenticity on the raw body, before anything is parsed. Never throws on bad input. */
  verify(delivery: WebhookDelivery, secrets: readonly LiveSecret[], nowMs: number): Verification;
  /** Where a delivery's identity comes from; `verify` and `defaultMapping.deliveryId` must agree with it. */
  identity: DeliveryIdentity;
  /** Reads the body, once the delivery is authenticated. Throws WebhookBodyError. */
  parseBody(headers: Readonly<Record<string, string>>, rawBody: string): unknown;
  /** The mapping for the vendor's documented payload; a tenant overrides it field by field. */
  defaultMapping: EffectiveMapping;
  /**
   * The status of a permanent refusal (agent unknown, number invalid or not allowed, PBX refused).
   * 200 (with the rejected call) for senders that would otherwise retry it for days or disable the
   * endpoint; 422 for senders that never retry a 4xx. See docs/webhooks.md.
   */
  defaultRefusalStatus: 200 | 422;
  /**
   * The dedupe window of a delivery that carries no delivery id, in seconds: long enough to cover the
   * sender's own early retries and a double trigger. See docs/webhooks.md, "Deliveries without an id".
   */
  keylessWindowSec: number;
  /** Refuses payload shapes the default mapping would misread. */
  checkPayload?(payload: unknown, mapping: EffectiveMapping): void;
  /**
   * The `WWW-Authenticate` challenge of this source's 401, for a scheme built on HTTP authentication: a client
   * that waits to be challenged before it sends credentials needs it (RFC 9110, 11.6.1). Absent for signatures.
   */
  challenge?: string;
  /** The sender signs the URL it called: behind a proxy, the operator records it (`c2c hook set-options --public-url`). */
  signsUrl?: boolean;
}

export interface SecretFormat {
  /** How an operator supplies it, for help texts. */
  describe: string;
  /** What is stored for a secret given by an operator: the value (or its hash) and a hint. Throws SecretFormatError. */
  toStored(raw: string): { value: string; hint: string };
  /** A fresh secret, for schemes where we issue it; absent where the vendor issues it (HubSpot). */
  generate?(): string;
}

/** What may be shown of a secret: its last four characters. */
export const tail = (value: string) => `…${value.slice(-4)}`;
