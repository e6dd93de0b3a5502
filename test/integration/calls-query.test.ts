import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyOutcome, type CallState } from '../../lib/model/call';
import { CallRepository, type StoredCall } from '../../lib/store/calls';
import { bearer, invoke, seedTenant, startTestEnv, useEnvForHandlers, type TestEnv } from '../support/env';
import { storedCall } from '../support/calls';

/** GET /v1/calls filters, and GET /v1/stats/agents, over calls written with chosen times and outcomes. */

let env: TestEnv;
let listCalls: typeof import('../../functions/calls-list').handler;
let stats: typeof import('../../functions/stats-agents').handler;
let calls: CallRepository;
let key: string;
let writeOnlyKey: string;
const TENANT = 'query-acme';

let n = 0;
function call(over: {
  createdAt: string;
  crmUserId: string;
  state: CallState;
  leadId?: string;
  billSec?: number;
  hangupClass?: 'answered' | 'busy' | 'no_answer' | 'failed';
}): StoredCall {
  n++;
  const callId = `c_${String(n).padStart(26, '0')}`;
  return storedCall({
    callId,
    tenantId: TENANT,
    state: over.state,
    agent: { crmUserId: over.crmUserId },
    crmUserId: over.crmUserId,
    lead: over.leadId ? { id: over.leadId } : null,
    outcome: { ...emptyOutcome(), billSec: over.billSec ?? null, hangupClass: over.hangupClass ?? null },
    idempotencyKey: `k-${n}`,
    createdAt: over.createdAt,
  });
}

// Two agents over three days; 2026-07-01 23:30Z is already 2 July in London (BST).
const FIXTURE = [
  call({
    createdAt: '2026-07-01T09:00:00.000Z',
    crmUserId: 'u-17',
    state: 'completed',
    leadId: 'L1',
    billSec: 60,
    hangupClass: 'answered',
  }),
  call({
    createdAt: '2026-07-01T10:00:00.000Z',
    crmUserId: 'u-17',
    state: 'no_answer',
    leadId: 'L1',
    billSec: 0,
    hangupClass: 'no_answer',
  }),
  call({ createdAt: '2026-07-01T11:00:00.000Z', crmUserId: 'u-18', state: 'busy', leadId: 'L2', billSec: 0, hangupClass: 'busy' }),
  call({
    createdAt: '2026-07-01T23:30:00.000Z',
    crmUserId: 'u-17',
    state: 'completed',
    leadId: 'L2',
    billSec: 30,
    hangupClass: 'answered',
  }),
  call({
    createdAt: '2026-07-02T12:00:00.000Z',
    crmUserId: 'u-18',
    state: 'completed',
    leadId: 'L1',
    billSec: 90,
    hangupClass: 'answered',
  }),
  call({ createdAt: '2026-07-02T13:00:00.000Z', crmUserId: 'u-18', state: 'rejected', leadId: 'L1' }),
  call({ createdAt: '2026-07-03T08:00:00.000Z', crmUserId: 'u-17', state: 'answered', leadId: 'L3' }),
];

beforeAll(async () => {
  env = await startTestEnv();
  useEnvForHandlers(env);
  ({ handler: listCalls } = await import('../../functions/calls-list'));
  ({ handler: stats } = await import('../../functions/stats-agents'));
  calls = new CallRepository(env.table);
  ({ key } = await seedTenant(env, { tenantId: TENANT }));
  ({ key: writeOnlyKey } = await seedTenant(env, { tenantId: 'query-writer' }, { scopes: ['calls:write'] }));
  for (const c of FIXTURE) await calls.reserve(c);
});

afterAll(async () => {
  await env?.stop();
});

const list = async (query: Record<string, string>) => {
  const res = await invoke(listCalls, { method: 'GET', route: '/v1/calls', query, headers: bearer(key) });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { calls: Array<{ callId: string }>; nextCursor: string | null };
};
const ids = (page: { calls: Array<{ callId: string }> }) => page.calls.map((c) => c.callId);
const idsOf = (...indexes: number[]) => indexes.map((i) => FIXTURE[i]!.callId);

