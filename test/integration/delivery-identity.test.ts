/**
 * One delivery, however it is spelt, is one call (issue 17, point 1), through the real handlers on dynalite and the
 * PBX simulator. A HubSpot delivery whose signature is re-spelt is refused (401, nothing written, no GET), even
 * after the keyless window has closed; a Standard Webhooks delivery is its `webhook-id`, whatever its signature header
 * lists; a keyless API request is the same call whichever way its number, agent or lead id is written.
 *
 * Time is driven: only `Date` is faked (timers and I/O run for real).
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { signStandardWebhook } from '../../lib/crm/standard-webhooks';
import { SOURCE_ADAPTERS } from '../../lib/crm/sources';
import { WebhookSourceRepository } from '../../lib/store/webhook-sources';
import { resignSample, SAMPLE_AGENTS, SAMPLE_SECRETS, SAMPLE_TENANT_ID } from '../../local/hook-samples';
import { bearer, invoke, seedTenant, startTestEnv, testSealer, useEnvForHandlers, type TestEnv } from '../support/env';
import { editJson, invokeEvent, variant } from '../support/hooks';
import { respellings, withoutPadding } from '../support/respell';
import { tenantItemsBesidesDeliveryLog } from '../support/tenant-items';

let env: TestEnv;
let hooks: typeof import('../../functions/hooks').handler;
let create: typeof import('../../functions/calls-create').handler;

/** A day far from any real test run. */
const T0 = Date.parse('2031-04-02T08:00:00.000Z');
const at = (ms: number) => vi.setSystemTime(ms);
const dials = (callId: string | undefined) => env.sim.requests().filter((r) => r.query.c2c_call_id === callId).length;

const itemsOf = (tenantId: string) => tenantItemsBesidesDeliveryLog(env.table, tenantId);

const withHeader = (event: APIGatewayProxyEventV2, name: string, value: string): APIGatewayProxyEventV2 => ({
  ...event,
  headers: { ...event.headers, [name]: value },
});

beforeAll(async () => {
  env = await startTestEnv();
  useEnvForHandlers(env);
  ({ handler: hooks } = await import('../../functions/hooks'));
  ({ handler: create } = await import('../../functions/calls-create'));
  await seedTenant(env, { tenantId: SAMPLE_TENANT_ID }, { agents: SAMPLE_AGENTS.map((a) => ({ ...a })) });
  const sources = new WebhookSourceRepository(env.table, testSealer(), SOURCE_ADAPTERS);
  for (const source of ['hubspot', 'standard'] as const) {
    await sources.addSecret(SAMPLE_TENANT_ID, source, SOURCE_ADAPTERS[source].secrets.toStored(SAMPLE_SECRETS[source]));
  }
  vi.useFakeTimers({ toFake: ['Date'] });
});

beforeEach(() => {
  env.sim.clearRequests();
});

afterEach(() => {
  env.sim.clearFault();
});

afterAll(async () => {
  vi.useRealTimers();
  await env?.stop();
});

describe('HubSpot: a re-spelt signature is refused', () => {
  const SIGNATURE = 'x-hubspot-signature-v3';
  const delivery = (n: string, signedAt: number) => resignSample(variant('hubspot', 'valid', n), 'hubspot', 'valid', signedAt);
  const sameContent = (event: APIGatewayProxyEventV2, signedAt: number) =>
    resignSample(
      editJson(event, () => undefined),
      'hubspot',
      'valid',
      signedAt,
    );

  it('the seen case: a second enrolment joins the first call; after the window, its copy without `=` is 401 and the PBX got one GET', async () => {
    const start = T0;
    const window = SOURCE_ADAPTERS.hubspot.keylessWindowSec * 1000;
    at(start);
    const enrolment = delivery('respelt', start);
    const first = await invokeEvent(hooks, enrolment);
    expect(first.status).toBe(201);

    at(start + 10_000);
    const second = sameContent(enrolment, start + 10_000);
    const joined = await invokeEvent(hooks, second);
    expect(joined.status).toBe(200);
    expect(joined.body.callId).toBe(first.body.callId);

    // The first enrolment's window has closed; the second one's signature still verifies for 5 minutes.
    at(start + window + 1_000);
    const signature = second.headers[SIGNATURE]!;
    expect(signature.endsWith('=')).toBe(true);
    const before = await itemsOf(SAMPLE_TENANT_ID);
    const respelt = await invokeEvent(hooks, withHeader(second, SIGNATURE, withoutPadding(signature)));
    expect(respelt.status).toBe(401);
    expect(respelt.body.code).toBe('unauthorized');
    expect(await itemsOf(SAMPLE_TENANT_ID)).toBe(before);
    expect(env.sim.requests()).toHaveLength(1);
    expect(dials(first.body.callId)).toBe(1);
  });

  it('every other spelling of a signature is refused too, while the canonical copy stays a duplicate', async () => {
    const start = T0 + 3_600_000;
    at(start);
    const event = delivery('every-spelling', start);
    const first = await invokeEvent(hooks, event);
    expect(first.status).toBe(201);
    at(start + 60_000);
    const signature = event.headers[SIGNATURE]!;
    const before = await itemsOf(SAMPLE_TENANT_ID);
    const answers = await Promise.all(respellings(signature).map((text) => invokeEvent(hooks, withHeader(event, SIGNATURE, text))));
    expect(answers.length).toBeGreaterThanOrEqual(11);
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 401));
    expect(await itemsOf(SAMPLE_TENANT_ID)).toBe(before);
    const copy = await invokeEvent(hooks, event);
    expect(copy.status).toBe(200);
    expect(copy.body.callId).toBe(first.body.callId);
    expect(env.sim.requests()).toHaveLength(1);
    expect(dials(first.body.callId)).toBe(1);
  });
});

