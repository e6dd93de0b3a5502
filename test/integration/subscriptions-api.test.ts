/**
 * The webhook subscriptions API (functions/subscriptions.ts) through the real handler, on dynalite, with a Standard
 * Webhooks receiver on real HTTP: every route, its refusals (nothing written on any), the limit of 20, another
 * tenant's id, the test ping signed with the subscription's own secret, and the rotation's overlap.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MAX_SUBSCRIPTIONS } from '../../lib/model/subscription';
import { SubscriptionRepository } from '../../lib/store/subscriptions';
import { startWebhookReceiver, type WebhookReceiver } from '../../local/webhook-receiver';
import type { ApiBody } from '../support/api-body';
import { bearer, invoke, seedTenant, startTestEnv, testSealer, useEnvForHandlers, type TestEnv } from '../support/env';

type Handler = typeof import('../../functions/subscriptions').handler;

let env: TestEnv;
let handler: Handler;
/** The same function loaded with ALLOW_PRIVATE_OUTBOUND off: the production rule for addresses. */
let strictHandler: Handler;
let receiver: WebhookReceiver;
let repo: SubscriptionRepository;
let key = '';
let otherKey = '';
let readOnlyKey = '';

const A = 'subs-a';
const B = 'subs-b';

interface Sub {
  id: string;
  url: string;
  events: string[];
  filter: Record<string, unknown> | null;
  description: string | null;
  status: string;
  disabledReason: string | null;
  secret?: string;
}

const call = (
  method: string,
  route: string,
  options: { key?: string; path?: Record<string, string>; body?: unknown; query?: Record<string, string>; use?: Handler } = {},
) =>
  invoke(options.use ?? handler, {
    method,
    route,
    headers: bearer(options.key ?? key),
    ...(options.path ? { path: options.path } : {}),
    ...(options.body !== undefined ? { body: options.body } : {}),
    ...(options.query ? { query: options.query } : {}),
  });
const create = (body: unknown, options: { key?: string; use?: Handler } = {}) => call('POST', '/v1/subscriptions', { ...options, body });
const byId = (method: string, suffix: string, id: string, options: { key?: string; body?: unknown; use?: Handler } = {}) =>
  call(method, `/v1/subscriptions/{id}${suffix}`, { ...options, path: { id } });
const asSub = (body: ApiBody) => body as unknown as Sub;
const fieldsOf = (body: ApiBody) => ((body as unknown as { errors?: Array<{ path: string }> }).errors ?? []).map((e) => e.path);
const count = async (tenantId: string) => (await repo.list(tenantId)).length;

beforeAll(async () => {
  env = await startTestEnv();
  useEnvForHandlers(env, { NOTIFY_TIMEOUT_MS: '2000' });
  ({ key } = await seedTenant(env, { tenantId: A }));
  ({ key: otherKey } = await seedTenant(env, { tenantId: B }));
  ({ key: readOnlyKey } = await seedTenant(env, { tenantId: 'subs-reader' }, { scopes: ['subscriptions:read'] }));
  handler = (await import('../../functions/subscriptions')).handler;
  vi.resetModules();
  process.env.ALLOW_PRIVATE_OUTBOUND = 'false';
  try {
    strictHandler = (await import('../../functions/subscriptions')).handler;
  } finally {
    process.env.ALLOW_PRIVATE_OUTBOUND = 'true';
  }
  receiver = await startWebhookReceiver({ secrets: [] });
  repo = new SubscriptionRepository(env.table, testSealer());
}, 60_000);

afterAll(async () => {
  await receiver?.close();
  await env?.stop();
});

