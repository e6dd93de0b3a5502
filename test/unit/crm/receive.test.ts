import { describe, expect, it } from 'vitest';
import { requestUrl, webhookIdempotencyKey } from '../../../lib/crm/receive';
import { hookSourceSk } from '../../../lib/store/keys';

describe('delivery id -> idempotency key', () => {
  it('prefixes the source, so ids of different senders never collide', () => {
    expect(webhookIdempotencyKey('standard', 'msg_1')).toBe('standard:msg_1');
    expect(webhookIdempotencyKey('pipedrive', 'msg_1')).not.toBe(webhookIdempotencyKey('standard', 'msg_1'));
  });

  it('hashes an id that is not a valid key by itself instead of cutting it', () => {
    const long = 'x'.repeat(300);
    expect(webhookIdempotencyKey('token', long)).toMatch(/^token:sha256:[A-Za-z0-9_-]{43}$/);
    expect(webhookIdempotencyKey('token', `${long}y`)).not.toBe(webhookIdempotencyKey('token', long));
    expect(webhookIdempotencyKey('token', 'has space')).toMatch(/^token:sha256:/);
  });
});

describe('the URL the sender called', () => {
  const event = (headers: Record<string, string>, rawQueryString = '') =>
    ({ rawPath: '/v1/hooks/hubspot/acme', rawQueryString, requestContext: { domainName: 'api.example.com' } }) as never;
  it('is rebuilt from the Host header and the raw path, over HTTPS unless the proxy says otherwise', () => {
    expect(requestUrl(event({ host: 'h.example.com' }), { host: 'h.example.com' })).toBe('https://h.example.com/v1/hooks/hubspot/acme');
    expect(requestUrl(event({}, 'a=1'), {})).toBe('https://api.example.com/v1/hooks/hubspot/acme?a=1');
    expect(requestUrl(event({}), { host: '127.0.0.1:3000', 'x-forwarded-proto': 'http' })).toBe(
      'http://127.0.0.1:3000/v1/hooks/hubspot/acme',
    );
  });
});

describe('keys', () => {
  it('a source item sorts under its tenant', () => {
    expect(hookSourceSk('hubspot')).toBe('HOOKSOURCE#hubspot');
  });
});
