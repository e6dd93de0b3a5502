/**
 * POST /v1/hooks/{source}/{tenantId} through the real handler, on dynalite and the PBX simulator,
 * fed with the sample events of events/hooks (re-signed at the current time).
 */
import { createHmac } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  FORGED_SECRETS,
  loadSample,
  resignSample,
  retargetSample,
  SAMPLE_AGENTS,
  SAMPLE_SECRETS,
  SAMPLE_TENANT_ID,
  SOURCE_SAMPLES,
} from '../../local/hook-samples';
import { PlaceCall, type PlaceCallInput } from '../../lib/calls/place-call';
import { SOURCE_ADAPTERS, type WebhookSource, WEBHOOK_SOURCES } from '../../lib/crm/sources';
import { WebhookSourceRepository } from '../../lib/store/webhook-sources';
import { present, type ApiBody } from '../support/api-body';
import { seedTenant, startTestEnv, testSealer, useEnvForHandlers, type TestEnv } from '../support/env';
import { midWindowClock, editJson, invokeEvent, signedVariant, variant, withBody } from '../support/hooks';

let env: TestEnv;
let hooks: typeof import('../../functions/hooks').handler;
let logger: typeof import('../../lib/observability/logger').logger;
let sources: WebhookSourceRepository;

/** Each source's test facts: its secrets, where its sample holds the number, whether its scheme signs the body. */
const samplesOf = (source: WebhookSource) => SOURCE_SAMPLES[source];
/** A second live secret of the sample tenant, as during a rotation. */
const ROTATED = (source: WebhookSource) => samplesOf(source).rotatedSecret;
/** The secrets of another tenant. */
const OTHER = Object.fromEntries(WEBHOOK_SOURCES.map((s) => [s, samplesOf(s).otherTenantSecret])) as Record<WebhookSource, string>;
const SIGNS_BODY = (source: WebhookSource) => samplesOf(source).signsBody;
const HAS_TIMESTAMP = (source: WebhookSource) => samplesOf(source).signsTimestamp;

async function configure(tenantId: string, source: WebhookSource, ...secrets: string[]) {
  for (const secret of secrets) await sources.addSecret(tenantId, source, SOURCE_ADAPTERS[source].secrets.toStored(secret));
}

let seq = 0;
const next = () => `t${Date.now().toString(36)}${++seq}`;

beforeAll(async () => {
  env = await startTestEnv();
  useEnvForHandlers(env);
  ({ handler: hooks } = await import('../../functions/hooks'));
  ({ logger } = await import('../../lib/observability/logger'));
  sources = new WebhookSourceRepository(env.table, testSealer(), SOURCE_ADAPTERS);
  await seedTenant(env, { tenantId: SAMPLE_TENANT_ID }, { agents: SAMPLE_AGENTS.map((a) => ({ ...a })) });
  await seedTenant(env, { tenantId: 'other' }, { agents: SAMPLE_AGENTS.map((a) => ({ ...a })) });
  await seedTenant(env, { tenantId: 'nosecret' });
  for (const source of WEBHOOK_SOURCES) {
    await configure(SAMPLE_TENANT_ID, source, SAMPLE_SECRETS[source], ROTATED(source));
    await configure('other', source, OTHER[source]);
  }
});

afterAll(async () => {
  await env?.stop();
});

afterEach(() => {
  vi.useRealTimers();
});

beforeEach(() => {
  env.sim.clearFault();
  env.sim.clearRequests();
});

/**
 * Declares a test only for the sources whose scheme it applies to: a scheme with no timestamp has no stale-timestamp
 * case. Nothing is declared (rather than declared and skipped) for the others.
 */
const itWhen = (applies: boolean): typeof it => (applies ? it : ((() => undefined) as unknown as typeof it));

