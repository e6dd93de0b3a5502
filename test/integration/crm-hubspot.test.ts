import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HUBSPOT_FAKE_TOKEN, READ_SCOPE, startHubSpotFake, type HubSpotFake } from '../../local/crm-fakes/hubspot';
import type { CallState } from '../../lib/model/call';
import type { CrmName, HubSpotConnection } from '../../lib/model/crm-connection';
import type { Tenant } from '../../lib/model/tenant';
import { HUBSPOT_DISPOSITIONS } from '../../lib/notify/transports/hubspot-fields';
import { hubspotTransport, type HubSpotTarget } from '../../lib/notify/transports/hubspot';
import type { DeliveryOutcome, SequencedEvent } from '../../lib/notify/transport';
import type { StoredCall } from '../../lib/store/calls';
import { storedCall } from '../support/calls';

/**
 * The HubSpot transport against the fake HubSpot (local/crm-fakes/hubspot.ts) on real HTTP: what it creates, how it
 * finds what an unknown outcome created, how it updates, and what each of HubSpot's refusals and faults comes to.
 */

let fake: HubSpotFake;
const holds: Array<{ tenantId: string; crm: CrmName; reason: string; at: Date }> = [];
const transport = hubspotTransport({
  timeoutMs: 400,
  outbound: { allowPrivate: true },
  crmConnections: {
    hold: (tenantId, crm, reason, at) => {
      holds.push({ tenantId, crm, reason, at });
      return Promise.resolve();
    },
  },
});
const now = new Date('2026-03-02T10:05:00.000Z');

beforeAll(async () => {
  fake = await startHubSpotFake();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.faults.clear();
  fake.records.splice(0);
  fake.requests.splice(0);
  holds.splice(0);
});

const connection = (overrides: Partial<HubSpotConnection> = {}): HubSpotConnection => ({
  apiUrl: fake.url,
  token: HUBSPOT_FAKE_TOKEN,
  connectedAt: '2026-03-01T00:00:00.000Z',
  ...overrides,
});
const target = (overrides: Partial<HubSpotConnection> = {}): HubSpotTarget => ({ tenantId: 't-hs', connection: connection(overrides) });
const tenant = { tenantId: 't-hs' } as unknown as Tenant;

let seq = 0;
function finalCall(state: CallState, overrides: Partial<StoredCall> = {}): StoredCall {
  seq += 1;
  const ended = '2026-03-02T10:01:00.000Z';
  return storedCall({
    callId: `c_HS${String(seq).padStart(22, '0')}`,
    tenantId: 't-hs',
    state,
    agent: { crmUserId: '501', extension: '1000' },
    lead: { id: '101' },
    events: [
      { at: '2026-03-02T10:00:00.000Z', state: 'accepted' },
      { at: '2026-03-02T10:00:02.000Z', state: 'dialing' },
      { at: ended, state },
    ],
    outcome: {
      answeredAt: state === 'completed' ? '2026-03-02T10:00:10.000Z' : null,
      endedAt: ended,
      durationSec: 58,
      billSec: state === 'completed' ? 50 : 0,
      hangupCause: null,
      hangupClass: null,
      recordingUrl: null,
    },
    ...overrides,
  });
}

const finalEvent = (call: StoredCall): SequencedEvent => ({ ...call.events[call.events.length - 1]!, sequence: call.events.length - 1 });
const deliver = (
  call: StoredCall,
  context: { attempt?: number; remoteId?: string; target?: HubSpotTarget } = {},
): Promise<DeliveryOutcome> =>
  transport.deliver(call, finalEvent(call), {
    tenant,
    target: context.target ?? target(),
    now,
    attempt: context.attempt ?? 1,
    ...(context.remoteId ? { remoteId: context.remoteId } : {}),
  });
const creates = () => fake.requests.filter((r) => r.method === 'POST' && r.path === '/crm/v3/objects/calls');

