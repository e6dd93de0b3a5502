import { randomBytes } from 'node:crypto';
import { credentialHash, safeEqual } from '../../secrets/compare';
import { decodeStrictBase64 } from '../base64';
import { UnsupportedPayloadError } from '../errors';
import type { LiveSecret, Verification, WebhookDelivery } from '../types';
import { SecretFormatError, tail, type SourceAdapter } from './adapter';
import { parseJsonOrForm } from './body';

/**
 * Pipedrive webhooks carry no signature: the webhook is created with an "HTTP Auth" user name and
 * password, which Pipedrive sends as HTTP Basic credentials. We keep only a hash of `user:password`
 * and compare the hash of what arrives with each live one: user and password are checked together,
 * in constant time, with no early exit on a wrong user name.
 */
/**
 * The challenge of a refused Pipedrive delivery. The realm is the same for every tenant, so the 401 says nothing
 * about whether the tenant exists.
 */
export const PIPEDRIVE_CHALLENGE = 'Basic realm="c2c webhooks", charset="UTF-8"';

export function verifyPipedriveBasic(delivery: WebhookDelivery, secrets: readonly LiveSecret[]): Verification {
  const credentials = basicCredentials(delivery.headers.authorization);
  if (!credentials) return { ok: false, reason: 'missing_credentials' };
  const presented = credentialHash(`${credentials.user}:${credentials.password}`);
  for (const secret of secrets) {
    if (safeEqual(presented, secret.value)) return { ok: true, secretId: secret.secretId };
  }
  return { ok: false, reason: 'credentials_mismatch' };
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * User and password of an `Authorization: Basic` header; undefined when there is none or it is malformed. The scheme
 * name is case-insensitive (RFC 9110); the credentials are read strictly: canonical base64 (RFC 7617 encodes with
 * RFC 4648's padded alphabet) of valid UTF-8. A lenient reading would map many byte strings to one password (every
 * invalid byte becomes U+FFFD) and many spellings to one byte string.
 */
export function basicCredentials(authorization: string | undefined): { user: string; password: string } | undefined {
  const match = /^Basic[ ]+(\S+)[ \t]*$/i.exec(authorization ?? '');
  const bytes = match?.[1] ? decodeStrictBase64(match[1]) : undefined;
  if (!bytes) return undefined;
  let decoded: string;
  try {
    decoded = UTF8.decode(bytes);
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The value of an `Authorization` header carrying these credentials (tests, samples). */
export function basicAuthorization(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

/** `pipedrive`: Pipedrive webhooks v2, authenticated by the HTTP Basic credentials set on the webhook. */
export const pipedrive: SourceAdapter<'pipedrive'> = {
  name: 'pipedrive',
  title: 'Pipedrive',
  scheme: 'HTTP Basic',
  docs: 'docs/webhooks.md#pipedrive',
  // Only a hash of user:password is kept: it checks what arrives and can log in nowhere.
  secretStorage: 'hash',
  verify: (delivery, secrets) => verifyPipedriveBasic(delivery, secrets),
  // `meta.id` of webhooks v2 is the delivery's own id (checkPayload refuses v1, where it is the object's).
  identity: { kind: 'mapped' },
  challenge: PIPEDRIVE_CHALLENGE,
  parseBody: parseJsonOrForm,
  // Webhooks v2, person events: `meta.id` identifies the delivery, `data` is the person.
  defaultMapping: {
    agent: { by: 'crmUserId', path: ['data.owner_id'] },
    to: ['data.phones.0.value', 'data.phone.0.value'],
    lead: ['data.id', 'meta.entity_id'],
    // Webhooks v2 name the object an event is about: person, deal, organization, lead.
    leadType: { path: ['meta.entity'] },
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
