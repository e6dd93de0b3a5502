import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emptyOutcome, type CallState } from '../../lib/model/call';
import type { SalesforceConnection } from '../../lib/model/crm-connection';
import type { Tenant } from '../../lib/model/tenant';
import type { DeliveryOutcome, SequencedEvent } from '../../lib/notify/transport';
import { REQUEST_LIMIT_RETRY_MS, salesforceTransport, type SalesforceTarget } from '../../lib/notify/transports/salesforce';
import type { StoredCall } from '../../lib/store/calls';
import { startSalesforceFake, type SalesforceFake } from '../../local/crm-fakes/salesforce';
import { storedCall } from '../support/calls';

/**
 * The Salesforce transport against the stand-in org (local/crm-fakes/salesforce.ts) on real HTTP: the Task it
 * creates, the look-up after an unknown outcome, the update, the token's renewal, the holds and the retries.
 */

let fake: SalesforceFake;
let clock = Date.UTC(2026, 2, 2, 10, 5);
const now = () => new Date(clock);
const holds: Array<{ tenantId: string; crm: string; reason: string }> = [];
const TIMEOUT_MS = 800;
let leadId: string;
let contactId: string;
let accountId: string;
let agentId: string;
let tenantSeq = 0;

beforeAll(async () => {
  fake = await startSalesforceFake({ now: () => clock, tokenTtlMs: 3600_000 });
  leadId = fake.seed.lead();
  contactId = fake.seed.contact();
  accountId = fake.seed.account();
  agentId = fake.seed.user();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.faults.clear();
  fake.org.clientSecret = 'fake-consumer-secret';
  fake.org.apiEnabled = true;
  fake.org.runAsUser = true;
  fake.org.taskCreateable = true;
  fake.org.callCenterFields = true;
  fake.org.apiRequestsPer24h = 15_000;
  holds.length = 0;
});

/** Each test its own tenant, so each its own cached token. */
function tenant(overrides: Partial<SalesforceConnection> = {}): Tenant {
  const connection: SalesforceConnection = {
    instanceUrl: fake.url,
    loginUrl: fake.url,
    clientId: 'fake-consumer-key',
    clientSecret: 'fake-consumer-secret',
    connectedAt: new Date(clock).toISOString(),
    ...overrides,
  };
  return { tenantId: `sf-${++tenantSeq}`, crm: { salesforce: connection } } as unknown as Tenant;
}

function transport() {
  return salesforceTransport({
    timeoutMs: TIMEOUT_MS,
    outbound: { allowPrivate: true },
    crmConnections: {
      hold: (tenantId, crm, reason) => {
        holds.push({ tenantId, crm, reason });
        return Promise.resolve();
      },
    },
  });
}

function completedCall(callId: string, overrides: Partial<StoredCall> = {}): StoredCall {
  return storedCall({
    callId,
    tenantId: 'sf',
    state: 'completed',
    lead: { id: leadId },
    agent: { crmUserId: agentId, extension: '1000' },
    outcome: {
      ...emptyOutcome(),
      answeredAt: '2026-03-02T10:00:05.000Z',
      endedAt: '2026-03-02T10:00:47.000Z',
      billSec: 42,
      hangupClass: 'answered',
    },
    events: [
      { at: '2026-03-02T09:59:58.000Z', state: 'accepted' },
      { at: '2026-03-02T10:00:00.000Z', state: 'dialing' },
      { at: '2026-03-02T10:00:05.000Z', state: 'answered' },
      { at: '2026-03-02T10:00:47.000Z', state: 'completed' },
    ],
    ...overrides,
  });
}
const last = (call: StoredCall): SequencedEvent => ({ ...call.events.at(-1)!, sequence: call.events.length - 1 });

/** One transport for the file, as a container has one: its token cache is shared by the tests' deliveries. */
let shared: ReturnType<typeof transport> | undefined;
async function deliver(t: Tenant, call: StoredCall, context: { attempt?: number; remoteId?: string } = {}): Promise<DeliveryOutcome> {
  const sf = (shared ??= transport());
  const target = sf.targetOf(t)!;
  return sf.deliver(call, last(call), { tenant: t, target, now: now(), attempt: context.attempt ?? 1, ...context });
}
const tasksOf = (callId: string) => [...fake.records.values()].filter((task) => task.CallObject === callId);
const requestsSince = (n: number) => fake.requests.slice(n).map((r) => `${r.kind} ${r.status}`);

