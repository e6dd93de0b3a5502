/**
 * Requests without an idempotency key, through the real handlers on dynalite and the PBX simulator:
 * the dedupe window slides with the requests' own times (no minute buckets), copies of one signed
 * HubSpot delivery resolve to one call for as long as the signature is accepted, and every request
 * counts against the tenant's per-second cap before anything is written.
 *
 * Time is driven: only `Date` is faked (timers and I/O run for real), so a test can stand 300 ms
 * before a minute boundary without waiting for one.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { resignSample, SAMPLE_AGENTS, SAMPLE_SECRETS, SAMPLE_TENANT_ID } from '../../local/hook-samples';
import { SOURCE_ADAPTERS } from '../../lib/crm/sources';
import { tenantPk } from '../../lib/store/keys';
import { WebhookSourceRepository } from '../../lib/store/webhook-sources';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { bearer, invoke, seedTenant, startTestEnv, testSealer, useEnvForHandlers, type TestEnv } from '../support/env';
import { editJson, invokeEvent, variant } from '../support/hooks';

let env: TestEnv;
let create: typeof import('../../functions/calls-create').handler;
let hooks: typeof import('../../functions/hooks').handler;
let key: string;

/** 300 ms before a minute boundary, on a day far from any real test run. */
const T0 = Date.parse('2031-03-12T10:00:59.700Z');
const at = (ms: number) => vi.setSystemTime(ms);

const dials = (callId: string | undefined) => env.sim.requests().filter((r) => r.query.c2c_call_id === callId).length;
const dialsTo = (legB: string) => env.sim.requests().filter((r) => r.path.includes(`/${legB}`)).length;

let leads = 0;
/** A request for a lead of its own, so that tests never dedupe against each other. */
const newRequest = () => ({ agent: { crmUserId: 'u-17' }, to: '+44 7766 889900', lead: { id: `keyless-${++leads}` } });
const place = (body: unknown, apiKey = key) => invoke(create, { method: 'POST', route: '/v1/calls', headers: bearer(apiKey), body });

beforeAll(async () => {
  env = await startTestEnv();
  useEnvForHandlers(env);
  ({ handler: create } = await import('../../functions/calls-create'));
  ({ handler: hooks } = await import('../../functions/hooks'));
  ({ key } = await seedTenant(env, { tenantId: 'keyless' }));
  vi.useFakeTimers({ toFake: ['Date'] });
});

afterEach(() => {
  env.sim.clearFault();
});

afterAll(async () => {
  vi.useRealTimers();
  await env?.stop();
});

describe('POST /v1/calls without Idempotency-Key', () => {
  it('an identical request 0.6 s later, across a minute boundary, is the same call: one dial', async () => {
    const body = newRequest();
    at(T0);
    const first = await place(body);
    at(T0 + 600);
    const second = await place(body);
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body.duplicate).toBe(true);
    expect(second.body.callId).toBe(first.body.callId);
    expect(dials(first.body.callId)).toBe(1);
  });

  it('the window runs from the first request: a copy just inside it is a duplicate, one just past it a new call', async () => {
    const body = newRequest();
    const start = T0 + 3_600_000;
    at(start);
    const first = await place(body);
    at(start + 59_900);
    const inside = await place(body);
    at(start + 60_000);
    const past = await place(body);
    expect(first.status).toBe(201);
    expect(inside.body.callId).toBe(first.body.callId);
    expect(inside.body.duplicate).toBe(true);
    expect(past.status).toBe(201);
    expect(past.body.callId).not.toBe(first.body.callId);
    expect(dials(first.body.callId) + dials(past.body.callId)).toBe(2);
  });

  it('ten concurrent identical requests dial once and all name the same call', async () => {
    const body = newRequest();
    at(T0 + 2 * 3_600_000);
    const answers = await Promise.all(Array.from({ length: 10 }, () => place(body)));
    const ids = new Set(answers.map((a) => a.body.callId));
    expect(ids.size).toBe(1);
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.every((a) => [200, 201, 202].includes(a.status))).toBe(true);
    expect(dials([...ids][0] as string)).toBe(1);
  });

  it('another lead, agent or number is another call within the window', async () => {
    const body = newRequest();
    at(T0 + 3 * 3_600_000);
    const a = await place(body);
    const b = await place({ ...body, lead: { id: `${body.lead.id}-other` } });
    const c = await place({ ...body, agent: { crmUserId: 'u-18' } });
    expect([a.status, b.status, c.status]).toEqual([201, 201, 201]);
    expect(new Set([a.body.callId, b.body.callId, c.body.callId]).size).toBe(3);
  });
});

