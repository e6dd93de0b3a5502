import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emptyOutcome, type CallState } from '../../lib/model/call';
import type { CrmSettings } from '../../lib/model/crm-connection';
import { tenantSchema, type Tenant } from '../../lib/model/tenant';
import type { DeliveryContext, SequencedEvent } from '../../lib/notify/transport';
import { registeredTransports } from '../../lib/notify/transports';
import { pipedriveTransport, type PipedriveTarget } from '../../lib/notify/transports/pipedrive';
import type { StoredCall } from '../../lib/store/calls';
import { startPipedriveFake, type PipedriveFake } from '../../local/crm-fakes/pipedrive';
import { storedCall } from '../support/calls';

/**
 * The Pipedrive transport against the stand-in Pipedrive (local/crm-fakes/pipedrive.ts) on real HTTP: one call log
 * per call with the right fields, owner and record; the lookup after an unknown outcome; 401 holds; 429 waits.
 */

const TIMEOUT_MS = 400;
const NOW = new Date('2025-03-04T10:05:00.000Z');
const LEAD_UUID = '0f5d2b8e-3c1a-4e6b-9d7f-2a4c6e8b0d13';

let fake: PipedriveFake;
const holds: Array<{ tenantId: string; crm: string; reason: string }> = [];
const transport = pipedriveTransport({
  timeoutMs: TIMEOUT_MS,
  outbound: { allowPrivate: true },
  crmConnections: {
    hold: (tenantId, crm, reason) => {
      holds.push({ tenantId, crm, reason });
      return Promise.resolve();
    },
  },
});

beforeAll(async () => {
  // Far above the burst limit: this file is about the transport; the fake's own limit is tested beside it.
  fake = await startPipedriveFake({ burstLimit: 1000 });
  fake.seed.user({ id: 17, name: 'Ann Agent', accountSettings: false }, 'token-of-ann');
  for (const id of [301, 302, 303, 304, 305, 306, 307, 308, 309]) fake.seed.person(id);
  fake.seed.organization(501);
  fake.seed.deal(601);
  fake.seed.lead(LEAD_UUID);
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.faults.clear();
  holds.length = 0;
});

function tenant(crm: Partial<NonNullable<CrmSettings['pipedrive']>> = {}, logStates?: CrmSettings['logStates']): Tenant {
  return tenantSchema.parse({
    tenantId: 'pd-tenant',
    name: 'Acme',
    crmId: '1',
    clientId: '2',
    defaultCountry: 'GB',
    pbx: { urlShape: 'click2call', baseUrl: 'https://pbx.example.com' },
    crm: {
      pipedrive: { apiUrl: fake.url, token: fake.token, connectedAt: NOW.toISOString(), ...crm },
      ...(logStates ? { logStates } : {}),
    },
    createdAt: NOW.toISOString(),
    updatedAt: NOW.toISOString(),
  });
}

let n = 0;
function call(overrides: Partial<StoredCall> = {}): StoredCall {
  n += 1;
  return storedCall({
    callId: `pd-call-${n}`,
    tenantId: 'pd-tenant',
    state: 'completed',
    agent: { crmUserId: '1', email: 'admin@example.com' },
    lead: { id: '301' },
    events: [
      { at: '2025-03-04T10:00:00.000Z', state: 'accepted' },
      { at: '2025-03-04T10:00:01.000Z', state: 'dialing' },
      { at: '2025-03-04T10:00:05.000Z', state: 'answered' },
      { at: '2025-03-04T10:01:05.000Z', state: 'completed' },
    ],
    outcome: {
      ...emptyOutcome(),
      answeredAt: '2025-03-04T10:00:05.000Z',
      endedAt: '2025-03-04T10:01:05.000Z',
      durationSec: 64,
      billSec: 60,
    },
    ...overrides,
  });
}

const finalEvent = (c: StoredCall): SequencedEvent => ({ ...c.events.at(-1)!, sequence: c.events.length - 1 });

function context(t: Tenant, extra: Partial<DeliveryContext<PipedriveTarget>> = {}): DeliveryContext<PipedriveTarget> {
  return { tenant: t, target: transport.targetOf(t)!, now: NOW, attempt: 1, ...extra };
}

const deliver = (c: StoredCall, t = tenant(), extra: Partial<DeliveryContext<PipedriveTarget>> = {}) =>
  transport.deliver(c, finalEvent(c), context(t, extra));

const logsOf = (callId: string) => fake.records.filter((r) => r.note?.includes(`c2c-call-id: ${callId}<`));

