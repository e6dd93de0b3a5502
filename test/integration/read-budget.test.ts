import { BatchWriteCommand, DynamoDBDocumentClient, type ServiceOutputTypes } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { logger } from '../../lib/observability/logger';
import { MAX_CALLS_PER_REPORT } from '../../lib/stats/agent-stats';
import { MAX_TEAM_MEMBERSHIPS } from '../../lib/agents/directory';
import { CallRepository } from '../../lib/store/calls';
import { callsByTenantPk, teamMemberSk, tenantPk } from '../../lib/store/keys';
import { storedCall } from '../support/calls';
import { bearer, invoke, seedTenant, startTestEnv, useEnvForHandlers, type InvokeResult, type TestEnv } from '../support/env';

/**
 * The per-tenant read budget of the API's read routes (lib/policy/read-budget.ts) and the per-request bounds of the
 * reads that could otherwise read without end (stats, teams), on dynalite through the real handlers.
 */

let env: TestEnv;
let getCall: typeof import('../../functions/calls-get').handler;
let listCalls: typeof import('../../functions/calls-list').handler;
let stats: typeof import('../../functions/stats-agents').handler;
let agents: typeof import('../../functions/agents').handler;

/** Every command a document client sends (the handlers' and this file's), with what DynamoDB answered. */
interface Sent {
  name: string;
  input: Record<string, unknown>;
  output?: ServiceOutputTypes;
}
let sent: Sent[] = [];
const errors: unknown[] = [];

beforeAll(async () => {
  env = await startTestEnv();
  useEnvForHandlers(env);
  ({ handler: getCall } = await import('../../functions/calls-get'));
  ({ handler: listCalls } = await import('../../functions/calls-list'));
  ({ handler: stats } = await import('../../functions/stats-agents'));
  ({ handler: agents } = await import('../../functions/agents'));
  // eslint-disable-next-line @typescript-eslint/unbound-method -- unbound on purpose: it is re-bound to each client below
  const send = DynamoDBDocumentClient.prototype.send as (this: DynamoDBDocumentClient, command: unknown) => Promise<ServiceOutputTypes>;
  vi.spyOn(DynamoDBDocumentClient.prototype, 'send').mockImplementation(async function (this: DynamoDBDocumentClient, command: unknown) {
    const { constructor, input } = command as { constructor: { name: string }; input: Record<string, unknown> };
    const record: Sent = { name: constructor.name, input };
    sent.push(record);
    record.output = await send.call(this, command);
    return record.output;
  } as never);
  vi.spyOn(logger, 'error').mockImplementation((...args: unknown[]) => void errors.push(args));
});

afterEach(() => {
  expect(errors, 'no ERROR line').toEqual([]);
});

afterAll(async () => {
  vi.restoreAllMocks();
  await env?.stop();
});