describe('Salesforce: the Task of a call', () => {
  it('creates one Task with the call fields, on the lead, owned by the agent', async () => {
    const outcome = await deliver(tenant(), completedCall('sf-create'));
    expect(outcome).toEqual({ kind: 'delivered', remoteId: expect.stringMatching(/^00T[A-Za-z0-9]{15}$/) as string });
    const [task] = tasksOf('sf-create');
    expect(task).toMatchObject({
      Id: (outcome as { remoteId: string }).remoteId,
      TaskSubtype: 'Call',
      CallType: 'Outbound',
      Status: 'Completed',
      ActivityDate: '2026-03-02',
      CallDurationInSeconds: 42,
      CallDisposition: 'Connected',
      Subject: 'Outbound call: Connected',
      WhoId: leadId,
      OwnerId: agentId,
    });
    expect(task!.WhatId).toBeUndefined();
  });

  it('logs a call on a contact as its Who, on an account as its What; without a User id the run-as user owns it', async () => {
    const t = tenant();
    await deliver(t, completedCall('sf-contact', { lead: { id: contactId.slice(0, 15) } }));
    await deliver(t, completedCall('sf-account', { lead: { id: accountId }, agent: { crmUserId: 'u-17' } }));
    expect(tasksOf('sf-contact')[0]).toMatchObject({ WhoId: contactId.slice(0, 15) });
    expect(tasksOf('sf-account')[0]).toMatchObject({ WhatId: accountId, OwnerId: fake.runAsUserId });
  });

  it('asks for a token once for many deliveries of one connection', async () => {
    const t = tenant();
    const before = fake.requests.length;
    const sf = transport();
    const target = sf.targetOf(t)!;
    for (const id of ['sf-tok-1', 'sf-tok-2', 'sf-tok-3']) {
      const call = completedCall(id);
      expect((await sf.deliver(call, last(call), { tenant: t, target, now: now(), attempt: 1 })).kind).toBe('delivered');
    }
    expect(requestsSince(before)).toEqual(['token 200', 'create 201', 'create 201', 'create 201']);
  });

  it('wants the final states the tenant logs, of calls with a lead; a held connection answers held without a request', async () => {
    const sf = transport();
    const t = tenant();
    const target = sf.targetOf(t)!;
    const call = completedCall('sf-wants');
    expect(sf.wants(last(call), call, target)).toBe(true);
    expect(sf.wants({ ...call.events[2]!, sequence: 2 }, call, target)).toBe(false);
    expect(sf.wants(last(call), { ...call, lead: null }, target)).toBe(false);
    const cancelled = { ...call, events: [{ at: call.createdAt, state: 'cancelled' as CallState }] };
    expect(sf.wants(last(cancelled), cancelled, target)).toBe(false);
    expect(sf.wants(last(cancelled), cancelled, { ...target, logStates: ['cancelled'] })).toBe(true);
    expect(sf.targetOf({ tenantId: 'none' } as Tenant)).toBeUndefined();
    expect(sf.hostOf(target)).toBe(new URL(fake.url).host);
    expect(sf.paceOf!(target)).toEqual({ key: `salesforce#${t.tenantId}`, perSecond: 5 });

    const held: SalesforceTarget = {
      ...target,
      connection: { ...target.connection, held: { at: '2026-03-02T09:00:00.000Z', reason: 'HTTP 401' } },
    };
    const before = fake.requests.length;
    const outcome = await sf.deliver(call, last(call), { tenant: t, target: held, now: now(), attempt: 1 });
    expect(outcome).toEqual({ kind: 'held', error: expect.stringContaining('held since 2026-03-02T09:00:00.000Z') as string });
    expect(fake.requests.length).toBe(before);
  });
});

