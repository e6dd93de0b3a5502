import { BatchWriteCommand, DynamoDBDocumentClient, QueryCommand, type ServiceOutputTypes } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { logger } from '../../lib/observability/logger';
import { MAX_CALLS_PER_REPORT } from '../../lib/stats/agent-stats';
import { MAX_TEAM_MEMBERSHIPS } from '../../lib/agents/directory';
import { CallRepository } from '../../lib/store/calls';
import { rateCounterPk, teamMemberSk, tenantPk } from '../../lib/store/keys';
import { narrowCallIndexKeys } from '../../lib/store/call-index-keys';
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

/** Items the batch reads among `commands` read by key: the calls a keys-only index query named (lib/store/hydrate.ts). */
const readByKey = (commands: Sent[]) =>
  commands
    .filter((c) => c.name === 'BatchGetCommand')
    .reduce((n, c) => n + Object.values((c.output as { Responses?: Record<string, unknown[]> }).Responses ?? {}).flat().length, 0);

/** Reads charged to a tenant so far, over every window. */
async function usedReads(tenantId: string): Promise<number> {
  const out = await env.table.doc.send(
    new QueryCommand({
      TableName: env.table.name,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :reads)',
      ExpressionAttributeValues: { ':pk': rateCounterPk(tenantId), ':reads': 'reads#' },
    }),
  );
  return (out.Items ?? []).reduce((n, item) => n + Number(item.used ?? 0), 0);
}

/** A minimal call item on the tenant's calls index: what a report's query reads, no more. */
function callIndexItem(tenantId: string, callId: string, created: Date) {
  const createdAt = created.toISOString();
  return {
    pk: tenantPk(tenantId),
    sk: `CALL#${callId}`,
    ...narrowCallIndexKeys({ tenantId, callId, createdAt }),
    crmUserId: 'u-17',
    state: 'completed',
    createdAt,
  };
}

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

  it('charges a listing, the teams summary and a report what they read: one read each when they read little', async () => {
    // 1 read a second: 10 a window. Each request below may read hundreds or thousands of items and reads a handful.
    const tenant = await seedTenant(env, { tenantId: 'reads-little', policy: { readsPerSecond: 1 } });
    const calls = new CallRepository(env.table);
    for (const n of [1, 2, 3]) await calls.reserve(storedCall({ tenantId: 'reads-little', callId: `c_0000000000000000000000010${n}` }));
    const requests = {
      'a listing filtered by state (up to 10 queries of 200)': () =>
        invoke(listCalls, { method: 'GET', route: '/v1/calls', query: { state: 'completed', limit: '200' }, headers: bearer(tenant.key) }),
      'a listing of 200': () =>
        invoke(listCalls, { method: 'GET', route: '/v1/calls', query: { limit: '200' }, headers: bearer(tenant.key) }),
      'the agents, 500 a page': () =>
        invoke(agents, { method: 'GET', route: '/v1/agents', query: { limit: '500' }, headers: bearer(tenant.key) }),
      "a team's members": () =>
        invoke(agents, { method: 'GET', route: '/v1/agents', query: { team: 'sales', limit: '500' }, headers: bearer(tenant.key) }),
      'the teams summary (up to 2,000 memberships)': () =>
        invoke(agents, { method: 'GET', route: '/v1/teams', headers: bearer(tenant.key) }),
      'a report (up to 10,000 calls)': () =>
        invoke(stats, {
          method: 'GET',
          route: '/v1/stats/agents',
          query: { from: '2026-03-01', to: '2026-03-02' },
          headers: bearer(tenant.key),
        }),
    };
    for (const [name, request] of Object.entries(requests)) {
      sent = [];
      const res = await request();
      expect(res.status, `${name}: ${JSON.stringify(res.body)}`).toBe(200);
      // One write of the counter, before the read: nothing more was owed after it.
      expect(
        sent.filter((c) => c.name === 'UpdateCommand'),
        name,
      ).toHaveLength(1);
    }
    expect(await usedReads('reads-little')).toBe(6);
    // Four more fill the window; the next is refused.
    for (let i = 0; i < 4; i++) expect((await requests['a listing of 200']()).status).toBe(200);
    expectReadRefusal(await requests['a listing of 200'](), 9);
    expect(await usedReads('reads-little')).toBe(10);
  });

  it('refuses a listing, the teams summary and a report past the budget before reading anything', async () => {
    const tenant = await seedTenant(env, { tenantId: 'reads-list', policy: { readsPerSecond: 1 } });
    const readById = () =>
      invoke(getCall, {
        method: 'GET',
        route: '/v1/calls/{callId}',
        path: { callId: 'c_00000000000000000000000009' },
        headers: bearer(tenant.key),
      });
    for (let i = 0; i < 10; i++) expect((await readById()).status).toBe(404);

    sent = [];
    const refused = await invoke(listCalls, { method: 'GET', route: '/v1/calls', query: { limit: '1' }, headers: bearer(tenant.key) });
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
    expect(await usedReads('reads-list')).toBe(10);
  });

  it("lets a big report overdraw the window: it answers, and the tenant's next request waits for the next window", async () => {
    // 1 read a second: 10 a window; the report reads 2,500 index keys and the 2,500 calls by key, 50 reads.
    const tenant = await seedTenant(env, { tenantId: 'reads-big', policy: { readsPerSecond: 1 } });
    const day = Date.parse('2026-03-01T00:00:00.000Z');
    await writeItems(
      Array.from({ length: 2_500 }, (_, i) => callIndexItem('reads-big', `c_${String(i).padStart(26, '0')}`, new Date(day + i * 1000))),
    );
    sent = [];
    const report = await invoke(stats, {
      method: 'GET',
      route: '/v1/stats/agents',
      query: { from: '2026-03-01', to: '2026-03-01' },
      headers: bearer(tenant.key),
    });
    expect(report.status, JSON.stringify(report.body)).toBe(200);
    expect(report.body.agents).toEqual([expect.objectContaining({ crmUserId: 'u-17', calls: 2_500 })]);
    expect(scannedBy(sent)).toBe(2_500);
    expect(readByKey(sent)).toBe(2_500);
    // Charged one read before, the 49 it owed after: two writes.
    expect(sent.filter((c) => c.name === 'UpdateCommand')).toHaveLength(2);
    expect(await usedReads('reads-big')).toBe(50);

    const list = () => invoke(agents, { method: 'GET', route: '/v1/agents', headers: bearer(tenant.key) });
    expectReadRefusal(await list(), 9);
    vi.setSystemTime(new Date('2026-03-02T10:00:09.999Z'));
    expectReadRefusal(await list(), 1);
    // The overdraft ends with its window: the next one starts at zero.
    vi.setSystemTime(new Date('2026-03-02T10:00:10.000Z'));
    expect((await list()).status).toBe(200);
    expect(await usedReads('reads-big')).toBe(51);
  });
});

