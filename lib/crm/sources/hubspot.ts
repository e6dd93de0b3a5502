import { createHash, createHmac } from 'node:crypto';
import { sameBytes } from '../../secrets/compare';
import { decodeStrictBase64, isRespeltBase64 } from '../base64';
import type { LiveSecret, Verification, WebhookDelivery } from '../types';
import { SecretFormatError, tail, type SourceAdapter } from './adapter';
import { parseJsonOrForm } from './body';

/**
 * HubSpot request signature v3 (developers.hubspot.com, "Validating requests"):
 * `X-HubSpot-Signature-v3` = base64 HMAC-SHA256, keyed with the app's client secret, of
 * method + URI + body + `X-HubSpot-Request-Timestamp` (Unix milliseconds); requests older than
 * 5 minutes are to be rejected. The URI is the full URL HubSpot called, with the characters
 * HubSpot lists URL-decoded. HubSpot publishes no verifier package for it, hence node:crypto.
 * HubSpot's steps base64-encode the HMAC and compare the result with the header: a comparison of texts, so the one
 * spelling that verifies is the standard base64 of the 32 bytes with its `=` (docs/webhooks.md, "One spelling").
 */

export const HUBSPOT_MAX_AGE_MS = 5 * 60 * 1000;

const SIGNATURE_HEADER = 'x-hubspot-signature-v3';
const TIMESTAMP_HEADER = 'x-hubspot-request-timestamp';

/** The escapes HubSpot decodes in the URI before signing. */
const DECODED: Record<string, string> = {
  '%3A': ':',
  '%2F': '/',
  '%3F': '?',
  '%40': '@',
  '%21': '!',
  '%24': '$',
  '%27': "'",
  '%28': '(',
  '%29': ')',
  '%2A': '*',
  '%2C': ',',
  '%3B': ';',
};

/** The URI as HubSpot puts it into the signed string. */
export function hubspotSignedUri(url: string): string {
  return url.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (escape) => DECODED[escape.toUpperCase()] ?? escape);
}

function hmac(secret: string, method: string, url: string, body: string, timestamp: string): Buffer {
  return createHmac('sha256', secret)
    .update(`${method.toUpperCase()}${hubspotSignedUri(url)}${body}${timestamp}`, 'utf8')
    .digest();
}

/** The `X-HubSpot-Signature-v3` value HubSpot would send. */
export function signHubSpotV3(secret: string, method: string, url: string, body: string, timestampMs: number): string {
  return hmac(secret, method, url, body, String(timestampMs)).toString('base64');
}

/**
 * What identifies one HubSpot delivery: its timestamp and the bytes of its signature. HubSpot sends no delivery id;
 * the signature is what tells this delivery from another with the same content (a re-enrolment), and a copy of it
 * verifies for as long as its timestamp is in the window. Derived from the decoded bytes, written in their one
 * canonical spelling, never from the header's text: a copy cannot become a "new" delivery by being spelt differently.
 * (For the canonical spelling this is the identity earlier versions derived from the text, so bindings written
 * before still hold.)
 */
export function hubspotDeliveryId(timestamp: string, signature: Buffer): string {
  return createHash('sha256')
    .update(`${timestamp}\n${signature.toString('base64')}`, 'utf8')
    .digest('base64url')
    .slice(0, 32);
}

/**
 * Verifies against every live secret (the old and the new client secret while the app's secret
 * is rotated). Future timestamps are refused too: the window bounds clock skew both ways. The signature must be
 * spelt as HubSpot spells it, standard base64 with its padding: any other spelling of the same bytes is refused.
 */
export function verifyHubSpotV3(delivery: WebhookDelivery, secrets: readonly LiveSecret[], nowMs: number): Verification {
  const signature = delivery.headers[SIGNATURE_HEADER]?.trim();
  const timestamp = delivery.headers[TIMESTAMP_HEADER];
  if (!signature || !timestamp) return { ok: false, reason: 'missing_headers' };
  if (!/^\d{1,15}$/.test(timestamp)) return { ok: false, reason: 'malformed_timestamp' };
  if (Math.abs(nowMs - Number(timestamp)) > HUBSPOT_MAX_AGE_MS) return { ok: false, reason: 'timestamp_out_of_window' };
  const given = decodeStrictBase64(signature);
  if (!given) return { ok: false, reason: isRespeltBase64(signature) ? 'non_canonical_signature' : 'malformed_signature' };

  for (const secret of secrets) {
    const expected = hmac(secret.value, delivery.method, delivery.url, delivery.rawBody, timestamp);
    if (sameBytes(given, expected)) {
      const id = hubspotDeliveryId(timestamp, given);
      return { ok: true, secretId: secret.secretId, replay: { id, validForSec: (2 * HUBSPOT_MAX_AGE_MS) / 1000 } };
    }
  }
  return { ok: false, reason: 'signature_mismatch' };
}

/** `hubspot`: HubSpot workflows' "Send a webhook" action, signed v3 with the app's client secret. */
export const hubspot: SourceAdapter<'hubspot'> = {
  name: 'hubspot',
  title: 'HubSpot',
  scheme: 'X-HubSpot-Signature-v3',
  docs: 'docs/webhooks.md#hubspot',
  // The client secret is an HMAC key: it must stay usable, so it is sealed.
  secretStorage: 'seal',
  verify: verifyHubSpotV3,
  // No delivery id: the signature (timestamp and bytes) identifies the delivery while it verifies (hubspotDeliveryId).
  identity: { kind: 'signature' },
  signsUrl: true,
  parseBody: parseJsonOrForm,
  // The workflow action "Send a webhook" posts the enrolled record: its properties under
  // `properties`, each as {value, ...} in the legacy contact format (unwrapped by the lookup), or
  // flat key-values when the request body is customised.
  defaultMapping: {
    agent: { by: 'crmUserId', path: ['properties.hubspot_owner_id', 'hubspot_owner_id'] },
    to: ['properties.phone', 'phone'],
    lead: ['objectId', 'vid', 'properties.hs_object_id', 'hs_object_id'],
    // The enrolled record's kind (CONTACT, COMPANY, DEAL), or its object type id; absent (the legacy contact format):
    // no type, which logs on a contact.
    leadType: { path: ['objectType'], values: { '0-1': 'contact', '0-2': 'company', '0-3': 'deal' } },
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