describe('Salesforce: exactly one Task per call', () => {
  it.each(['timeout-after-create', 'drop-after-create'] as const)(
    '%s: the next attempt finds the Task by CallObject and creates none',
    async (fault) => {
      const t = tenant();
      const callId = `sf-${fault}`;
      await deliver(t, completedCall('sf-warm'));
      fake.faults.add(fault, { delayMs: TIMEOUT_MS * 3 });
      const first = await deliver(t, completedCall(callId));
      expect(first).toEqual({
        kind: 'retry',
        error: fault === 'timeout-after-create' ? 'timeout' : (expect.stringMatching(/^network: /) as string),
      });
      expect(tasksOf(callId)).toHaveLength(1);
      const before = fake.requests.length;
      const second = await deliver(t, completedCall(callId), { attempt: 2 });
      expect(second).toEqual({ kind: 'delivered', remoteId: tasksOf(callId)[0]!.Id });
      expect(requestsSince(before)).toEqual(['query 200']);
      expect(tasksOf(callId)).toHaveLength(1);
    },
  );

  it('a second attempt that finds nothing creates the Task', async () => {
    const t = tenant();
    await deliver(t, completedCall('sf-warm-2'));
    const before = fake.requests.length;
    expect((await deliver(t, completedCall('sf-retry-none'), { attempt: 3 })).kind).toBe('delivered');
    expect(requestsSince(before)).toEqual(['query 200', 'create 201']);
    expect(tasksOf('sf-retry-none')).toHaveLength(1);
  });

  it('with a kept Task id, updates that Task (a later fact: the recording) and creates none', async () => {
    const t = tenant();
    const created = (await deliver(t, completedCall('sf-later'))) as { remoteId: string };
    const later = completedCall('sf-later', {
      outcome: { ...completedCall('x').outcome, recordingUrl: 'https://rec.example/sf-later.mp3' },
    });
    const before = fake.requests.length;
    expect(await deliver(t, later, { attempt: 1, remoteId: created.remoteId })).toEqual({ kind: 'delivered', remoteId: created.remoteId });
    expect(requestsSince(before)).toEqual(['update 204']);
    expect(fake.requests.at(-1)!.body).not.toHaveProperty('TaskSubtype');
    expect(tasksOf('sf-later')).toHaveLength(1);
    expect(String(tasksOf('sf-later')[0]!.Description)).toContain('Recording: https://rec.example/sf-later.mp3');
  });
});

describe('Salesforce: sessions and refusals', () => {
  it('renews a session Salesforce ended once, and creates the Task with the new token', async () => {
    const t = tenant();
    await deliver(t, completedCall('sf-warm-3'));
    fake.expireSessions();
    const before = fake.requests.length;
    expect((await deliver(t, completedCall('sf-expired'))).kind).toBe('delivered');
    expect(requestsSince(before)).toEqual(['create 401', 'token 200', 'create 201']);
    expect(tasksOf('sf-expired')).toHaveLength(1);
    expect(holds).toEqual([]);
  });

  it('replaces a token older than its maximum age before using it', async () => {
    const t = tenant();
    await deliver(t, completedCall('sf-warm-5'));
    clock += 16 * 60_000;
    try {
      const before = fake.requests.length;
      expect((await deliver(t, completedCall('sf-aged'))).kind).toBe('delivered');
      expect(requestsSince(before)).toEqual(['token 200', 'create 201']);
    } finally {
      clock -= 16 * 60_000;
    }
  });

  it('a second 401 with a new token holds the connection (hold() called) and creates nothing', async () => {
    const t = tenant();
    fake.faults.add('401', { times: 2 });
    const outcome = await deliver(t, completedCall('sf-401'));
    expect(outcome).toEqual({ kind: 'held', error: expect.stringContaining('INVALID_SESSION_ID') as string });
    expect(holds).toEqual([{ tenantId: t.tenantId, crm: 'salesforce', reason: (outcome as { error: string }).error }]);
    expect(tasksOf('sf-401')).toHaveLength(0);
  });

  it('a refused client secret holds the connection without an API request', async () => {
    const t = tenant({ clientSecret: 'rotated-away' });
    const before = fake.requests.length;
    const outcome = await deliver(t, completedCall('sf-secret'));
    expect(outcome).toEqual({ kind: 'held', error: 'token endpoint: HTTP 400 invalid_client (invalid client credentials)' });
    expect(holds.map((h) => h.reason)).toEqual([(outcome as { error: string }).error]);
    expect(requestsSince(before)).toEqual(['token 400']);
    expect(JSON.stringify(outcome)).not.toContain('rotated-away');
  });

  it('a connected app without a run-as user holds the connection in Salesforce’s words', async () => {
    fake.org.runAsUser = false;
    const outcome = await deliver(tenant(), completedCall('sf-no-run-as'));
    expect(outcome).toEqual({ kind: 'held', error: 'token endpoint: HTTP 400 invalid_grant (no client credentials user enabled)' });
    expect(holds).toHaveLength(1);
  });

  it('a 403 other than the request limit (API access taken away) holds the connection', async () => {
    const t = tenant();
    fake.org.apiEnabled = false;
    const outcome = await deliver(t, completedCall('sf-403'));
    expect(outcome).toEqual({ kind: 'held', error: 'HTTP 403: API_DISABLED_FOR_ORG: API is not enabled for this Organization or Partner' });
    expect(holds.map((h) => h.tenantId)).toEqual([t.tenantId]);
  });
});