describe('HubSpot call logging against the fake HubSpot', () => {
  it('20 calls with mixed outcomes: 20 call engagements with the right fields, owner and association', async () => {
    const states: CallState[] = ['completed', 'no_answer', 'busy', 'failed', 'rejected'];
    const calls = Array.from({ length: 20 }, (_, i) => finalCall(states[i % states.length]!));
    const outcomes = [];
    for (const call of calls) outcomes.push(await deliver(call));
    expect(outcomes.every((o) => o.kind === 'delivered')).toBe(true);
    expect(fake.records).toHaveLength(20);
    expect(new Set(outcomes.map((o) => (o.kind === 'delivered' ? o.remoteId : '')))).toEqual(new Set(fake.records.map((r) => r.id)));
    const answered = fake.records[0]!;
    expect(answered.properties).toMatchObject({
      hs_timestamp: '2026-03-02T10:00:02.000Z',
      hs_call_direction: 'OUTBOUND',
      hs_call_status: 'COMPLETED',
      hs_call_disposition: HUBSPOT_DISPOSITIONS.connected,
      hs_call_duration: '50000',
      hs_call_to_number: '+447766889900',
      hubspot_owner_id: '501',
    });
    expect(answered.properties.hs_call_body).toContain(calls[0]!.callId);
    expect(answered.associations).toEqual([{ toId: '101', associationTypeId: 194 }]);
    expect(fake.records.map((r) => r.properties.hs_call_status).slice(0, 5)).toEqual([
      'COMPLETED',
      'NO_ANSWER',
      'BUSY',
      'FAILED',
      'FAILED',
    ]);
  });

  it.each([
    ['company', '201', 182],
    ['deal', '301', 206],
  ] as const)('a %s lead: the call is associated with the %s by HubSpot type %i', async (type, id, typeId) => {
    const call = finalCall('busy', { lead: { id, type } });
    expect(await deliver(call)).toMatchObject({ kind: 'delivered' });
    expect(fake.records[0]!.associations).toEqual([{ toId: id, associationTypeId: typeId }]);
  });

  it.each(['timeout-after-create', 'drop-after-create'] as const)(
    '%s: the next attempt finds the call by our call id and creates none',
    async (fault) => {
      fake.faults.add(fault, { delayMs: 1500 });
      const call = finalCall('completed');
      const first = await deliver(call);
      expect(first.kind).toBe('retry');
      expect(fake.records).toHaveLength(1);
      const second = await deliver(call, { attempt: 2 });
      expect(second).toEqual({ kind: 'delivered', remoteId: fake.records[0]!.id });
      expect(fake.records).toHaveLength(1);
      expect(creates()).toHaveLength(1);
      expect(fake.requests.some((r) => r.path === '/crm/v3/objects/calls/search')).toBe(true);
    },
  );

  it('a 500 creates nothing: it is retried, and the next attempt looks first, then creates the one call', async () => {
    fake.faults.add('500');
    const call = finalCall('no_answer');
    expect(await deliver(call)).toMatchObject({ kind: 'retry', error: expect.stringContaining('HTTP 500') as string });
    expect(fake.records).toHaveLength(0);
    expect(await deliver(call, { attempt: 2 })).toMatchObject({ kind: 'delivered' });
    expect(fake.records).toHaveLength(1);
  });

  it("a 429 is retried no sooner than HubSpot's Retry-After", async () => {
    fake.faults.add('429', { retryAfterSec: 7 });
    const outcome = await deliver(finalCall('busy'));
    expect(outcome).toMatchObject({ kind: 'retry', retryAfterMs: 7000 });
    expect(fake.records).toHaveLength(0);
  });

  it('a refused token (401): held, the connection flagged with HubSpot’s words, the token nowhere in them', async () => {
    const outcome = await deliver(finalCall('completed'), { target: target({ token: 'pat-na1-revoked' }) });
    expect(outcome).toMatchObject({ kind: 'held', error: expect.stringContaining('INVALID_AUTHENTICATION') as string });
    expect(holds).toEqual([{ tenantId: 't-hs', crm: 'hubspot', reason: (outcome as { error: string }).error, at: now }]);
    expect(JSON.stringify(holds)).not.toContain('pat-na1-revoked');
    expect(fake.records).toHaveLength(0);
  });

  it('a token without the write scope (403 MISSING_SCOPES): held and flagged', async () => {
    fake.grant('pat-na1-readonly', [READ_SCOPE]);
    const outcome = await deliver(finalCall('completed'), { target: target({ token: 'pat-na1-readonly' }) });
    expect(outcome).toMatchObject({ kind: 'held', error: expect.stringContaining('MISSING_SCOPES') as string });
    expect(holds).toHaveLength(1);
  });

  it('a held connection answers held at once, without a request', async () => {
    const outcome = await deliver(finalCall('completed'), { target: target({ held: { at: now.toISOString(), reason: 'HTTP 401' } }) });
    expect(outcome.kind).toBe('held');
    expect(fake.requests).toHaveLength(0);
  });

  it('with the kept remote id, a later delivery updates that call (the recording) and creates none', async () => {
    const call = finalCall('completed');
    const created = await deliver(call);
    const remoteId = (created as { remoteId: string }).remoteId;
    const later = { ...call, outcome: { ...call.outcome, recordingUrl: 'https://rec.example/later.mp3' } };
    expect(await deliver(later, { remoteId, attempt: 1 })).toEqual({ kind: 'delivered', remoteId });
    expect(fake.records).toHaveLength(1);
    expect(fake.records[0]!.properties.hs_call_recording_url).toBe('https://rec.example/later.mp3');
    expect(fake.requests.filter((r) => r.method === 'PATCH')).toHaveLength(1);
  });

  it.each([
    ['a contact that does not exist', { lead: { id: '999' } }, 'No contact with id 999'],
    ['an owner that does not exist', { agent: { crmUserId: '777' } }, 'INVALID_OWNER_ID'],
  ] as const)('HubSpot refuses %s: dead-lettered with its words, nothing created', async (_label, overrides, words) => {
    const outcome = await deliver(finalCall('completed', overrides));
    expect(outcome).toMatchObject({ kind: 'dead', error: expect.stringContaining(words) as string });
    expect(fake.records).toHaveLength(0);
  });
});