describe.each(WEBHOOK_SOURCES)('source %s', (source) => {
  it('a valid delivery places exactly one call; its replay places none', async () => {
    // Without a delivery id the replay is known by the keyless window only: hold the clock mid-window.
    if (SOURCE_ADAPTERS[source].identity.kind === 'signature') midWindowClock();
    const unsigned = variant(source, 'valid', next());
    const first = await invokeEvent(hooks, resignSample(unsigned, source, 'valid', Date.now()));
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ state: 'dialing', source, duplicate: false });
    expect(env.sim.requests()).toHaveLength(1);

    // The sender's retry: the same delivery, signed again at its own (later) time.
    const replay = await invokeEvent(hooks, resignSample(unsigned, source, 'valid', Date.now() + 1_000));
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ callId: first.body.callId, duplicate: true });
    expect(env.sim.requests()).toHaveLength(1);
  });

  it('the committed valid sample, re-signed now, dials the mapped agent and number', async () => {
    const res = await invokeEvent(hooks, resignSample(loadSample(source, 'valid'), source, 'valid', Date.now()));
    expect([200, 201]).toContain(res.status);
    const dial = env.sim.requests()[0] ?? null;
    if (res.status === 201) expect(dial).toMatchObject({ legA: res.body.agent?.extension, legB: res.body.legB });
    expect(res.body.to).toMatch(/^\+44776688990\d$/);
  });

  it('a delivery signed with either of two live secrets is accepted', async () => {
    const a = await invokeEvent(hooks, signedVariant(source, 'valid', next(), SAMPLE_SECRETS[source]));
    const b = await invokeEvent(hooks, signedVariant(source, 'valid', next(), ROTATED(source)));
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(env.sim.requests()).toHaveLength(2);
  });

  it('a forged signature is answered 401, and nothing is sent to the PBX', async () => {
    const res = await invokeEvent(hooks, resignSample(loadSample(source, 'forged-signature'), source, 'forged-signature', Date.now()));
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 'unauthorized', detail: 'The webhook could not be authenticated.' });
    expect(env.sim.requests()).toHaveLength(0);
  });

  itWhen(HAS_TIMESTAMP(source))('a stale timestamp is answered 401, and nothing is sent', async () => {
    const res = await invokeEvent(hooks, resignSample(loadSample(source, 'stale-timestamp'), source, 'stale-timestamp', Date.now()));
    expect(res.status).toBe(401);
    expect(env.sim.requests()).toHaveLength(0);
  });

  itWhen(HAS_TIMESTAMP(source))('the committed samples, with their fixed 2026 timestamp, are refused as stale', async () => {
    const res = await invokeEvent(hooks, loadSample(source, 'valid'));
    expect(res.status).toBe(401);
    expect(env.sim.requests()).toHaveLength(0);
  });

  it("another tenant's secret is answered 401, and nothing is sent", async () => {
    const res = await invokeEvent(hooks, signedVariant(source, 'valid', next(), OTHER[source]));
    expect(res.status).toBe(401);
    // The same secret on its own tenant's URL is fine: the secret is bound to the tenant, not global.
    const own = await invokeEvent(
      hooks,
      resignSample(retargetSample(variant(source, 'valid', next()), 'other'), source, 'valid', Date.now(), OTHER[source]),
    );
    expect(own.status).toBe(201);
    expect(env.sim.requests()).toHaveLength(1);
  });

  itWhen(SIGNS_BODY(source))('a body changed by one byte after signing is answered 401, and nothing is sent', async () => {
    const signed = signedVariant(source, 'valid', next());
    const body = signed.body!;
    const at = body.lastIndexOf('9');
    const tampered = withBody(signed, `${body.slice(0, at)}8${body.slice(at + 1)}`);
    const res = await invokeEvent(hooks, tampered);
    expect(res.status).toBe(401);
    expect(env.sim.requests()).toHaveLength(0);
  });

  itWhen(!SIGNS_BODY(source))(
    'authenticates the sender by its credentials only: the scheme signs no body, so a changed body is not detected',
    async () => {
      const signed = signedVariant(source, 'valid', next());
      const res = await invokeEvent(hooks, withBody(signed, signed.body!.replace('889902', '889912').replace('889903', '889913')));
      expect(res.status).toBe(201);
    },
  );

  it('a payload missing a mapped field is answered 422 naming the field, and nothing is sent', async () => {
    const res = await invokeEvent(hooks, resignSample(loadSample(source, 'missing-field'), source, 'missing-field', Date.now()));
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.body.code).toBe('mapping_failed');
    expect(res.body.errors).toEqual([expect.objectContaining({ path: samplesOf(source).numberPath })]);
    expect(env.sim.requests()).toHaveLength(0);
  });
});