/** Items written straight to the table, 25 a request and 8 requests at a time: fixtures of thousands of items. */
async function writeItems(items: Array<Record<string, unknown>>) {
  const batches: Array<Array<Record<string, unknown>>> = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  const doc = env.table.doc;
  const worker = async () => {
    for (let batch = batches.shift(); batch; batch = batches.shift()) {
      let requests = batch.map((Item) => ({ PutRequest: { Item } }));
      while (requests.length > 0) {
        const out = await doc.send(new BatchWriteCommand({ RequestItems: { [env.table.name]: requests } }));
        requests = (out.UnprocessedItems?.[env.table.name] ?? []) as typeof requests;
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/** Items the queries among `commands` read (DynamoDB's ScannedCount: before any filter). */
const scannedBy = (commands: Sent[]) =>
  commands.filter((c) => c.name === 'QueryCommand').reduce((n, c) => n + ((c.output as { ScannedCount?: number }).ScannedCount ?? 0), 0);

function expectReadRefusal(res: InvokeResult, retryAfterSec: number) {
  expect(res.status, JSON.stringify(res.body)).toBe(429);
  expect(res.body.code).toBe('read_rate_limited');
  expect(res.body.type).toBe('/docs/api.md#problem-read_rate_limited');
  expect(res.headers['retry-after']).toBe(String(retryAfterSec));
}

describe('the read budget', () => {
  // The clock stands still one second into a 10-second window, so which requests share a window is known.
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-03-02T10:00:01.000Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('answers a burst past the budget 429 read_rate_limited with Retry-After, while another tenant reads on at the same moment', async () => {
    // 2 reads a second: 20 per 10-second window, one per read by id.
    const small = await seedTenant(env, { tenantId: 'reads-small', policy: { readsPerSecond: 2 } });
    const other = await seedTenant(env, { tenantId: 'reads-other' });
    const calls = new CallRepository(env.table);
    const mine = storedCall({ tenantId: 'reads-small', callId: 'c_00000000000000000000000001' });
    const theirs = storedCall({ tenantId: 'reads-other', callId: 'c_00000000000000000000000002' });
    await calls.reserve(mine);
    await calls.reserve(theirs);
    const read = (key: string, callId: string) =>
      invoke(getCall, { method: 'GET', route: '/v1/calls/{callId}', path: { callId }, headers: bearer(key) });

    const [burst, others] = await Promise.all([
      Promise.all(Array.from({ length: 45 }, () => read(small.key, mine.callId))),
      Promise.all(Array.from({ length: 20 }, () => read(other.key, theirs.callId))),
    ]);
    expect(burst.filter((r) => r.status === 200)).toHaveLength(20);
    const refused = burst.filter((r) => r.status === 429);
    expect(refused).toHaveLength(25);
    for (const res of refused) expectReadRefusal(res, 9);
    expect(others.map((r) => r.status)).toEqual(others.map(() => 200));

    // The next window reads again.
    vi.setSystemTime(new Date('2026-03-02T10:00:10.000Z'));
    expect((await read(small.key, mine.callId)).status).toBe(200);
  });

  it('charges a listing for the items it may read, and refuses one past the budget before reading anything', async () => {
    // 1 read a second: 10 a window. A listing filtered by state may read 10 queries of `limit` (200): 20 reads, charged a whole window.
    const tenant = await seedTenant(env, { tenantId: 'reads-list', policy: { readsPerSecond: 1 } });
    const list = (query: Record<string, string>) =>
      invoke(listCalls, { method: 'GET', route: '/v1/calls', query, headers: bearer(tenant.key) });
    expect((await list({ state: 'completed', limit: '200' })).status).toBe(200);

    sent = [];
    const refused = await list({ limit: '1' });
    expectReadRefusal(refused, 9);
    const agentsList = await invoke(agents, { method: 'GET', route: '/v1/agents', headers: bearer(tenant.key) });
    expectReadRefusal(agentsList, 9);
    const teams = await invoke(agents, { method: 'GET', route: '/v1/teams', headers: bearer(tenant.key) });
    expectReadRefusal(teams, 9);
    const report = await invoke(stats, {
      method: 'GET',
      route: '/v1/stats/agents',
      query: { from: '2026-03-01', to: '2026-03-02' },
      headers: bearer(tenant.key),
    });
    expectReadRefusal(report, 9);
    // The key's and the tenant's reads (authentication) and the counter's writes only: nothing of the listings was read.
    const authOrCounter = (c: Sent) =>
      c.name === 'UpdateCommand' || (c.name === 'GetCommand' && ['APIKEY', 'TENANT'].includes(String((c.input.Key as { sk: string }).sk)));
    expect(sent.filter((c) => !authOrCounter(c)).map((c) => c.name)).toEqual([]);
    expect(sent.filter((c) => c.name === 'UpdateCommand')).toHaveLength(4);
  });
});

describe('bounded reads', () => {
  it(`stats read at most ${MAX_CALLS_PER_REPORT} calls: a range holding more is 422 range_too_large after ${MAX_CALLS_PER_REPORT + 1} items`, async () => {
    const tenant = await seedTenant(env, { tenantId: 'reads-stats' });
    // The bound's worth of calls on 2 March (one a second from midnight), 50 more on 3 March.
    const day2 = Date.parse('2026-03-02T00:00:00.000Z');
    const day3 = Date.parse('2026-03-03T00:00:00.000Z');
    await writeItems(
      Array.from({ length: MAX_CALLS_PER_REPORT + 50 }, (_, i) => {
        const createdAt = new Date(i < MAX_CALLS_PER_REPORT ? day2 + i * 1000 : day3 + i * 1000).toISOString();
        const callId = `c_${String(i).padStart(26, '0')}`;
        // Minimal call items on the tenant's calls index: what the report's query reads, no more.
        return {
          pk: tenantPk('reads-stats'),
          sk: `CALL#${callId}`,
          gsi3pk: callsByTenantPk('reads-stats'),
          gsi3sk: `${createdAt}#${callId}`,
          crmUserId: 'u-17',
          state: 'completed',
          createdAt,
        };
      }),
    );
    const report = async (to: string) => {
      sent = [];
      const res = await invoke(stats, {
        method: 'GET',
        route: '/v1/stats/agents',
        query: { from: '2026-03-02', to },
        headers: bearer(tenant.key),
      });
      return { res, read: scannedBy(sent) };
    };

    const tooMany = await report('2026-03-03');
    expect(tooMany.res.status, JSON.stringify(tooMany.res.body)).toBe(422);
    expect(tooMany.res.body.code).toBe('range_too_large');
    expect(tooMany.read).toBe(MAX_CALLS_PER_REPORT + 1);

    const atTheBound = await report('2026-03-02');
    expect(atTheBound.res.status, JSON.stringify(atTheBound.res.body)).toBe(200);
    expect(atTheBound.res.body.agents).toEqual([expect.objectContaining({ crmUserId: 'u-17', calls: MAX_CALLS_PER_REPORT })]);
    expect(atTheBound.read).toBe(MAX_CALLS_PER_REPORT);
  });

  it(`teams read at most ${MAX_TEAM_MEMBERSHIPS} memberships: more is 422 too_many_memberships, read no further`, async () => {
    const tenant = await seedTenant(env, { tenantId: 'reads-teams' }, { agents: [] });
    await writeItems(
      Array.from({ length: MAX_TEAM_MEMBERSHIPS + 10 }, (_, i) => {
        const crmUserId = `u-${i}`;
        return { pk: tenantPk('reads-teams'), sk: teamMemberSk('sales', crmUserId), team: 'sales', crmUserId, extension: '1000' };
      }),
    );
    sent = [];
    const res = await invoke(agents, { method: 'GET', route: '/v1/teams', headers: bearer(tenant.key) });
    expect(res.status, JSON.stringify(res.body)).toBe(422);
    expect(res.body.code).toBe('too_many_memberships');
    expect(scannedBy(sent)).toBe(MAX_TEAM_MEMBERSHIPS + 1);
    expect(sent.filter((s) => s.name === 'BatchGetCommand')).toEqual([]);
  });
});