describe('POST /v1/subscriptions', () => {
  it('creates a subscription: 201, the resource, its whsec_ secret once, and a Location', async () => {
    const res = await create({
      url: `${receiver.url}/hooks/a`,
      events: ['call.completed', 'call.no_answer'],
      filter: { team: 'sales', states: ['completed'] },
      description: 'Zap 123: calls ended',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const sub = asSub(res.body);
    expect(sub).toMatchObject({
      url: `${receiver.url}/hooks/a`,
      events: ['call.completed', 'call.no_answer'],
      filter: { team: 'sales', states: ['completed'] },
      description: 'Zap 123: calls ended',
      status: 'enabled',
      disabledReason: null,
    });
    expect(sub.id).toMatch(/^sub_[A-Za-z0-9]{16}$/);
    expect(sub.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(res.headers.location).toBe(`/v1/subscriptions/${sub.id}`);

    const read = await byId('GET', '', sub.id);
    expect(read.status).toBe(200);
    expect(read.body).not.toHaveProperty('secret');
    expect(read.body).toMatchObject({ id: sub.id, filter: { team: 'sales', states: ['completed'] } });
    const list = await call('GET', '/v1/subscriptions');
    expect(list.body).toMatchObject({ nextCursor: null });
    expect((list.body as unknown as { subscriptions: Sub[] }).subscriptions.map((s) => s.id)).toContain(sub.id);
    // Sealed in the table, not in clear.
    expect(
      JSON.stringify(await env.table.doc.send(new (await import('@aws-sdk/lib-dynamodb')).ScanCommand({ TableName: env.table.name }))),
    ).not.toContain(sub.secret);
  });

  it('takes ["*"] with no filter or description (null in the resource)', async () => {
    const res = await create({ url: 'https://hooks.example.com/all', events: ['*'] });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ events: ['*'], filter: null, description: null });
  });

  it.each([
    ['an http URL to another host', { url: 'http://hooks.example.com/x', events: ['*'] }, 'url'],
    ['a URL with credentials', { url: 'https://user:pw@hooks.example.com/x', events: ['*'] }, 'url'],
    ['no URL', { events: ['*'] }, 'url'],
    ['an unknown event', { url: 'https://hooks.example.com/x', events: ['call.completed', 'call.exploded'] }, 'events.1'],
    ['"*" beside another event', { url: 'https://hooks.example.com/x', events: ['*', 'call.completed'] }, 'events'],
    ['no event', { url: 'https://hooks.example.com/x', events: [] }, 'events'],
    ['an unknown filter member', { url: 'https://hooks.example.com/x', events: ['*'], filter: { colour: 'red' } }, 'filter.colour'],
    [
      'an unknown state in the filter',
      { url: 'https://hooks.example.com/x', events: ['*'], filter: { states: ['ringing'] } },
      'filter.states.0',
    ],
    [
      'a control character in the description',
      { url: 'https://hooks.example.com/x', events: ['*'], description: 'a\u001b[2Jb' },
      'description',
    ],
    [
      'a description over 200 characters',
      { url: 'https://hooks.example.com/x', events: ['*'], description: 'x'.repeat(201) },
      'description',
    ],
    ['an unknown member', { url: 'https://hooks.example.com/x', events: ['*'], secret: 'whsec_mine' }, 'secret'],
  ])('refuses %s with a 400 naming the field, and writes nothing', async (_what, body, field) => {
    const before = await count(A);
    const res = await create(body);
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.code).toBe('invalid_request');
    expect(fieldsOf(res.body)).toContain(field);
    expect(await count(A)).toBe(before);
  });

  it('refuses a URL that leads to a private address outside the local stage, and writes nothing', async () => {
    const before = await count(A);
    for (const url of ['https://10.0.0.7/hook', 'https://169.254.169.254/latest', 'http://127.0.0.1:9/x']) {
      const res = await create({ url, events: ['*'] }, { use: strictHandler });
      expect(res.status, url).toBe(400);
      expect(fieldsOf(res.body), url).toEqual(['url']);
    }
    expect(await count(A)).toBe(before);
  });

  it('refuses a key without subscriptions:write (403), and a tenant sees only its own', async () => {
    expect((await create({ url: 'https://hooks.example.com/x', events: ['*'] }, { key: readOnlyKey })).body.code).toBe(
      'insufficient_scope',
    );
    expect((await call('GET', '/v1/subscriptions', { key: readOnlyKey })).body).toMatchObject({ subscriptions: [] });
  });
});

