/**
 * What identifies a delivery, source by source: canonical content, never a spelling. Each table below takes one
 * delivery, re-spells it every way a lenient reader accepts, and checks that each re-spelling is either refused or
 * resolves to the same identity as the original (issue 17, point 1).
 */
import { describe, expect, it } from 'vitest';
import { hubspotDeliveryId, signHubSpotV3, verifyHubSpotV3 } from '../../../lib/crm/sources/hubspot';
import { basicAuthorization, verifyPipedriveBasic } from '../../../lib/crm/sources/pipedrive';
import { webhookIdempotencyKey } from '../../../lib/crm/receive';
import { SOURCE_ADAPTERS } from '../../../lib/crm/sources';
import { signStandardWebhook, verifyStandardWebhook } from '../../../lib/crm/standard-webhooks';
import type { Verification, WebhookDelivery } from '../../../lib/crm/types';
import { respellings, withoutPadding } from '../../support/respell';

const NOW = 1_773_309_600_000;
const live = (...values: string[]) => values.map((value, i) => ({ secretId: `whs_${i}`, value }));
const idOf = (verification: Verification) => (verification.ok ? (verification.replay?.id ?? verification.deliveryId) : undefined);

describe('HubSpot: the timestamp and the signature bytes, in their one spelling', () => {
  const SECRET = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy';
  const URL_CALLED = 'https://calls.example.com/v1/hooks/hubspot/acme?wf=42';
  const BODY = '{"objectId":1051,"properties":{"phone":{"value":"+44 7766 889901"}}}';
  const signature = signHubSpotV3(SECRET, 'POST', URL_CALLED, BODY, NOW);
  const delivery = (sig: string, url = URL_CALLED): WebhookDelivery => ({
    method: 'POST',
    url,
    rawBody: BODY,
    headers: { 'x-hubspot-signature-v3': sig, 'x-hubspot-request-timestamp': String(NOW) },
  });
  const verify = (sig: string, url?: string) => verifyHubSpotV3(delivery(sig, url), live(SECRET), NOW + 60_000);
  const original = verify(signature);

  it('the delivery as HubSpot sends it verifies, named by its timestamp and decoded signature', () => {
    expect(signature).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(original).toMatchObject({ ok: true, replay: { id: hubspotDeliveryId(String(NOW), Buffer.from(signature, 'base64')) } });
  });

  it.each(respellings(signature))('the signature re-spelt %s is refused', (respelt) => {
    expect(verify(respelt)).toEqual({ ok: false, reason: 'non_canonical_signature' });
  });

  it('the seen case, the padding dropped, is refused', () => {
    expect(verify(withoutPadding(signature))).toEqual({ ok: false, reason: 'non_canonical_signature' });
  });

  it('spaces around the header value are not part of it (RFC 9110): the same delivery, the same identity', () => {
    expect(idOf(verify(` ${signature} `))).toBe(idOf(original));
  });

  it('a URL re-spelt with an escape HubSpot decodes before signing is the same delivery', () => {
    const escaped = URL_CALLED.replace('?', '%3F').replace('https:', 'https%3A');
    expect(idOf(verify(signature, escaped))).toBe(idOf(original));
  });

  it('another timestamp or other signature bytes are another delivery', () => {
    const bytes = Buffer.from(signature, 'base64');
    const other = Buffer.from(bytes);
    other[0] = (other[0]! + 1) % 256;
    expect(hubspotDeliveryId(String(NOW), bytes)).not.toBe(hubspotDeliveryId(String(NOW + 1), bytes));
    expect(hubspotDeliveryId(String(NOW), bytes)).not.toBe(hubspotDeliveryId(String(NOW), other));
  });
});