describe('Pipedrive call logging', () => {
  it('creates one call log with the right fields, owner and person, through the x-api-token header', async () => {
    const c = call({ agent: { crmUserId: '17' } });
    fake.seed.user({ id: 17, name: 'Ann Agent', accountSettings: false });
    const before = fake.requests.length;
    const outcome = await deliver(c);
    const [log] = logsOf(c.callId);
    expect(outcome).toEqual({ kind: 'delivered', remoteId: log!.id });
    expect(log).toMatchObject({
      outcome: 'connected',
      to_phone_number: '+447766889900',
      start_time: '2025-03-04 10:00:01',
      end_time: '2025-03-04 10:01:05',
      duration: '60',
      user_id: 17,
      person_id: 301,
    });
    const sent = fake.requests.slice(before);
    expect(sent).toEqual([expect.objectContaining({ method: 'POST', path: '/api/v1/callLogs', status: 200, auth: 'header' })]);
  });

  it.each([
    [{ id: '501', type: 'organization' as const }, { org_id: 501 }],
    [{ id: '601', type: 'deal' as const }, { deal_id: 601 }],
    [{ id: LEAD_UUID, type: 'lead' as const }, { lead_id: LEAD_UUID }],
  ])('logs on the record the lead names: %o', async (lead, field) => {
    const c = call({ lead: lead });
    expect(await deliver(c)).toMatchObject({ kind: 'delivered' });
    expect(logsOf(c.callId)).toEqual([expect.objectContaining(field)]);
  });

  it.each([['timeout-after-create' as const], ['drop-after-create' as const]])(
    'after %s, the next attempt finds the call log by the call id and creates none',
    async (kind) => {
      const c = call({ lead: { id: '302' } });
      fake.faults.inject(kind === 'timeout-after-create' ? { kind, delayMs: TIMEOUT_MS * 3 } : { kind });
      const first = await deliver(c);
      expect(first.kind).toBe('retry');
      expect(logsOf(c.callId)).toHaveLength(1);
      const posts = fake.requests.filter((r) => r.method === 'POST').length;
      const second = await deliver(c, tenant(), { attempt: 2 });
      expect(second).toEqual({ kind: 'delivered', remoteId: logsOf(c.callId)[0]!.id });
      expect(logsOf(c.callId)).toHaveLength(1);
      expect(fake.requests.filter((r) => r.method === 'POST')).toHaveLength(posts);
      expect(fake.requests.at(-1)).toMatchObject({ method: 'GET', path: '/api/v1/callLogs', auth: 'header' });
    },
  );

  it('after a 500, the next attempt looks, finds nothing and creates exactly one', async () => {
    const c = call({ lead: { id: '303' } });
    fake.faults.inject({ kind: '500' });
    expect(await deliver(c)).toMatchObject({ kind: 'retry', error: expect.stringContaining('HTTP 500') as string });
    expect(logsOf(c.callId)).toHaveLength(0);
    expect(await deliver(c, tenant(), { attempt: 2 })).toMatchObject({ kind: 'delivered' });
    expect(logsOf(c.callId)).toHaveLength(1);
  });

  it('the lookup reads past the first page of the token user’s call logs', async () => {
    const c = call({ lead: { id: '304' } });
    expect(await deliver(c)).toMatchObject({ kind: 'delivered' });
    for (let i = 0; i < 55; i++) expect(await deliver(call({ lead: { id: '309' } }))).toMatchObject({ kind: 'delivered' });
    const again = await deliver(c, tenant(), { attempt: 3 });
    expect(again).toEqual({ kind: 'delivered', remoteId: logsOf(c.callId)[0]!.id });
    expect(logsOf(c.callId)).toHaveLength(1);
  }, 20_000);

  it('a kept remote id: call logs cannot be updated, so nothing is sent and the log stays', async () => {
    const c = call({ lead: { id: '305' } });
    const before = fake.requests.length;
    expect(await deliver(c, tenant(), { remoteId: 'CA-kept', attempt: 2 })).toEqual({ kind: 'delivered', remoteId: 'CA-kept' });
    expect(fake.requests.length).toBe(before);
  });

  it('401: the connection is held, hold() is called with Pipedrive’s words, nothing is created', async () => {
    const c = call({ lead: { id: '306' } });
    const outcome = await deliver(c, tenant({ token: 'revoked-token' }));
    expect(outcome).toEqual({ kind: 'held', error: 'HTTP 401: unauthorized access' });
    expect(holds).toEqual([{ tenantId: 'pd-tenant', crm: 'pipedrive', reason: 'HTTP 401: unauthorized access' }]);
    expect(logsOf(c.callId)).toHaveLength(0);
  });

  it('a held connection answers held at once, without a request', async () => {
    const before = fake.requests.length;
    const outcome = await deliver(call(), tenant({ held: { at: NOW.toISOString(), reason: 'HTTP 401: unauthorized access' } }));
    expect(outcome).toMatchObject({ kind: 'held' });
    expect(fake.requests.length).toBe(before);
  });

  it('403 for a token that may not log for another user holds the connection', async () => {
    const c = call({ agent: { crmUserId: '1' }, lead: { id: '307' } });
    const outcome = await deliver(c, tenant({ token: 'token-of-ann' }));
    expect(outcome).toMatchObject({ kind: 'held', error: expect.stringContaining("HTTP 403: You don't have permission") as string });
    expect(holds).toHaveLength(1);
  });

  it('429 with Retry-After: retry no sooner than it says', async () => {
    fake.faults.inject({ kind: '429', retryAfterSec: 7 });
    const c = call({ lead: { id: '308' } });
    expect(await deliver(c)).toMatchObject({ kind: 'retry', retryAfterMs: 7000, error: 'HTTP 429: Request over limit' });
    expect(logsOf(c.callId)).toHaveLength(0);
  });

  it('a call log Pipedrive refuses (a person that does not exist) is dead, not retried', async () => {
    const outcome = await deliver(call({ lead: { id: '999' } }));
    expect(outcome).toEqual({ kind: 'dead', error: 'HTTP 404: A resource required for this operation was not found.' });
  });

  it('a lead id that cannot be Pipedrive’s is dead without a request', async () => {
    const before = fake.requests.length;
    expect(await deliver(call({ lead: { id: 'not-a-number' } }))).toMatchObject({ kind: 'dead' });
    expect(fake.requests.length).toBe(before);
  });
});