describe('Salesforce: limits and failures', () => {
  it('429 with Retry-After: retry no sooner', async () => {
    const t = tenant();
    fake.faults.add('429', { on: 'create', retryAfterSec: 7 });
    expect(await deliver(t, completedCall('sf-429'))).toEqual({
      kind: 'retry',
      error: expect.stringContaining('HTTP 429') as string,
      retryAfterMs: 7000,
    });
    expect(tasksOf('sf-429')).toHaveLength(0);
  });

  it('403 REQUEST_LIMIT_EXCEEDED (the 24-hour allocation) is a limit: retried later, never held', async () => {
    const t = tenant();
    await deliver(t, completedCall('sf-warm-4'));
    fake.org.apiRequestsPer24h = 0;
    const outcome = await deliver(t, completedCall('sf-limit'));
    expect(outcome).toEqual({
      kind: 'retry',
      error: expect.stringContaining('REQUEST_LIMIT_EXCEEDED') as string,
      retryAfterMs: REQUEST_LIMIT_RETRY_MS,
    });
    expect(holds).toEqual([]);
  });

  it('500 is retried; the Task is created on the next attempt, once', async () => {
    const t = tenant();
    fake.faults.add('500', { on: 'create' });
    expect(await deliver(t, completedCall('sf-500'))).toEqual({
      kind: 'retry',
      error: expect.stringContaining('HTTP 500: UNKNOWN_EXCEPTION') as string,
    });
    expect((await deliver(t, completedCall('sf-500'), { attempt: 2 })).kind).toBe('delivered');
    expect(tasksOf('sf-500')).toHaveLength(1);
  });

  it('a create Salesforce refuses is dead, in its own words: a lead that does not exist', async () => {
    const t = tenant();
    const gone = leadId.slice(0, 10) + 'ZZZZZ';
    const outcome = await deliver(t, completedCall('sf-gone', { lead: { id: gone } }));
    expect(outcome).toEqual({ kind: 'dead', error: 'HTTP 400: INVALID_CROSS_REFERENCE_KEY: invalid cross reference id [WhoId]' });
    expect(tasksOf('sf-gone')).toHaveLength(0);
  });

  it('a lead id that is no Salesforce id is dead without a request', async () => {
    const before = fake.requests.length;
    expect((await deliver(tenant(), completedCall('sf-bad-lead', { lead: { id: 'hubspot-123' } }))).kind).toBe('dead');
    expect(fake.requests.length).toBe(before);
  });
});

describe('Salesforce: the doctor’s check', () => {
  const check = (t: Tenant) => transport().check!(transport().targetOf(t)!, now());

  it('is ok when the run-as user may create call Tasks, and reads nothing but the describe', async () => {
    const before = fake.requests.length;
    expect(await check(tenant())).toEqual({ ok: true, detail: expect.stringContaining(`run-as user ${fake.runAsUserId}`) as string });
    expect(requestsSince(before)).toEqual(['token 200', 'describe 200']);
  });

  it("names what is missing in Salesforce's words", async () => {
    expect(await check(tenant({ clientSecret: 'wrong' }))).toEqual({
      ok: false,
      detail: expect.stringContaining('invalid_client (invalid client credentials)') as string,
    });
    fake.org.taskCreateable = false;
    expect((await check(tenant())).detail).toContain('cannot create Tasks');
    fake.org.taskCreateable = true;
    fake.org.callCenterFields = false;
    expect(await check(tenant())).toEqual({
      ok: false,
      detail: expect.stringContaining('CallType, CallDurationInSeconds, CallDisposition, CallObject') as string,
    });
  });
});