describe('refused before any check of a secret', () => {
  it('an unknown source is answered 404', async () => {
    const event = signedVariant('token', 'valid', next());
    const res = await invokeEvent(hooks, { ...event, pathParameters: { source: 'zapier', tenantId: SAMPLE_TENANT_ID } });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('unknown_source');
  });

  it('an unknown tenant, a tenant without a secret for the source and a forgery all get the same 401', async () => {
    const forged = await invokeEvent(
      hooks,
      resignSample(loadSample('standard', 'forged-signature'), 'standard', 'forged-signature', Date.now()),
    );
    const unknownTenant = await invokeEvent(
      hooks,
      resignSample(retargetSample(loadSample('standard', 'valid'), 'nobody'), 'standard', 'valid', Date.now()),
    );
    const noSecret = await invokeEvent(
      hooks,
      resignSample(retargetSample(loadSample('standard', 'valid'), 'nosecret'), 'standard', 'valid', Date.now()),
    );
    const malformedTenant = await invokeEvent(
      hooks,
      resignSample(retargetSample(loadSample('standard', 'valid'), 'NO#PE'), 'standard', 'valid', Date.now()),
    );
    const strip = (body: ApiBody) => ({ ...body, requestId: undefined });
    for (const res of [unknownTenant, noSecret, malformedTenant]) {
      expect(res.status).toBe(401);
      expect(strip(res.body)).toEqual(strip(forged.body));
    }
    expect(env.sim.requests()).toHaveLength(0);
  });

  it('a removed secret stops working at once (the end of a rotation)', async () => {
    await sources.addSecret('other', 'token', SOURCE_ADAPTERS.token.secrets.toStored('c2ct_short-lived-rotation-token-0000000'));
    const sign = () =>
      resignSample(
        retargetSample(variant('token', 'valid', next()), 'other'),
        'token',
        'valid',
        Date.now(),
        'c2ct_short-lived-rotation-token-0000000',
      );
    expect((await invokeEvent(hooks, sign())).status).toBe(201);
    const config = (await sources.get('other', 'token'))!;
    const secretId = config.secrets.find((s) => s.hint.endsWith('0000'))!.secretId;
    await sources.removeSecret('other', 'token', secretId);
    expect((await invokeEvent(hooks, sign())).status).toBe(401);
    expect(env.sim.requests()).toHaveLength(1);
  });
});