describe('Standard Webhooks: the delivery is its webhook-id, whatever the signature header lists', () => {
  const SIGNATURE = 'webhook-signature';
  /** Another sender key: a signature a replayer could add beside the real one. */
  const OTHER_KEY = 'whsec_b3RoZXItdGVuYW50LXNlY3JldC1mb3ItdGVzdHMtMA==';

  it('signatures reordered, a second one added, the same one twice: one call, one GET; re-spelt alone: 401', async () => {
    const start = T0 + 2 * 3_600_000;
    at(start);
    const event = resignSample(variant('standard', 'valid', 'reordered'), 'standard', 'valid', start);
    const first = await invokeEvent(hooks, event);
    expect(first.status).toBe(201);

    at(start + 120_000);
    const mine = event.headers[SIGNATURE]!;
    const other = signStandardWebhook(OTHER_KEY, event.headers['webhook-id']!, Number(event.headers['webhook-timestamp']), event.body!);
    const copies = await Promise.all(
      [`${other} ${mine}`, `${mine} ${other}`, `${mine} ${mine}`, `v1a,AAAA ${mine}`].map((header) =>
        invokeEvent(hooks, withHeader(event, SIGNATURE, header)),
      ),
    );
    expect(copies.map((c) => [c.status, c.body.callId, c.body.duplicate])).toEqual(copies.map(() => [200, first.body.callId, true]));

    const before = await itemsOf(SAMPLE_TENANT_ID);
    const respelt = await invokeEvent(hooks, withHeader(event, SIGNATURE, `v1,${withoutPadding(mine.slice(3))}`));
    expect(respelt.status).toBe(401);
    expect(await itemsOf(SAMPLE_TENANT_ID)).toBe(before);
    expect(env.sim.requests()).toHaveLength(1);
    expect(dials(first.body.callId)).toBe(1);
  });
});

describe('POST /v1/calls without a key: one request however it is written', () => {
  let key: string;
  beforeAll(async () => {
    ({ key } = await seedTenant(
      env,
      { tenantId: 'spelt', defaultCountry: 'FR' },
      { agents: [{ crmUserId: 'u-fr', extension: '1000', email: 'agent@example.fr' }] },
    ));
  });
  const place = (body: unknown) => invoke(create, { method: 'POST', route: '/v1/calls', headers: bearer(key), body });

  it('the number in three formats, the agent by id, e-mail or extension, the lead id padded: one call, one GET', async () => {
    at(T0 + 3 * 3_600_000);
    const first = await place({ agent: { crmUserId: 'u-fr' }, to: '+33 6 12 34 56 78', lead: { id: 'lead-fr-1' } });
    expect(first.status).toBe(201);
    const spellings = [
      { agent: { crmUserId: 'u-fr' }, to: '+33612345678', lead: { id: 'lead-fr-1' } },
      { agent: { crmUserId: 'u-fr' }, to: '06 12 34 56 78', lead: { id: 'lead-fr-1' } },
      { agent: { crmUserId: 'u-fr' }, to: '0033 6 12 34 56 78', lead: { id: 'lead-fr-1' } },
      { agent: { email: 'Agent@Example.fr' }, to: '+33612345678', lead: { id: 'lead-fr-1' } },
      { agent: { extension: '1000' }, to: '06.12.34.56.78', lead: { id: 'lead-fr-1' } },
      { agent: { crmUserId: 'u-fr' }, to: '+33612345678', lead: { id: ' lead-fr-1 ' } },
    ];
    for (const [i, body] of spellings.entries()) {
      at(T0 + 3 * 3_600_000 + 1_000 * (i + 1));
      const again = await place(body);
      expect([i, again.status, again.body.callId, again.body.duplicate]).toEqual([i, 200, first.body.callId, true]);
    }
    expect(env.sim.requests()).toHaveLength(1);
    expect(dials(first.body.callId)).toBe(1);
  });
});