describe('the limit of 20 per tenant', () => {
  it('refuses the 21st with 409 subscription_limit and writes nothing; a delete frees a slot', async () => {
    const tenant = 'subs-full';
    const { key: fullKey } = await seedTenant(env, { tenantId: tenant });
    const made = await Promise.all(
      Array.from({ length: MAX_SUBSCRIPTIONS }, (_, i) =>
        create({ url: `https://hooks.example.com/${i}`, events: ['*'] }, { key: fullKey }),
      ),
    );
    expect(made.map((r) => r.status)).toEqual(Array.from({ length: MAX_SUBSCRIPTIONS }, () => 201));
    const refused = await create({ url: 'https://hooks.example.com/21', events: ['*'] }, { key: fullKey });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'subscription_limit', limit: MAX_SUBSCRIPTIONS });
    expect(await count(tenant)).toBe(MAX_SUBSCRIPTIONS);

    expect((await byId('DELETE', '', asSub(made[0]!.body).id, { key: fullKey })).status).toBe(204);
    expect((await create({ url: 'https://hooks.example.com/again', events: ['*'] }, { key: fullKey })).status).toBe(201);
    expect((await create({ url: 'https://hooks.example.com/22', events: ['*'] }, { key: fullKey })).status).toBe(409);
  });

  it('reclaims, after a minute, the slot of a create that died before writing its subscription', async () => {
    const tenant = 'subs-crash';
    await seedTenant(env, { tenantId: tenant });
    const secret = () => ({
      id: `ws_${Math.random().toString(16).slice(2, 10)}`,
      secret: `whsec_${Buffer.alloc(32, 1).toString('base64')}`,
      createdAt: new Date().toISOString(),
      expiresAt: null,
    });
    const fields = (n: number) => ({
      id: `sub_crash${String(n).padStart(8, '0')}`,
      url: 'https://hooks.example.com/c',
      events: ['*'],
      filter: null,
      description: null,
      origin: 'api' as const,
    });
    for (let n = 0; n < MAX_SUBSCRIPTIONS; n++) await repo.create(tenant, fields(n), [secret()]);
    // The item goes, its slot stays: what a create that died between its two writes leaves.
    const { DeleteCommand } = await import('@aws-sdk/lib-dynamodb');
    await env.table.doc.send(new DeleteCommand({ TableName: env.table.name, Key: { pk: `TENANT#${tenant}`, sk: `SUB#${fields(0).id}` } }));
    await expect(repo.create(tenant, fields(99), [secret()])).rejects.toThrow('20 subscriptions');
    const later = new SubscriptionRepository(env.table, testSealer(), () => new Date(Date.now() + 120_000));
    await expect(later.create(tenant, fields(99), [secret()])).resolves.toMatchObject({ id: fields(99).id });
    await expect(later.create(tenant, fields(100), [secret()])).rejects.toThrow('20 subscriptions');
  });

  it('holds under 25 creates at once: exactly 20 made', async () => {
    const { key: raceKey } = await seedTenant(env, { tenantId: 'subs-race' });
    const answers = await Promise.all(
      Array.from({ length: 25 }, (_, i) => create({ url: `https://hooks.example.com/r${i}`, events: ['*'] }, { key: raceKey })),
    );
    expect(answers.filter((r) => r.status === 201)).toHaveLength(MAX_SUBSCRIPTIONS);
    expect(answers.filter((r) => r.status === 409)).toHaveLength(5);
    expect(await count('subs-race')).toBe(MAX_SUBSCRIPTIONS);
  });
});

describe('GET, PATCH and DELETE /v1/subscriptions/{id}', () => {
  it("answers 404 for another tenant's id on every route, and for an id that cannot be one", async () => {
    const theirs = asSub((await create({ url: 'https://hooks.example.com/b', events: ['*'] }, { key: otherKey })).body);
    for (const [method, suffix, body] of [
      ['GET', '', undefined],
      ['PATCH', '', { description: 'mine now' }],
      ['DELETE', '', undefined],
      ['POST', '/test', undefined],
      ['POST', '/rotate-secret', undefined],
      ['GET', '/deliveries', undefined],
    ] as const) {
      const res = await byId(method, suffix, theirs.id, { body });
      expect(res.status, `${method} ${suffix}`).toBe(404);
      expect(res.body.code).toBe('not_found');
    }
    expect((await byId('GET', '', 'sub_../../x')).status).toBe(404);
    // Untouched for its own tenant.
    expect((await byId('GET', '', theirs.id, { key: otherKey })).body).toMatchObject({ description: null });
  });

  it('changes what a PATCH sends, removes a filter with null, refuses a bad field without writing', async () => {
    const sub = asSub((await create({ url: 'https://hooks.example.com/p', events: ['*'], filter: { agent: 'u-17' } })).body);
    const patched = await byId('PATCH', '', sub.id, { body: { events: ['call.answered'], filter: null, description: 'answered only' } });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body).toMatchObject({
      url: 'https://hooks.example.com/p',
      events: ['call.answered'],
      filter: null,
      description: 'answered only',
    });
    const refused = await byId('PATCH', '', sub.id, { body: { events: ['call.nope'], description: 'x' } });
    expect(refused.status).toBe(400);
    expect(fieldsOf(refused.body)).toEqual(['events.0']);
    const strict = await byId('PATCH', '', sub.id, { body: { url: 'https://192.168.1.10/x' }, use: strictHandler });
    expect(fieldsOf(strict.body)).toEqual(['url']);
    expect((await byId('GET', '', sub.id)).body).toMatchObject({
      events: ['call.answered'],
      description: 'answered only',
      url: 'https://hooks.example.com/p',
    });
  });

  it('disables and re-enables; re-enabling clears the failure run the delivery side set', async () => {
    const sub = asSub((await create({ url: 'https://hooks.example.com/d', events: ['*'] })).body);
    expect(await repo.markFailing(A, sub.id, '2026-01-01T00:00:00.000Z')).toBe(true);
    expect(await repo.disable(A, sub.id, 'failing since 2026-01-01T00:00:00Z (3 days)')).toBe(true);
    expect((await byId('GET', '', sub.id)).body).toMatchObject({
      status: 'disabled',
      disabledReason: 'failing since 2026-01-01T00:00:00Z (3 days)',
    });
    const enabled = await byId('PATCH', '', sub.id, { body: { status: 'enabled' } });
    expect(enabled.body).toMatchObject({ status: 'enabled', disabledReason: null });
    expect((await repo.get(A, sub.id))?.failingSince).toBeNull();
    expect((await byId('PATCH', '', sub.id, { body: { status: 'disabled' } })).body).toMatchObject({ status: 'disabled' });
  });

  it('deletes: 204, then 404', async () => {
    const sub = asSub((await create({ url: 'https://hooks.example.com/del', events: ['*'] })).body);
    expect((await byId('DELETE', '', sub.id)).status).toBe(204);
    expect((await byId('GET', '', sub.id)).status).toBe(404);
    expect((await byId('DELETE', '', sub.id)).status).toBe(404);
  });
});

