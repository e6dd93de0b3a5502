import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HUBSPOT_MAX_AGE_MS, hubspotSignedUri, signHubSpotV3, verifyHubSpotV3 } from '../../../lib/crm/sources/hubspot';

const SECRET = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy';
const URL_CALLED = 'https://calls.example.com/v1/hooks/hubspot/acme';
const BODY = '{"objectId":1051,"properties":{"phone":{"value":"+44 7766 889901"}}}';
const NOW = 1_773_309_600_000;

const delivery = (headers: Record<string, string>, overrides: { url?: string; rawBody?: string; method?: string } = {}) => ({
  method: overrides.method ?? 'POST',
  url: overrides.url ?? URL_CALLED,
  rawBody: overrides.rawBody ?? BODY,
  headers,
});
const signed = (timestamp = NOW, secret = SECRET) => ({
  'x-hubspot-signature-v3': signHubSpotV3(secret, 'POST', URL_CALLED, BODY, timestamp),
  'x-hubspot-request-timestamp': String(timestamp),
});
const live = (...values: string[]) => values.map((value, i) => ({ secretId: `whs_${i}`, value }));

describe('HubSpot signature v3', () => {
  it('is base64 HMAC-SHA256 with the client secret over method + URI + body + timestamp', () => {
    const expected = createHmac('sha256', SECRET).update(`POST${URL_CALLED}${BODY}${NOW}`).digest('base64');
    expect(signHubSpotV3(SECRET, 'post', URL_CALLED, BODY, NOW)).toBe(expected);
  });

  it('decodes the URL escapes HubSpot lists before signing, and only those', () => {
    expect(hubspotSignedUri('https://x.com/a%3Ab%2Fc%3Fd%40e%21f%24g%27h%28i%29j%2Ak%2Cl%3Bm')).toBe(
      "https://x.com/a:b/c?d@e!f$g'h(i)j*k,l;m",
    );
    expect(hubspotSignedUri('https://x.com/a%3ab')).toBe('https://x.com/a:b');
    expect(hubspotSignedUri('https://x.com/?q=a%20b%26c%3D')).toBe('https://x.com/?q=a%20b%26c%3D');
  });

  it('accepts a fresh signature from any live secret', () => {
    expect(verifyHubSpotV3(delivery(signed()), live(SECRET), NOW + 1_000)).toMatchObject({ ok: true, secretId: 'whs_0' });
    expect(verifyHubSpotV3(delivery(signed(NOW, 'the-new-secret-000')), live(SECRET, 'the-new-secret-000'), NOW)).toMatchObject({
      ok: true,
      secretId: 'whs_1',
    });
  });

  it('names the delivery by its signature and timestamp, valid for the whole window both ways', () => {
    const first = verifyHubSpotV3(delivery(signed()), live(SECRET), NOW);
    const copy = verifyHubSpotV3(delivery(signed()), live(SECRET), NOW + 60_000);
    const resigned = verifyHubSpotV3(delivery(signed(NOW + 1)), live(SECRET), NOW + 60_000);
    if (!first.ok || !copy.ok || !resigned.ok) throw new Error('all three verify');
    expect(first.replay?.id).toBe(copy.replay?.id);
    expect(resigned.replay?.id).not.toBe(first.replay?.id);
    expect(first.replay?.validForSec).toBe((2 * HUBSPOT_MAX_AGE_MS) / 1000);
  });

  it('refuses a timestamp older than 5 minutes, or as far in the future', () => {
    expect(verifyHubSpotV3(delivery(signed()), live(SECRET), NOW + HUBSPOT_MAX_AGE_MS + 1)).toEqual({
      ok: false,
      reason: 'timestamp_out_of_window',
    });
    expect(verifyHubSpotV3(delivery(signed()), live(SECRET), NOW - HUBSPOT_MAX_AGE_MS - 1)).toEqual({
      ok: false,
      reason: 'timestamp_out_of_window',
    });
    expect(verifyHubSpotV3(delivery(signed()), live(SECRET), NOW + HUBSPOT_MAX_AGE_MS).ok).toBe(true);
  });

  it('refuses another URL, another method, another body, another secret', () => {
    expect(verifyHubSpotV3(delivery(signed(), { url: 'https://calls.example.com/v1/hooks/hubspot/other' }), live(SECRET), NOW).ok).toBe(
      false,
    );
    expect(verifyHubSpotV3(delivery(signed(), { method: 'PUT' }), live(SECRET), NOW).ok).toBe(false);
    expect(verifyHubSpotV3(delivery(signed(), { rawBody: BODY.replace('1051', '1052') }), live(SECRET), NOW)).toEqual({
      ok: false,
      reason: 'signature_mismatch',
    });
    expect(verifyHubSpotV3(delivery(signed()), live('not-the-secret'), NOW).ok).toBe(false);
  });

  it('names what is wrong with malformed headers (for the log)', () => {
    expect(verifyHubSpotV3(delivery({}), live(SECRET), NOW)).toEqual({ ok: false, reason: 'missing_headers' });
    expect(verifyHubSpotV3(delivery({ ...signed(), 'x-hubspot-request-timestamp': '17e11' }), live(SECRET), NOW)).toEqual({
      ok: false,
      reason: 'malformed_timestamp',
    });
    expect(verifyHubSpotV3(delivery({ ...signed(), 'x-hubspot-signature-v3': 'not base64!' }), live(SECRET), NOW)).toEqual({
      ok: false,
      reason: 'malformed_signature',
    });
  });
});