describe('HubSpot transport: what it wants, where it goes, the doctor’s check', () => {
  const call = finalCall('completed');
  it('wants the final state the tenant logs, of a call with a HubSpot lead', () => {
    const t = target();
    expect(transport.wants(finalEvent(call), call, t)).toBe(true);
    expect(transport.wants({ ...call.events[1]!, sequence: 1 }, call, t)).toBe(false);
    expect(transport.wants(finalEvent(call), call, { ...t, logStates: ['busy'] })).toBe(false);
    expect(transport.wants(finalEvent(call), { ...call, lead: null }, t)).toBe(false);
    expect(transport.wants(finalEvent(call), { ...call, lead: { id: '7', type: 'person' } }, t)).toBe(false);
    const notSent = finalCall('not_sent');
    expect(transport.wants(finalEvent(notSent), notSent, t)).toBe(false);
    expect(transport.wants(finalEvent(notSent), notSent, { ...t, logStates: ['not_sent'] })).toBe(true);
  });

  it('targets a connected tenant (held or not), never one without HubSpot; paced per connection; host only', () => {
    const crm = { hubspot: connection({ held: { at: now.toISOString(), reason: 'x' } }), logStates: ['completed' as const] };
    expect(transport.targetOf({ tenantId: 't-hs', crm } as unknown as Tenant)).toEqual({
      tenantId: 't-hs',
      connection: crm.hubspot,
      logStates: ['completed'],
    });
    expect(transport.targetOf({ tenantId: 't-none' } as unknown as Tenant)).toBeUndefined();
    expect(transport.paceOf?.(target())).toEqual({ key: 'hubspot#t-hs', perSecond: 8 });
    expect(transport.hostOf(target({ apiUrl: 'https://api.hubapi.com/' }))).toBe('api.hubapi.com');
  });

  it('check: the token and both scopes; a missing scope or a refused token named in HubSpot’s words', async () => {
    expect(await transport.check!(target(), now)).toMatchObject({
      ok: true,
      detail: expect.stringContaining('crm.objects.contacts.write') as string,
    });
    fake.grant('pat-na1-readonly', [READ_SCOPE]);
    expect(await transport.check!(target({ token: 'pat-na1-readonly' }), now)).toEqual({
      ok: false,
      detail: 'the private app (account 424242) lacks the scopes crm.objects.contacts.write',
    });
    const refused = await transport.check!(target({ token: 'pat-na1-unknown' }), now);
    expect(refused).toMatchObject({ ok: false, detail: expect.stringContaining('HTTP 401: INVALID_AUTHENTICATION') as string });
  });
});