describe("answers that fit each sender's retry rule", () => {
  /** A delivery naming an agent the tenant does not have: a permanent refusal. */
  const unknownAgent = (source: WebhookSource) => {
    const event = variant(source, 'valid', next());
    // Each sender names its agent in its own field.
    const edited = editJson(event, (body: never) => SOURCE_SAMPLES[source].unknownAgent(body));
    return resignSample(edited, source, 'valid', Date.now());
  };

  it.each(WEBHOOK_SOURCES.filter((source) => SOURCE_ADAPTERS[source].defaultRefusalStatus === 200))(
    '%s: a permanent refusal is answered 200 with the rejected call, so the sender stops retrying; its replay too',
    async (source) => {
      const event = unknownAgent(source);
      const res = await invokeEvent(hooks, event);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ state: 'rejected', reason: 'agent_not_found' });
      expect(res.headers['x-c2c-refusal']).toBe('agent_not_found');
      const replay = await invokeEvent(hooks, event);
      expect(replay.status).toBe(200);
      expect(replay.body).toMatchObject({ callId: res.body.callId, state: 'rejected', duplicate: true });
      expect(env.sim.requests()).toHaveLength(0);
    },
  );

  it('hubspot: a permanent refusal is answered 422 (HubSpot workflows never retry a 4xx but 429)', async () => {
    const res = await invokeEvent(hooks, unknownAgent('hubspot'));
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code: 'agent_not_found', call: { state: 'rejected' } });
    expect(env.sim.requests()).toHaveLength(0);
  });

  it("a tenant may choose 422 for a source's permanent refusals (e.g. a Salesforce Flow that should take its fault path)", async () => {
    await sources.update('other', 'token', (current) => ({ ...current, refusalStatus: 422 }));
    try {
      const event = editJson(retargetSample(variant('token', 'valid', next()), 'other'), (b: { agent_email: string }) => {
        b.agent_email = 'nobody@example.com';
      });
      const res = await invokeEvent(hooks, resignSample(event, 'token', 'valid', Date.now(), OTHER.token));
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('agent_not_found');
    } finally {
      await sources.update('other', 'token', ({ refusalStatus: _r, ...rest }) => rest);
    }
  });

  it('a transient refusal keeps its status: PBX unreachable is 503 with Retry-After, and the retry dials', async () => {
    await seedTenant(
      env,
      { tenantId: 'pbxdown', pbx: { urlShape: 'click2call', baseUrl: 'http://127.0.0.1:9' } },
      { agents: SAMPLE_AGENTS.map((a) => ({ ...a })) },
    );
    await configure('pbxdown', 'standard', SAMPLE_SECRETS.standard);
    const unsigned = retargetSample(variant('standard', 'valid', next()), 'pbxdown');
    const res = await invokeEvent(hooks, resignSample(unsigned, 'standard', 'valid', Date.now()));
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(env.sim.requests()).toHaveLength(0);

    const tenant = (await env.tenants.get('pbxdown'))!;
    await env.tenants.put({ ...tenant, pbx: { ...tenant.pbx, baseUrl: env.sim.url } });
    const retry = await invokeEvent(hooks, resignSample(unsigned, 'standard', 'valid', Date.now()));
    expect(retry.status).toBe(201);
    expect(env.sim.requests()).toHaveLength(1);
  });

  it('a rate cap is 429 with Retry-After whatever the sender', async () => {
    await seedTenant(
      env,
      {
        tenantId: 'capped',
        policy: { caps: { perDestination: { max: 1, windowSec: 900 }, perAgentPerMinute: 100, perTenantPerSecond: 100 } },
      },
      { agents: SAMPLE_AGENTS.map((a) => ({ ...a })) },
    );
    await configure('capped', 'pipedrive', SAMPLE_SECRETS.pipedrive);
    const send = () =>
      invokeEvent(hooks, resignSample(retargetSample(variant('pipedrive', 'valid', next()), 'capped'), 'pipedrive', 'valid', Date.now()));
    expect((await send()).status).toBe(201);
    const second = await send();
    expect(second.status).toBe(429);
    expect(second.headers['retry-after']).toMatch(/^\d+$/);
    expect(env.sim.requests()).toHaveLength(1);
  });
});

