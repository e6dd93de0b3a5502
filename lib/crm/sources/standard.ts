import { randomBytes } from 'node:crypto';
import { STANDARD_SECRET_PREFIX, standardSecretKey, verifyStandardWebhook } from '../standard-webhooks';
import { SecretFormatError, tail, type SourceAdapter } from './adapter';
import { parseJsonOrForm } from './body';

/**
 * `standard`: any Standard Webhooks sender (Svix and others). The scheme itself is ../standard-webhooks.ts, which the
 * outbound notifications sign with too (lib/notify).
 */
export const standard: SourceAdapter<'standard'> = {
  name: 'standard',
  title: 'Standard Webhooks',
  scheme: 'Standard Webhooks signature',
  docs: 'docs/webhooks.md#standard-webhooks-senders-svix-and-others',
  // A whsec_ secret is an HMAC key: it must stay usable, so it is sealed.
  secretStorage: 'seal',
  verify: verifyStandardWebhook,
  // Every delivery carries `webhook-id`, which the signature covers.
  identity: { kind: 'signed', header: 'webhook-id' },
  parseBody: parseJsonOrForm,
  // The spec leaves the payload to the sender, recommending {type, timestamp, data}; by default we
  // read a call request inside `data`.
  defaultMapping: {
    agent: { by: 'crmUserId', path: ['data.agent.crmUserId', 'data.agent_id'] },
    to: ['data.to', 'data.phone'],
    lead: ['data.lead.id', 'data.lead_id'],
    leadType: { path: ['data.lead.type', 'data.lead_type'] },
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