describe('what the Pipedrive transport wants', () => {
  const states: Array<[CallState, boolean]> = [
    ['dialing', false],
    ['answered', false],
    ['completed', true],
    ['no_answer', true],
    ['busy', true],
    ['failed', true],
    ['rejected', true],
    ['not_sent', false],
    ['cancelled', false],
  ];
  it.each(states)('%s by default: %s', (state, wanted) => {
    const c = call({ state, events: [{ at: NOW.toISOString(), state }] });
    expect(transport.wants(finalEvent(c), c, transport.targetOf(tenant())!)).toBe(wanted);
  });
  it('the states a tenant chose, and never a call without a lead', () => {
    const t = tenant({}, ['not_sent', 'completed']);
    const notSent = call({ state: 'not_sent', events: [{ at: NOW.toISOString(), state: 'not_sent' }] });
    const busy = call({ state: 'busy', events: [{ at: NOW.toISOString(), state: 'busy' }] });
    expect(transport.wants(finalEvent(notSent), notSent, transport.targetOf(t)!)).toBe(true);
    expect(transport.wants(finalEvent(busy), busy, transport.targetOf(t)!)).toBe(false);
    const noLead = call({ lead: null });
    expect(transport.wants(finalEvent(noLead), noLead, transport.targetOf(tenant())!)).toBe(false);
  });
  it('is registered, once, beside the webhook', () => {
    const names = registeredTransports({ timeoutMs: TIMEOUT_MS, outbound: { allowPrivate: true } }).map((t) => t.name);
    expect(names.filter((name) => name === 'pipedrive')).toEqual(['pipedrive']);
    expect(names).toContain('webhook');
  });
  it('a tenant without Pipedrive has no target; the pace is the connection’s', () => {
    expect(transport.targetOf({ ...tenant(), crm: undefined })).toBeUndefined();
    expect(transport.paceOf!(transport.targetOf(tenant())!)).toEqual({ key: 'pipedrive#pd-tenant', perSecond: 5 });
    expect(transport.hostOf(transport.targetOf(tenant())!)).toBe(new URL(fake.url).host);
  });
});

describe('the doctor’s check of a Pipedrive connection', () => {
  it('a token with account settings access is ok and named', async () => {
    expect(await transport.check!(transport.targetOf(tenant())!, NOW)).toEqual({
      ok: true,
      detail: 'token of Admin (user 1, Fake Co); may log calls for every agent',
    });
    expect(fake.requests.at(-1)).toMatchObject({ method: 'GET', path: '/api/v1/users/me', auth: 'header' });
  });
  it('a token without it names what is missing', async () => {
    const check = await transport.check!(transport.targetOf(tenant({ token: 'token-of-ann' }))!, NOW);
    expect(check).toMatchObject({ ok: false, detail: expect.stringContaining('has no account settings access') as string });
  });
  it('a refused token, in Pipedrive’s words', async () => {
    expect(await transport.check!(transport.targetOf(tenant({ token: 'nope' }))!, NOW)).toEqual({
      ok: false,
      detail: 'Pipedrive refused the token: HTTP 401: unauthorized access',
    });
  });
});