describe('source specifics', () => {
  it('hubspot: verifies against the public URL set for the source, which wins over the request Host', async () => {
    await seedTenant(env, { tenantId: 'hs-domain' }, { agents: SAMPLE_AGENTS.map((a) => ({ ...a })) });
    await configure('hs-domain', 'hubspot', SAMPLE_SECRETS.hubspot);
    const publicUrl = 'https://calls.example.com/c2c/v1/hooks/hubspot/hs-domain';
    await sources.update('hs-domain', 'hubspot', (current) => ({ ...current, publicUrl }));
    const event = retargetSample(variant('hubspot', 'valid', next()), 'hs-domain');
    // HubSpot signed the URL it called: the custom domain with its base path.
    const signedForPublicUrl = resignSample(
      { ...event, headers: { ...event.headers, host: 'calls.example.com' }, rawPath: '/c2c/v1/hooks/hubspot/hs-domain' },
      'hubspot',
      'valid',
      Date.now(),
    );
    const res = await invokeEvent(hooks, {
      ...signedForPublicUrl,
      headers: { ...signedForPublicUrl.headers, host: event.headers.host! },
      rawPath: event.rawPath,
    });
    expect(res.status).toBe(201);
    // Signed for the API Gateway URL instead: not what was configured in HubSpot, refused.
    const wrongUrl = await invokeEvent(hooks, resignSample(event, 'hubspot', 'valid', Date.now()));
    expect(wrongUrl.status).toBe(401);
  });

  /** HubSpot's v3 signature, computed here from its documented recipe rather than with the code under test. */
  const hubspotV3 = (event: APIGatewayProxyEventV2, signedUri: string, atMs = Date.now()): APIGatewayProxyEventV2 => {
    const signature = createHmac('sha256', SAMPLE_SECRETS.hubspot)
      .update(`POST${signedUri}${event.body ?? ''}${atMs}`, 'utf8')
      .digest('base64');
    return { ...event, headers: { ...event.headers, 'x-hubspot-request-timestamp': String(atMs), 'x-hubspot-signature-v3': signature } };
  };
  const withQuery = (event: APIGatewayProxyEventV2, rawQueryString: string): APIGatewayProxyEventV2 => ({
    ...event,
    rawQueryString,
    queryStringParameters: Object.fromEntries(new URLSearchParams(rawQueryString)),
  });

  it('hubspot: a workflow URL with a query string verifies over the full URL, query included', async () => {
    const event = withQuery(variant('hubspot', 'valid', next()), 'wf=42');
    const fullUrl = `https://${event.headers.host}${event.rawPath}?wf=42`;
    expect((await invokeEvent(hooks, hubspotV3(event, fullUrl))).status).toBe(201);
    // The query is covered by the signature: one signed without it, or with another, is refused.
    const withoutQuery = `https://${event.headers.host}${event.rawPath}`;
    expect((await invokeEvent(hooks, hubspotV3(withQuery(variant('hubspot', 'valid', next()), 'wf=42'), withoutQuery))).status).toBe(401);
    expect((await invokeEvent(hooks, hubspotV3(withQuery(variant('hubspot', 'valid', next()), 'wf=43'), fullUrl))).status).toBe(401);
    expect(env.sim.requests()).toHaveLength(1);
  });

  it('hubspot: with a public URL set, the signed URL is the public URL plus the query the request arrived with', async () => {
    await seedTenant(env, { tenantId: 'hs-query' }, { agents: SAMPLE_AGENTS.map((a) => ({ ...a })) });
    await configure('hs-query', 'hubspot', SAMPLE_SECRETS.hubspot);
    const publicUrl = 'https://calls.example.com/c2c/v1/hooks/hubspot/hs-query';
    await sources.update('hs-query', 'hubspot', (current) => ({ ...current, publicUrl }));
    const delivery = () => withQuery(retargetSample(variant('hubspot', 'valid', next()), 'hs-query'), 'wf=42&step=call');
    expect((await invokeEvent(hooks, hubspotV3(delivery(), `${publicUrl}?wf=42&step=call`))).status).toBe(201);
    expect((await invokeEvent(hooks, hubspotV3(delivery(), publicUrl))).status).toBe(401);
    expect(env.sim.requests()).toHaveLength(1);
  });

  it('hubspot: escapes in the query are decoded as HubSpot documents before the URL is signed', async () => {
    // HubSpot decodes %3A %2F %3F %40 %21 %24 %27 %28 %29 %2A %2C %3B in the URI it signs, and nothing else (%20 stays).
    const event = withQuery(variant('hubspot', 'valid', next()), 'wf=a%3Ab%2Cc%20d');
    const res = await invokeEvent(hooks, hubspotV3(event, `https://${event.headers.host}${event.rawPath}?wf=a:b,c%20d`));
    expect(res.status).toBe(201);
  });

  it('pipedrive: a 401 challenges for Basic credentials; other sources send no Basic challenge', async () => {
    const refused = await invokeEvent(hooks, signedVariant('pipedrive', 'valid', next(), FORGED_SECRETS.pipedrive));
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toBe('Basic realm="c2c webhooks", charset="UTF-8"');
    // No credentials at all (a client waiting to be challenged) and an unknown tenant get the same challenge.
    const bare = variant('pipedrive', 'valid', next());
    const { authorization: _a, ...noCredentials } = bare.headers;
    expect((await invokeEvent(hooks, { ...bare, headers: noCredentials })).headers['www-authenticate']).toMatch(/^Basic realm=/);
    const stranger = await invokeEvent(
      hooks,
      resignSample(retargetSample(variant('pipedrive', 'valid', next()), 'no-such-tenant'), 'pipedrive', 'valid', Date.now()),
    );
    expect(stranger.status).toBe(401);
    expect(stranger.headers['www-authenticate']).toMatch(/^Basic realm=/);
    for (const source of ['standard', 'hubspot', 'token'] as const) {
      const res = await invokeEvent(hooks, signedVariant(source, 'valid', next(), FORGED_SECRETS[source]));
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBeUndefined();
    }
    expect(env.sim.requests()).toHaveLength(0);
  });

  it('pipedrive: a webhooks v1 payload is refused with 422 (its meta.id is the object id, not a delivery id)', async () => {
    const event = editJson(variant('pipedrive', 'valid', next()), (b: { meta: unknown; current?: unknown; data?: unknown }) => {
      b.meta = { v: 1, action: 'added', object: 'person', id: 4242, company_id: 13279851, user_id: 23865811 };
      b.current = b.data;
      delete b.data;
    });
    const res = await invokeEvent(hooks, resignSample(event, 'pipedrive', 'valid', Date.now()));
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('unsupported_payload');
    expect(env.sim.requests()).toHaveLength(0);
  });

  it('token: accepts a form-encoded body (Zoho) and the token as a bearer', async () => {
    const signed = signedVariant('token', 'valid', next());
    const { 'x-c2c-token': token, ...headers } = signed.headers;
    const form = new URLSearchParams({ agent_email: 'alice@example.com', phone: '07766 889904', lead_id: `zoho-${next()}` }).toString();
    const res = await invokeEvent(hooks, {
      ...withBody(signed, form),
      headers: {
        ...headers,
        'content-type': 'application/x-www-form-urlencoded',
        'content-length': String(form.length),
        authorization: `Bearer ${token}`,
      },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ to: '+447766889904', agent: { email: 'alice@example.com', extension: '1000' } });
  });

  it('a mapping override per tenant: lead and custom data from other paths, the agent by extension', async () => {
    await sources.update('other', 'standard', (current) => ({
      ...current,
      mapping: {
        agent: { by: 'extension', path: ['data.ext'] },
        lead: ['data.deal'],
        customData: { campaign: ['data.campaign', 'type'] },
      },
    }));
    const event = editJson(retargetSample(variant('standard', 'valid', next()), 'other'), (b: { data: unknown }) => {
      b.data = { ext: 1001, to: '+44 7766 889905', deal: `deal-${next()}`, campaign: { value: 'spring' } };
    });
    const res = await invokeEvent(hooks, resignSample(event, 'standard', 'valid', Date.now(), OTHER.standard));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ agent: { extension: '1001' }, customData: { campaign: 'spring' } });
    expect(env.sim.requests()[0]?.query).toMatchObject({ campaign: 'spring', leadid: present(res.body.lead?.id, 'lead.id') });
  });
});