describe('HubSpot deliveries (no delivery id)', () => {
  beforeAll(async () => {
    await seedTenant(env, { tenantId: SAMPLE_TENANT_ID }, { agents: SAMPLE_AGENTS.map((a) => ({ ...a })) });
    const sources = new WebhookSourceRepository(env.table, testSealer(), SOURCE_ADAPTERS);
    await sources.addSecret(SAMPLE_TENANT_ID, 'hubspot', SOURCE_ADAPTERS.hubspot.secrets.toStored(SAMPLE_SECRETS.hubspot));
  });

  /** A HubSpot workflow delivery for lead `n`, signed at `signedAt`. */
  const delivery = (n: string, signedAt: number) => resignSample(variant('hubspot', 'valid', n), 'hubspot', 'valid', signedAt);
  const sameContent = (event: ReturnType<typeof delivery>, signedAt: number) =>
    resignSample(
      editJson(event, () => undefined),
      'hubspot',
      'valid',
      signedAt,
    );

  it('the same signed request replayed 0.6 s later in the next minute dials once', async () => {
    const start = T0 + 4 * 3_600_000;
    at(start);
    const event = delivery('replay', start);
    const first = await invokeEvent(hooks, event);
    at(start + 600);
    const replay = await invokeEvent(hooks, event);
    expect(first.status).toBe(201);
    expect(replay.status).toBe(200);
    expect(replay.body.callId).toBe(first.body.callId);
    expect(dials(first.body.callId)).toBe(1);
  });

  it('a double enrolment is one call, and a copy of the second delivery stays a duplicate after the window closed', async () => {
    const start = T0 + 5 * 3_600_000;
    const window = SOURCE_ADAPTERS.hubspot.keylessWindowSec * 1000;
    at(start);
    const enrolment = delivery('double', start);
    const first = await invokeEvent(hooks, enrolment);
    at(start + 10_000);
    const second = sameContent(enrolment, start + 10_000);
    const again = await invokeEvent(hooks, second);
    expect(again.body.callId).toBe(first.body.callId);
    // The window of the first enrolment has closed; the second one's signature is still valid: a replay
    // of it must not ring the lead again.
    at(start + window + 1_000);
    const replayed = await invokeEvent(hooks, second);
    expect(replayed.status).toBe(200);
    expect(replayed.body.callId).toBe(first.body.callId);
    expect(dials(first.body.callId)).toBe(1);
    // A new enrolment (a new signature) after the window is a new call.
    const later = await invokeEvent(hooks, sameContent(enrolment, start + window + 1_000));
    expect(later.status).toBe(201);
    expect(later.body.callId).not.toBe(first.body.callId);
  });
});

describe('the tenant per-second cap counts every request', () => {
  it('refused requests past the cap are 429 and write nothing', async () => {
    const { key: capped } = await seedTenant(env, {
      tenantId: 'refusals',
      policy: { caps: { perDestination: { max: 100, windowSec: 900 }, perAgentPerMinute: 100, perTenantPerSecond: 5 } },
    });
    at(T0 + 6 * 3_600_000);
    // Invalid numbers: refused for good, each under a key of its own (nothing dedupes them).
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        invoke(create, {
          method: 'POST',
          route: '/v1/calls',
          headers: { ...bearer(capped), 'idempotency-key': `junk-${i}` },
          body: { agent: { crmUserId: 'u-17' }, to: '+44 12' },
        }),
      ),
    );
    expect(answers.filter((a) => a.status === 422)).toHaveLength(5);
    const limited = answers.filter((a) => a.status === 429);
    expect(limited).toHaveLength(25);
    expect(limited.every((a) => a.body.code === 'tenant_rate_limited' && a.headers['retry-after'] === '1')).toBe(true);
    const stored = await env.table.doc.send(
      new QueryCommand({
        TableName: env.table.name,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :call)',
        ExpressionAttributeValues: { ':pk': tenantPk('refusals'), ':call': 'CALL#' },
      }),
    );
    expect(stored.Items).toHaveLength(5);
    // Copies of one request count once: a replay of an admitted key in the same second is not refused.
    const replay = await invoke(create, {
      method: 'POST',
      route: '/v1/calls',
      headers: {
        ...bearer(capped),
        'idempotency-key': answers.findIndex((a) => a.status === 422) >= 0 ? `junk-${answers.findIndex((a) => a.status === 422)}` : 'none',
      },
      body: { agent: { crmUserId: 'u-17' }, to: '+44 12' },
    });
    expect(replay.status).toBe(422);
    expect(dialsTo('4412')).toBe(0);
  });
});
