import { randomBytes } from 'node:crypto';
import type { WebhookSource } from '../store/webhook-sources';
import { credentialHash } from '../secrets/compare';
import { UnsupportedPayloadError } from './errors';
import { verifyHubSpotV3 } from './hubspot';
import type { EffectiveMapping } from './mapping';
import { basicCredentials, PIPEDRIVE_CHALLENGE, verifyPipedriveBasic } from './pipedrive';
import { STANDARD_SECRET_PREFIX, standardSecretKey, verifyStandardWebhook } from './standard-webhooks';
import { verifyToken } from './token';
import type { LiveSecret, Verification, WebhookDelivery } from './types';

/** A secret refused by its source's format: the message says what is expected. */
export class SecretFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretFormatError';
  }
}

/** Everything that differs from one source to another. */
export interface SourceAdapter {
  source: WebhookSource;
  /** Checks authenticity on the raw body, before anything is parsed. Never throws on bad input. */
  verify(delivery: WebhookDelivery, secrets: readonly LiveSecret[], nowMs: number): Verification;
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
  secrets: SecretFormat;
}

export interface SecretFormat {
  /** How an operator supplies it, for help texts. */
  describe: string;
  /** What is stored for a secret given by an operator: the value (or its hash) and a hint. Throws SecretFormatError. */
  toStored(raw: string): { value: string; hint: string };
  /** A fresh secret, for schemes where we issue it; absent where the vendor issues it (HubSpot). */
  generate?(): string;
}

const tail = (value: string) => `…${value.slice(-4)}`;

const standard: SourceAdapter = {
  source: 'standard',
  verify: verifyStandardWebhook,
  // The spec leaves the payload to the sender, recommending {type, timestamp, data}; by default we
  // read a call request inside `data`.
  defaultMapping: {
    agent: { by: 'crmUserId', path: ['data.agent.crmUserId', 'data.agent_id'] },
    to: ['data.to', 'data.phone'],
    lead: ['data.lead.id', 'data.lead_id'],
    notBefore: null,
    customData: {},
    // The delivery id is `webhook-id`, which the signature covers: no mapping needed.
    deliveryId: null,
  },
  // Svix and other senders of the spec retry any non-2xx for days, then disable the endpoint.
  defaultRefusalStatus: 200,
  // Every delivery carries `webhook-id` (verification requires it), so the window only backs up a
  // mapping that points the delivery id elsewhere; the spec's first retries come at 5 s and 5 min.
  keylessWindowSec: 60,
  secrets: {
    describe: 'whsec_<base64 of 24-64 random bytes>',
    toStored(raw) {
      const value = raw.trim();
      const key = standardSecretKey(value);
      if (!key || key.length < 24 || key.length > 64) {
        throw new SecretFormatError('A Standard Webhooks secret is whsec_ followed by the base64 of 24 to 64 random bytes');
      }
      const normalized = value.startsWith(STANDARD_SECRET_PREFIX) ? value : `${STANDARD_SECRET_PREFIX}${value}`;
      return { value: normalized, hint: `${STANDARD_SECRET_PREFIX}${tail(normalized)}` };
    },
    generate: () => `${STANDARD_SECRET_PREFIX}${randomBytes(32).toString('base64')}`,
  },
};

const hubspot: SourceAdapter = {
  source: 'hubspot',
  verify: verifyHubSpotV3,
  // The workflow action "Send a webhook" posts the enrolled record: its properties under
  // `properties`, each as {value, ...} in the legacy contact format (unwrapped by the lookup), or
  // flat key-values when the request body is customised.
  defaultMapping: {
    agent: { by: 'crmUserId', path: ['properties.hubspot_owner_id', 'hubspot_owner_id'] },
    to: ['properties.phone', 'phone'],
    lead: ['objectId', 'vid', 'properties.hs_object_id', 'hs_object_id'],
    notBefore: null,
    customData: {},
    // HubSpot documents no delivery id for workflow webhooks: the short-window derived key applies.
    deliveryId: null,
  },
  // HubSpot workflows retry only 5xx, 429 and timeouts, never another 4xx: a 422 ends the attempt
  // and shows in the workflow's history, which is what the person who built it needs to see.
  defaultRefusalStatus: 422,
  // No delivery id at all. A workflow re-enrolling a record, or two workflows firing on one form,
  // send the same content seconds apart; HubSpot waits 30 s for an answer and retries 5xx and 429
  // afterwards. Five minutes covers both and matches the signature's own validity.
  keylessWindowSec: 300,
  secrets: {
    describe: "the HubSpot app's client secret (HubSpot issues it)",
    toStored(raw) {
      const value = raw.trim();
      if (!/^[\x21-\x7e]{8,256}$/.test(value))
        throw new SecretFormatError('A HubSpot client secret is 8-256 printable characters, no spaces');
      return { value, hint: tail(value) };
    },
  },
};