describe('a source that calls a team', () => {
  const TEAM = 'inbound-sales';
  /** Watches PlaceCall, calling through: what the hooks handler handed it is the mapped request and the source's options. */
  let spy: ReturnType<typeof watchPlaceCall>;
  const watchPlaceCall = () => vi.spyOn(PlaceCall.prototype, 'execute');
  const placed = (): PlaceCallInput[] => spy.mock.calls.map(([input]) => input);

  beforeAll(async () => {
    await seedTenant(env, { tenantId: 'teams' }, { agents: [] });
    // Two members of the team, and an agent outside it that the payload's owner id names.
    await env.agents.put('teams', 'm-1', { extension: '1001', teams: [TEAM] });
    await env.agents.put('teams', 'm-2', { extension: '1002', teams: [TEAM, 'renewals'] });
    await env.agents.put('teams', '52550153', { extension: '1000' });
    for (const source of WEBHOOK_SOURCES) await configure('teams', source, SAMPLE_SECRETS[source]);
  });

  beforeEach(() => {
    spy = watchPlaceCall();
  });

  afterEach(async () => {
    spy.mockRestore();
    for (const source of WEBHOOK_SOURCES) await sources.update('teams', source, (current) => ({ ...current, mapping: {} }));
  });

  const delivery = (source: WebhookSource, edit?: (body: never) => void) => {
    const event = retargetSample(variant(source, 'valid', next()), 'teams');
    return resignSample(edit ? editJson(event, edit) : event, source, 'valid', Date.now());
  };

  it("hubspot with a constant team: the call goes to a free member of the team, not to the record's owner", async () => {
    await sources.update('teams', 'hubspot', (current) => ({ ...current, mapping: { team: TEAM, maxWaitSec: 90 } }));
    const res = await invokeEvent(hooks, delivery('hubspot'));
    expect(placed()).toHaveLength(1);
    expect(placed()[0]!.request).toMatchObject({ team: TEAM, maxWaitSec: 90, to: '+44 7766 889901' });
    expect(placed()[0]!.request).not.toHaveProperty('agent');
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ team: TEAM, source: 'hubspot', state: 'dialing' });
    expect(['1001', '1002']).toContain(res.body.agent?.extension);
    expect(env.sim.requests()).toEqual([expect.objectContaining({ legA: res.body.agent?.extension })]);
  });

  it('standard with the team read from the payload: the request names that team', async () => {
    await sources.update('teams', 'standard', (current) => ({ ...current, mapping: { agent: { by: 'team', path: ['data.team'] } } }));
    const res = await invokeEvent(
      hooks,
      delivery('standard', (b: { data: { team?: string } }) => {
        b.data.team = 'renewals';
      }),
    );
    expect(placed().map((p) => p.request.team)).toEqual(['renewals']);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ team: 'renewals', agent: { extension: '1002' } });
  });

  it('a payload value that is not a team name is 422 mapping_failed naming the field; nothing is placed', async () => {
    await sources.update('teams', 'token', (current) => ({
      ...current,
      mapping: { agent: { by: 'team', path: ['team'] } },
    }));
    const res = await invokeEvent(
      hooks,
      delivery('token', (b: { team?: string }) => {
        b.team = 'Inbound Sales!';
      }),
    );
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.body.code).toBe('mapping_failed');
    expect(res.body.errors).toEqual([expect.objectContaining({ path: 'team' })]);
    expect(placed()).toHaveLength(0);
    expect(env.sim.requests()).toHaveLength(0);
  });

  it('a team without members is refused 422 team_not_found (HubSpot), and nothing is dialled', async () => {
    await sources.update('teams', 'hubspot', (current) => ({ ...current, mapping: { team: 'nobody-here' } }));
    const res = await invokeEvent(hooks, delivery('hubspot'));
    expect(placed().map((p) => p.request.team)).toEqual(['nobody-here']);
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('team_not_found');
    expect(env.sim.requests()).toHaveLength(0);
  });

  it("the source's rule outside calling hours overrides the tenant's: defer schedules, the tenant's refuse refuses", async () => {
    // Calling hours that are closed in London now (the samples call +44 numbers): an hour starting two hours ahead.
    const hour = Number(
      new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: '2-digit', hourCycle: 'h23' }).format(new Date()),
    );
    const hhmm = (h: number) => `${String(h % 24).padStart(2, '0')}:00`;
    await seedTenant(
      env,
      {
        tenantId: 'after-hours',
        policy: {
          callingHours: { start: hhmm(hour + 2), end: hhmm(hour + 3), days: [0, 1, 2, 3, 4, 5, 6] },
          caps: { perDestination: { max: 10_000, windowSec: 900 }, perAgentPerMinute: 10_000, perTenantPerSecond: 10_000 },
        },
      },
      { agents: SAMPLE_AGENTS.map((a) => ({ ...a })) },
    );
    for (const source of ['standard', 'token'] as const) await configure('after-hours', source, SAMPLE_SECRETS[source]);
    await sources.update('after-hours', 'standard', (current) => ({ ...current, outsideCallingHours: 'defer' }));
    const send = (source: WebhookSource) =>
      invokeEvent(hooks, resignSample(retargetSample(variant(source, 'valid', next()), 'after-hours'), source, 'valid', Date.now()));

    const deferred = await send('standard');
    expect(placed()[0]).toMatchObject({ source: 'standard', outsideCallingHours: 'defer' });
    expect(deferred.status).toBe(202);
    expect(deferred.body).toMatchObject({ state: 'scheduled', schedule: { reason: 'calling_hours' } });

    const refused = await send('token');
    expect(placed()[1]?.outsideCallingHours).toBeUndefined();
    expect(refused.status).toBe(200);
    expect(refused.body).toMatchObject({ state: 'rejected', reason: 'outside_calling_hours' });
    expect(env.sim.requests()).toHaveLength(0);
  });
});

