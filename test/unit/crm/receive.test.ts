import { describe, expect, it } from 'vitest';
import type { PlaceCallOutcome } from '../../../lib/calls/place-call';
import type { Call } from '../../../lib/model/call';
import { answer, requestUrl, webhookIdempotencyKey } from '../../../lib/crm/receive';
import { HttpProblem } from '../../../lib/http/errors';
import { hookSourceSk } from '../../../lib/store/keys';

const call = { callId: 'c_1', state: 'rejected', reason: 'agent_not_found' } as unknown as Call;
const refused = (status: 409 | 422 | 429 | 503): PlaceCallOutcome => ({
  kind: 'refused',
  status,
  code: status === 422 ? 'agent_not_found' : 'x',
  detail: 'd',
  retryAfterSec: 3,
  call,
});
const thrown = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return error as HttpProblem;
  }
  throw new Error('expected a throw');
};

describe('answers per sender', () => {
  it('a permanent refusal is 200 with the call where the sender would retry it, else 422', () => {
    expect(answer(refused(422), 200)).toEqual({
      status: 200,
      body: call,
      headers: { location: '/v1/calls/c_1', 'x-c2c-refusal': 'agent_not_found' },
    });
    expect(thrown(() => answer(refused(422), 422))).toMatchObject({ status: 422, code: 'agent_not_found' });
  });

  it('transient refusals and key conflicts keep their status whatever the sender', () => {
    for (const status of [409, 429, 503] as const) expect(thrown(() => answer(refused(status), 200)).status).toBe(status);
    expect(thrown(() => answer(refused(429), 200)).headers['retry-after']).toBe('3');
  });

  it('a placed call is answered as POST /v1/calls answers it', () => {
    expect(answer({ kind: 'call', status: 201, call }, 200)).toMatchObject({ status: 201, body: call });
  });
});

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