describe('test, rotate-secret and deliveries', () => {
  it("sends a ping signed with the subscription's own secret, answers how it went, and logs it newest first", async () => {
    const sub = asSub((await create({ url: `${receiver.url}/ping`, events: ['*'] })).body);
    receiver.setSecrets([sub.secret!]);
    const res = await byId('POST', '/test', sub.id);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ delivered: true, responseCode: 204, error: null });
    expect(typeof (res.body as unknown as { latencyMs: number }).latencyMs).toBe('number');
    const got = receiver.deliveries().at(-1)!;
    expect(got).toMatchObject({ verified: true, type: 'ping' });
    expect(JSON.parse(got.body)).toMatchObject({ type: 'ping', data: { subscriptionId: sub.id } });

    receiver.setDown(true, 500);
    expect((await byId('POST', '/test', sub.id)).body).toMatchObject({ delivered: false, responseCode: 500, error: 'HTTP 500' });
    receiver.setDown(false);
    const log = await byId('GET', '/deliveries', sub.id);
    expect(log.status).toBe(200);
    const deliveries = (log.body as unknown as { deliveries: Array<Record<string, unknown>> }).deliveries;
    expect(deliveries.map((d) => [d.event, d.status, d.responseCode])).toEqual([
      ['ping', 'failed', 500],
      ['ping', 'delivered', 204],
    ]);
    expect(deliveries[0]).toMatchObject({ callId: null, attempt: 1, nextAttemptAt: null });
    expect((await call('GET', '/v1/subscriptions/{id}/deliveries', { path: { id: sub.id }, query: { limit: '1' } })).body).toMatchObject({
      deliveries: [{ status: 'failed' }],
    });
    expect((await call('GET', '/v1/subscriptions/{id}/deliveries', { path: { id: sub.id }, query: { limit: '0' } })).status).toBe(400);
  });

  it('guards the address at send time: a URL that became private is refused, not requested', async () => {
    const sub = asSub((await create({ url: `${receiver.url}/late`, events: ['*'] })).body);
    const before = receiver.deliveries().length;
    const res = await byId('POST', '/test', sub.id, { use: strictHandler });
    expect(res.body).toMatchObject({ delivered: false, responseCode: null });
    expect(String((res.body as unknown as { error: string }).error)).toMatch(/^refused: .*loopback/);
    expect(receiver.deliveries()).toHaveLength(before);
  });

  it('rotates: both secrets sign for 24 hours, each receiver verifies', async () => {
    const sub = asSub((await create({ url: `${receiver.url}/rot`, events: ['*'] })).body);
    const rotated = await byId('POST', '/rotate-secret', sub.id);
    expect(rotated.status).toBe(200);
    const { secret, previousSecretExpiresAt } = rotated.body as unknown as { secret: string; previousSecretExpiresAt: string };
    expect(secret).toMatch(/^whsec_/);
    expect(secret).not.toBe(sub.secret);
    expect(Math.abs(Date.parse(previousSecretExpiresAt) - Date.now() - 86_400_000)).toBeLessThan(60_000);
    for (const only of [sub.secret!, secret]) {
      receiver.setSecrets([only]);
      expect((await byId('POST', '/test', sub.id)).body).toMatchObject({ delivered: true });
      const signature = receiver.deliveries().at(-1)!;
      expect(signature.verified).toBe(true);
    }
    const opened = await repo.withSecrets(A, sub.id);
    expect(opened?.secrets.map((s) => s.secret)).toEqual([sub.secret, secret]);
    expect(opened?.secrets[0]?.expiresAt).toBe(previousSecretExpiresAt);
    expect(opened?.secrets[1]?.expiresAt).toBeNull();
  });
});
