import { describe, expect, it } from 'vitest';
import type { SalesforceConnection } from '../../../lib/model/crm-connection';
import { SalesforceTokenCache, type TokenAnswer } from '../../../lib/notify/transports/salesforce-token';

const connection = (overrides: Partial<SalesforceConnection> = {}): SalesforceConnection => ({
  instanceUrl: 'https://acme.my.salesforce.com',
  loginUrl: 'https://acme.my.salesforce.com',
  clientId: '3MVG9-key',
  clientSecret: 'consumer-secret',
  connectedAt: '2026-03-01T00:00:00.000Z',
  ...overrides,
});

/** A token endpoint that answers from a script (a session by default) and counts what it was asked. */
function endpoint(script: TokenAnswer[] = []) {
  const asked: string[] = [];
  let issued = 0;
  const fetch = (c: SalesforceConnection, now: Date): Promise<TokenAnswer> => {
    asked.push(`${c.clientId}@${c.connectedAt}`);
    return Promise.resolve(
      script.shift() ?? {
        kind: 'session',
        session: { accessToken: `t${++issued}`, instanceUrl: null, userId: null, expiresAt: now.getTime() + 60_000 },
      },
    );
  };
  return { asked, fetch };
}
const at = (ms: number) => new Date(Date.UTC(2026, 2, 2) + ms);
const tokenOf = (answer: TokenAnswer) => (answer.kind === 'session' ? answer.session.accessToken : answer.kind);

describe('the Salesforce token cache', () => {
  it('reuses a connection’s token until it expires, then asks for a new one', async () => {
    const { asked, fetch } = endpoint();
    const cache = new SalesforceTokenCache(fetch);
    expect(tokenOf(await cache.get('acme', connection(), at(0)))).toBe('t1');
    expect(tokenOf(await cache.get('acme', connection(), at(59_999)))).toBe('t1');
    expect(asked).toHaveLength(1);
    expect(tokenOf(await cache.get('acme', connection(), at(60_000)))).toBe('t2');
    expect(asked).toHaveLength(2);
  });

  it('keeps one token per tenant, client id and connection time: a reconnect never reuses the old token', async () => {
    const { asked, fetch } = endpoint();
    const cache = new SalesforceTokenCache(fetch);
    await cache.get('acme', connection(), at(0));
    await cache.get('globex', connection(), at(0));
    await cache.get('acme', connection({ connectedAt: '2026-03-02T00:00:00.000Z' }), at(0));
    await cache.get('acme', connection({ clientId: 'other-key' }), at(0));
    expect(asked).toHaveLength(4);
    await cache.get('acme', connection(), at(1));
    expect(asked).toHaveLength(4);
  });

  it('asks once for deliveries that want a token at the same moment', async () => {
    const { asked, fetch } = endpoint();
    const cache = new SalesforceTokenCache(fetch);
    const answers = await Promise.all(Array.from({ length: 8 }, () => cache.get('acme', connection(), at(0))));
    expect(asked).toHaveLength(1);
    expect(new Set(answers.map(tokenOf))).toEqual(new Set(['t1']));
  });

  it('forgets a token Salesforce refused, but not a newer one fetched meanwhile', async () => {
    const { asked, fetch } = endpoint();
    const cache = new SalesforceTokenCache(fetch);
    await cache.get('acme', connection(), at(0));
    cache.forget('acme', connection(), 't1');
    expect(tokenOf(await cache.get('acme', connection(), at(1)))).toBe('t2');
    // A second delivery that still held t1 forgets it late: t2 stays.
    cache.forget('acme', connection(), 't1');
    expect(tokenOf(await cache.get('acme', connection(), at(2)))).toBe('t2');
    expect(asked).toHaveLength(2);
  });

  it('keeps no refusal and no failure: the next delivery asks again', async () => {
    const { asked, fetch } = endpoint([
      { kind: 'refused', error: 'token endpoint: HTTP 400 invalid_client (invalid client credentials)' },
      { kind: 'retry', error: 'token endpoint: timeout' },
    ]);
    const cache = new SalesforceTokenCache(fetch);
    expect(tokenOf(await cache.get('acme', connection(), at(0)))).toBe('refused');
    expect(tokenOf(await cache.get('acme', connection(), at(1)))).toBe('retry');
    expect(tokenOf(await cache.get('acme', connection(), at(2)))).toBe('t1');
    expect(asked).toHaveLength(3);
  });
});
