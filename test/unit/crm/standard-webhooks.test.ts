/**
 * The Standard Webhooks verifier against the examples published with the spec: the test vectors of
 * the reference library (standard-webhooks/standard-webhooks, libraries/javascript/src/webhook.test.ts),
 * case by case, plus our own additions (several secrets, Svix's branded headers).
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signStandardWebhook, standardSecretKey, STANDARD_TOLERANCE_SEC, verifyStandardWebhook } from '../../../lib/crm/standard-webhooks';
import type { WebhookDelivery } from '../../../lib/crm/types';

// The reference library's defaults.
const MSG_ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const PAYLOAD = '{"test": 2432232314}';
const SECRET = 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

const live = (...values: string[]) => values.map((value, i) => ({ secretId: `whs_${i}`, value }));

/** The reference library's TestPayload: signed independently of our signer, with node:crypto. */
function testPayload(timestampMs = Date.now()) {
  const timestamp = Math.floor(timestampMs / 1000);
  const signature = createHmac('sha256', Buffer.from(SECRET, 'base64')).update(`${MSG_ID}.${timestamp}.${PAYLOAD}`).digest('base64');
  return {
    payload: PAYLOAD,
    headers: { 'webhook-id': MSG_ID, 'webhook-signature': `v1,${signature}`, 'webhook-timestamp': String(timestamp) } as Record<
      string,
      string
    >,
  };
}

const delivery = (headers: Record<string, string>, rawBody = PAYLOAD): WebhookDelivery => ({
  method: 'POST',
  url: 'https://x/y',
  headers,
  rawBody,
});
const verify = (headers: Record<string, string>, secrets = live(SECRET), rawBody = PAYLOAD) =>
  verifyStandardWebhook(delivery(headers, rawBody), secrets, Date.now());

describe('the published examples', () => {
  it('sign: whsec_MfKQ…, msg_p5jX…, 1614265330, {"test": 2432232314} -> v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=', () => {
    expect(signStandardWebhook(`whsec_${SECRET}`, MSG_ID, 1614265330, PAYLOAD)).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('verifies the published signature at its own time, and refuses it five minutes and one second later', () => {
    const headers = {
      'webhook-id': MSG_ID,
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    };
    expect(verifyStandardWebhook(delivery(headers), live(`whsec_${SECRET}`), 1614265330_000)).toEqual({
      ok: true,
      secretId: 'whs_0',
      deliveryId: MSG_ID,
    });
    expect(verifyStandardWebhook(delivery(headers), live(`whsec_${SECRET}`), (1614265330 + STANDARD_TOLERANCE_SEC + 1) * 1000)).toEqual({
      ok: false,
      reason: 'timestamp_out_of_window',
    });
  });

  it('missing id raises error', () => {
    const { headers } = testPayload();
    delete headers['webhook-id'];
    expect(verify(headers)).toEqual({ ok: false, reason: 'missing_headers' });
  });

  it('missing timestamp raises error', () => {
    const { headers } = testPayload();
    delete headers['webhook-timestamp'];
    expect(verify(headers)).toEqual({ ok: false, reason: 'missing_headers' });
  });

  it('invalid timestamp throws error', () => {
    const { headers } = testPayload();
    headers['webhook-timestamp'] = 'hello';
    expect(verify(headers)).toEqual({ ok: false, reason: 'malformed_timestamp' });
  });

  it('missing signature raises error', () => {
    const { headers } = testPayload();
    delete headers['webhook-signature'];
    expect(verify(headers)).toEqual({ ok: false, reason: 'missing_headers' });
  });

  it('invalid signature throws error', () => {
    const { headers } = testPayload();
    headers['webhook-signature'] = 'v1,dawfeoifkpqwoekfpqoekf';
    expect(verify(headers).ok).toBe(false);
  });

  it('partial signature throws error', () => {
    const { headers } = testPayload();
    headers['webhook-signature'] = headers['webhook-signature']!.slice(0, 8);
    expect(verify(headers).ok).toBe(false);
    headers['webhook-signature'] = 'v1,';
    expect(verify(headers).ok).toBe(false);
  });

  it('valid signature is valid', () => {
    expect(verify(testPayload().headers)).toMatchObject({ ok: true, deliveryId: MSG_ID });
  });

  it('old timestamp fails', () => {
    expect(verify(testPayload(Date.now() - STANDARD_TOLERANCE_SEC * 1000 - 1000).headers)).toEqual({
      ok: false,
      reason: 'timestamp_out_of_window',
    });
  });

  it('new timestamp fails', () => {
    expect(verify(testPayload(Date.now() + STANDARD_TOLERANCE_SEC * 1000 + 1000).headers)).toEqual({
      ok: false,
      reason: 'timestamp_out_of_window',
    });
  });

  it('multi sig payload is valid', () => {
    const { headers } = testPayload();
    headers['webhook-signature'] = [
      'v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=',
      'v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=',
      headers['webhook-signature'],
      'v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=',
    ].join(' ');
    expect(verify(headers).ok).toBe(true);
  });

  it('verification works with and without signature prefix', () => {
    const { headers } = testPayload();
    expect(verify(headers, live(SECRET)).ok).toBe(true);
    expect(verify(headers, live(`whsec_${SECRET}`)).ok).toBe(true);
  });
});

describe('beyond the published examples', () => {
  it('accepts a delivery signed with any of several live secrets, and names the one that matched', () => {
    const { headers } = testPayload();
    expect(verify(headers, live('whsec_b3RoZXItc2VjcmV0LW9mLTI0LWJ5dGVzLTAw', `whsec_${SECRET}`))).toMatchObject({
      ok: true,
      secretId: 'whs_1',
    });
  });

  it('refuses a body changed by one byte', () => {
    expect(verify(testPayload().headers, live(SECRET), '{"test": 2432232315}')).toEqual({ ok: false, reason: 'signature_mismatch' });
  });

  it("reads Svix's branded svix-* headers too", () => {
    const { headers } = testPayload();
    const svix = {
      'svix-id': headers['webhook-id']!,
      'svix-timestamp': headers['webhook-timestamp']!,
      'svix-signature': headers['webhook-signature']!,
    };
    expect(verify(svix).ok).toBe(true);
  });

  it('ignores v1a (asymmetric) and unknown versions rather than failing on them', () => {
    const { headers } = testPayload();
    headers['webhook-signature'] = `v1a,AAAA ${headers['webhook-signature']}`;
    expect(verify(headers).ok).toBe(true);
  });

  it('refuses a secret that is not base64 instead of keying an HMAC with garbage', () => {
    expect(standardSecretKey('whsec_not base64!')).toBeUndefined();
    expect(verify(testPayload().headers, live('whsec_not base64!'))).toEqual({ ok: false, reason: 'signature_mismatch' });
  });
});