describe('Standard Webhooks: webhook-id alone, whatever the signature header lists', () => {
  const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const ROTATED = 'whsec_cm90YXRlZC1zZWNyZXQtZm9yLXRoZS10ZXN0cy0xMjM0';
  const MSG_ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
  const BODY = '{"test": 2432232314}';
  const seconds = NOW / 1000;
  const mine = signStandardWebhook(SECRET, MSG_ID, seconds, BODY);
  const rotated = signStandardWebhook(ROTATED, MSG_ID, seconds, BODY);
  const verify = (header: string, msgId = MSG_ID) =>
    verifyStandardWebhook(
      {
        method: 'POST',
        url: 'https://x/y',
        rawBody: BODY,
        headers: { 'webhook-id': msgId, 'webhook-timestamp': String(seconds), 'webhook-signature': header },
      },
      live(SECRET),
      NOW,
    );
  const respelt = respellings(mine.slice(3)).map((text) => `v1,${text}`);

  it.each([
    ['one signature', mine],
    ['the other key first', `${rotated} ${mine}`],
    ['the other key last', `${mine} ${rotated}`],
    ['the same signature twice', `${mine} ${mine}`],
    ['a version we do not read beside it', `v1a,AAAA ${mine} v2,BBBB`],
    ['a re-spelt copy beside the canonical one', `${respelt[0]!} ${mine}`],
  ])('%s: accepted, the delivery is webhook-id', (_name, header) => {
    expect(verify(header)).toMatchObject({ ok: true, deliveryId: MSG_ID });
  });

  it.each(respelt)('the signature re-spelt %s alone is refused', (header) => {
    expect(verify(header)).toEqual({ ok: false, reason: 'non_canonical_signature' });
  });

  it('webhook-id is compared exactly: another case is another id, and fails the signature that covers it', () => {
    expect(verify(mine, MSG_ID.toUpperCase())).toEqual({ ok: false, reason: 'signature_mismatch' });
  });
});

describe('Pipedrive: no identity from the credentials; the credentials read strictly', () => {
  const secrets = live(SOURCE_ADAPTERS.pipedrive.secrets.toStored('c2c:first-password-0001').value);
  const verify = (authorization: string) =>
    verifyPipedriveBasic({ method: 'POST', url: 'https://x', rawBody: '{}', headers: { authorization } }, secrets);
  const canonical = basicAuthorization('c2c', 'first-password-0001').slice('Basic '.length);

  it.each([
    ['Basic', `Basic ${canonical}`],
    ['basic (the scheme is case-insensitive)', `basic ${canonical}`],
    ['BASIC, two spaces', `BASIC  ${canonical}`],
  ])('%s: accepted', (_name, header) => {
    expect(verify(header)).toMatchObject({ ok: true });
  });

  it.each(respellings(canonical))('the credentials re-spelt %s are refused', (respelt) => {
    expect(verify(`Basic ${respelt}`)).toEqual({ ok: false, reason: 'missing_credentials' });
  });

  it('bytes that are not UTF-8 are refused rather than read as U+FFFD', () => {
    const invalid = Buffer.concat([Buffer.from('c2c:first-password-000'), Buffer.from([0xff])]).toString('base64');
    expect(verify(`Basic ${invalid}`)).toEqual({ ok: false, reason: 'missing_credentials' });
  });
});

describe('delivery ids as ledger keys: one id, one key; two ids, two keys', () => {
  const hashedKeyOf = (id: string) => webhookIdempotencyKey('token', id).slice('token:'.length);

  it.each([
    ['an id hashed (it has a space) and a plain id spelling its hashed key', 'run 1', hashedKeyOf('run 1')],
    ['ids that differ in case only', 'Run-1', 'run-1'],
    ['ids that differ by a space', 'run 1', 'run  1'],
  ])('%s', (_name, a, b) => {
    expect(webhookIdempotencyKey('token', a)).not.toBe(webhookIdempotencyKey('token', b));
  });

  it('the same id is the same key, per source', () => {
    expect(webhookIdempotencyKey('standard', 'msg_1')).toBe(webhookIdempotencyKey('standard', 'msg_1'));
    expect(webhookIdempotencyKey('standard', 'msg_1')).not.toBe(webhookIdempotencyKey('pipedrive', 'msg_1'));
  });
});