describe('GET /v1/calls filters, newest first', () => {
  it('all of a tenant', async () => {
    expect(ids(await list({}))).toEqual(idsOf(6, 5, 4, 3, 2, 1, 0));
  });
  it('by lead', async () => {
    expect(ids(await list({ leadId: 'L1' }))).toEqual(idsOf(5, 4, 1, 0));
  });
  it('by agent', async () => {
    expect(ids(await list({ agent: 'u-18' }))).toEqual(idsOf(5, 4, 2));
  });
  it('by state', async () => {
    expect(ids(await list({ state: 'completed' }))).toEqual(idsOf(4, 3, 0));
  });
  it('by time range, both ends inclusive', async () => {
    expect(ids(await list({ from: '2026-07-01T10:00:00Z', to: '2026-07-02T12:00:00Z' }))).toEqual(idsOf(4, 3, 2, 1));
    expect(ids(await list({ from: '2026-07-02T00:00:00Z' }))).toEqual(idsOf(6, 5, 4));
    expect(ids(await list({ to: '2026-07-01T10:00:00+00:00' }))).toEqual(idsOf(1, 0));
  });
  it('by lead and agent, and by agent, state and range together', async () => {
    expect(ids(await list({ leadId: 'L1', agent: 'u-17' }))).toEqual(idsOf(1, 0));
    expect(ids(await list({ agent: 'u-17', state: 'completed', from: '2026-07-01T12:00:00Z' }))).toEqual(idsOf(3));
  });
  it('page by page with a cursor, a filter emptying pages included', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const page = await list({ state: 'completed', limit: '1', ...(cursor ? { cursor } : {}) });
      seen.push(...ids(page));
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual(idsOf(4, 3, 0));
  });
});

describe('GET /v1/stats/agents', () => {
  const get = (query: Record<string, string>, apiKey = key) =>
    invoke(stats, { method: 'GET', route: '/v1/stats/agents', query, headers: bearer(apiKey) });

  it('counts per agent and UTC day: calls, answered, answer rate, talk time', async () => {
    const res = await get({ from: '2026-07-01', to: '2026-07-03' });
    expect(res.status).toBe(200);
    expect(res.body.days).toEqual([
      { crmUserId: 'u-17', date: '2026-07-01', calls: 3, answered: 2, answerRate: 0.6667, talkTimeSec: 90, notPlaced: 0 },
      { crmUserId: 'u-17', date: '2026-07-03', calls: 1, answered: 1, answerRate: 1, talkTimeSec: 0, notPlaced: 0 },
      { crmUserId: 'u-18', date: '2026-07-01', calls: 1, answered: 0, answerRate: 0, talkTimeSec: 0, notPlaced: 0 },
      { crmUserId: 'u-18', date: '2026-07-02', calls: 1, answered: 1, answerRate: 1, talkTimeSec: 90, notPlaced: 1 },
    ]);
    expect(res.body.agents).toEqual([
      { crmUserId: 'u-17', calls: 4, answered: 3, answerRate: 0.75, talkTimeSec: 90, notPlaced: 0 },
      { crmUserId: 'u-18', calls: 2, answered: 1, answerRate: 0.5, talkTimeSec: 90, notPlaced: 1 },
    ]);
  });

  it('takes days in the given time zone', async () => {
    const res = await get({ from: '2026-07-02', to: '2026-07-02', tz: 'Europe/London', agent: 'u-17' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      tz: 'Europe/London',
      days: [{ crmUserId: 'u-17', date: '2026-07-02', calls: 1, answered: 1, talkTimeSec: 30 }],
    });
  });

  it('refuses a range over 31 days, a reversed range, an unknown zone and an unknown parameter, naming each', async () => {
    for (const [query, path] of [
      [{ from: '2026-01-01', to: '2026-02-01' }, 'query.to'],
      [{ from: '2026-07-03', to: '2026-07-01' }, 'query.from'],
      [{ from: '2026-07-01', to: '2026-07-01', tz: 'Mars/Olympus' }, 'query.tz'],
      [{ from: '2026-07-01', to: '2026-07-01', agents: 'u-17' }, 'query.agents'],
      [{ to: '2026-07-01' }, 'query.from'],
    ] as const) {
      const res = await get(query);
      expect(res.status, JSON.stringify(query)).toBe(400);
      expect(res.body.errors?.map((e) => e.path)).toContain(path);
    }
    expect((await get({ from: '2026-01-01', to: '2026-01-31' })).status).toBe(200);
  });

  it('needs the calls:read scope', async () => {
    expect((await get({ from: '2026-07-01', to: '2026-07-01' }, writeOnlyKey)).status).toBe(403);
  });
});