describe('bounded reads', () => {
  it(`stats read at most ${MAX_CALLS_PER_REPORT} calls: a range holding more is 422 range_too_large after ${MAX_CALLS_PER_REPORT + 1} items`, async () => {
    const tenant = await seedTenant(env, { tenantId: 'reads-stats' });
    // The bound's worth of calls on 2 March (one a second from midnight), 50 more on 3 March.
    const day2 = Date.parse('2026-03-02T00:00:00.000Z');
    const day3 = Date.parse('2026-03-03T00:00:00.000Z');
    await writeItems(
      Array.from({ length: MAX_CALLS_PER_REPORT + 50 }, (_, i) =>
        callIndexItem(
          'reads-stats',
          `c_${String(i).padStart(26, '0')}`,
          new Date(i < MAX_CALLS_PER_REPORT ? day2 + i * 1000 : day3 + i * 1000),
        ),
      ),
    );
    const report = async (to: string) => {
      sent = [];
      const res = await invoke(stats, {
        method: 'GET',
        route: '/v1/stats/agents',
        query: { from: '2026-03-02', to },
        headers: bearer(tenant.key),
      });
      return { res, read: scannedBy(sent), byKey: readByKey(sent) };
    };

    const tooMany = await report('2026-03-03');
    expect(tooMany.res.status, JSON.stringify(tooMany.res.body)).toBe(422);
    expect(tooMany.res.body.code).toBe('range_too_large');
    expect(tooMany.read).toBe(MAX_CALLS_PER_REPORT + 1);
    expect(tooMany.byKey).toBe(MAX_CALLS_PER_REPORT + 1);
    // Refused, but read: charged the 201 reads of the 10,001 index keys and the 10,001 calls read by key.
    expect(await usedReads('reads-stats')).toBe(201);

    const atTheBound = await report('2026-03-02');
    expect(atTheBound.res.status, JSON.stringify(atTheBound.res.body)).toBe(200);
    expect(atTheBound.res.body.agents).toEqual([expect.objectContaining({ crmUserId: 'u-17', calls: MAX_CALLS_PER_REPORT })]);
    expect(atTheBound.read).toBe(MAX_CALLS_PER_REPORT);
    expect(atTheBound.byKey).toBe(MAX_CALLS_PER_REPORT);
    expect(await usedReads('reads-stats')).toBe(401);
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
    // Refused, but read: charged the 21 reads of the 2,001 memberships.
    expect(await usedReads('reads-teams')).toBe(21);
  });
});