const pipedrive: SourceAdapter = {
  source: 'pipedrive',
  verify: (delivery, secrets) => verifyPipedriveBasic(delivery, secrets),
  challenge: PIPEDRIVE_CHALLENGE,
  // Webhooks v2, person events: `meta.id` identifies the delivery, `data` is the person.
  defaultMapping: {
    agent: { by: 'crmUserId', path: ['data.owner_id'] },
    to: ['data.phones.0.value', 'data.phone.0.value'],
    lead: ['data.id', 'meta.entity_id'],
    notBefore: null,
    customData: {},
    deliveryId: ['meta.id'],
  },
  // Pipedrive retries a non-2xx answer and counts it towards banning, and in the end deleting, the webhook.
  defaultRefusalStatus: 200,
  // Only when a mapping yields no `meta.id`: Pipedrive's retries of one event come within about 3 minutes.
  keylessWindowSec: 300,
  checkPayload(payload, mapping) {
    // In webhooks v1 `meta.id` is the id of the changed object, not of the delivery: used as the
    // idempotency key it would turn every later event on that person into a "duplicate".
    const meta = (payload as { meta?: { v?: unknown; version?: unknown } } | null)?.meta;
    const isV1 = meta !== undefined && (meta.v === 1 || (typeof meta.version === 'string' && !meta.version.startsWith('2')));
    if (isV1 && mapping.deliveryId?.includes('meta.id')) {
      throw new UnsupportedPayloadError('This is a Pipedrive webhooks v1 payload: create the webhook with version 2.0.', [
        { path: 'meta.version', message: 'webhooks v1 are not supported: use version 2.0' },
      ]);
    }
  },
  secrets: {
    describe: 'user:password, as set in the webhook\'s "HTTP Auth" fields (password at least 12 characters)',
    toStored(raw) {
      const credentials = basicCredentials(`Basic ${Buffer.from(raw.trim(), 'utf8').toString('base64')}`);
      if (!credentials || credentials.user === '' || credentials.password.length < 12) {
        throw new SecretFormatError(
          'Pipedrive credentials are user:password, with a non-empty user and a password of at least 12 characters',
        );
      }
      return {
        value: credentialHash(`${credentials.user}:${credentials.password}`),
        hint: `user ${credentials.user}, password ${tail(credentials.password)}`,
      };
    },
    generate: () => `c2c:${randomBytes(24).toString('base64url')}`,
  },
};

const token: SourceAdapter = {
  source: 'token',
  verify: (delivery, secrets) => verifyToken(delivery, secrets),
  // A plain JSON body the automation builds: {"agent_email", "phone", "lead_id"}.
  defaultMapping: {
    agent: { by: 'email', path: ['agent_email', 'agent.email'] },
    to: ['phone', 'to'],
    lead: ['lead_id', 'lead.id'],
    notBefore: null,
    customData: {},
    deliveryId: ['header:idempotency-key', 'idempotency_key'],
  },
  // Zapier replays errored runs (autoreplay); Make and n8n retry failed modules when told to. The
  // 200 answer carries the rejected call, so the refusal is still visible in their run history.
  defaultRefusalStatus: 200,
  // Without an Idempotency-Key header: a zap or scenario that fires twice for one trigger does so
  // within seconds; their replays of failed runs come minutes to hours later, after a refusal that dialled nothing.
  keylessWindowSec: 120,
  secrets: {
    describe: 'a token of at least 24 printable characters (better: --generate)',
    toStored(raw) {
      const value = raw.trim();
      if (!/^[\x21-\x7e]{24,256}$/.test(value)) throw new SecretFormatError('A token is 24-256 printable characters, no spaces');
      return { value: credentialHash(value), hint: tail(value) };
    },
    generate: () => `c2ct_${randomBytes(32).toString('base64url')}`,
  },
};

export const SOURCE_ADAPTERS: Readonly<Record<WebhookSource, SourceAdapter>> = { standard, hubspot, pipedrive, token };