describe('logs', () => {
  it('never carry a secret, a signature, a token or a whole phone number', async () => {
    const lines: string[] = [];
    const capture = (...args: unknown[]) => void lines.push(JSON.stringify(args));
    const spies = [
      vi.spyOn(logger, 'info').mockImplementation(capture),
      vi.spyOn(logger, 'warn').mockImplementation(capture),
      vi.spyOn(logger, 'error').mockImplementation(capture),
    ];
    try {
      const events = WEBHOOK_SOURCES.flatMap((source) => [
        signedVariant(source, 'valid', next()),
        resignSample(loadSample(source, 'forged-signature'), source, 'forged-signature', Date.now()),
      ]);
      for (const event of events) await invokeEvent(hooks, event);
      const text = lines.join('\n');
      expect(lines.length).toBeGreaterThan(4);
      for (const source of WEBHOOK_SOURCES) {
        for (const secret of [SAMPLE_SECRETS[source], FORGED_SECRETS[source], ...SAMPLE_SECRETS[source].split(':').slice(1)])
          expect(text).not.toContain(secret);
      }
      for (const event of events) {
        for (const name of ['webhook-signature', 'x-hubspot-signature-v3', 'authorization', 'x-c2c-token']) {
          const value = event.headers[name];
          if (value) expect(text).not.toContain(value.replace(/^v1,/, '').replace(/^Basic /, ''));
        }
      }
      expect(text).not.toMatch(/7766\s?88990\d/);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });
});

describe('the committed samples', () => {
  it.each(WEBHOOK_SOURCES)('%s: are full HTTP API 2.0 events for the hooks route', (source) => {
    const event = loadSample(source, 'valid');
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /v1/hooks/{source}/{tenantId}',
      rawPath: `/v1/hooks/${source}/${SAMPLE_TENANT_ID}`,
      pathParameters: { source, tenantId: SAMPLE_TENANT_ID },
      requestContext: { http: { method: 'POST' } },
      isBase64Encoded: false,
    });
    expect(() => JSON.parse(event.body!) as unknown).not.toThrow();
  });
});
