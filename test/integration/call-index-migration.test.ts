/**
 * The move of a deployed table to the keys-only call indexes (docs/operations.md, "Narrowing the call indexes"), run
 * on dynalite with data in it: a table in the old shape, written as the old code wrote it (several tenants, calls with
 * and without agent and lead, PBX events under calls, agents on gsi1/gsi2 by email and extension, API keys on gsi1),
 * taken through every `callIndexes` step with the `c2c call-indexes` commands between them.
 *
 * dynalite validates an UpdateTable that creates or deletes an index but does not carry it out (it asks for a
 * provisioned throughput even on an on-demand table, and a Delete leaves the index in place), so each step is played
 * as a new table with that step's indexes (resources/table-indexes.js, as serverless.yml deploys them) into which the
 * items are copied: DynamoDB's own backfill of a new index, which is what an index creation does.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DeleteCommand, GetCommand, PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CALL_INDEX,
  CALL_INDEX_ATTR,
  callIndexKeys,
  LEGACY_CALL_INDEX_ATTRS,
  legacyCallIndexKeys,
  narrowAgentPk,
  narrowLeadPk,
  narrowTenantPk,
  type CallIndexMode,
} from '../../lib/store/call-index-keys';
import { AgentRepository } from '../../lib/store/agents';
import { backfillCallIndexKeys } from '../../lib/store/call-index-migration';
import { ApiKeyRepository } from '../../lib/store/api-keys';
import { CallRepository, type StoredCall } from '../../lib/store/calls';
import { toCallItem } from '../../lib/store/calls/stored-call';
import { createDocumentClient, type Table } from '../../lib/store/client';
import { callsByAgentPk, callsByLeadPk, callsByTenantPk, tenantPk } from '../../lib/store/keys';
import { PbxEventRepository } from '../../lib/store/pbx-events';
import { queryAll } from '../../lib/store/query-pages';
import { startDynalite, type LocalDynamo } from '../../local/dynamo';
import { storedCall } from '../support/calls';
import { createTableOf, tableAtStep } from '../support/call-index-tables';
import { runCli } from '../support/cli';

const TENANTS = ['acme', 'globex', 'initech'];
const AGENTS = ['u-1', 'u-2'];
const T0 = Date.parse('2026-01-05T09:00:00.000Z');
const PHONE_DIGITS = '7766889900';

let dynamo: LocalDynamo;
let table: Table;
let workDir: string;
const base = `c2c-migr-${randomUUID().slice(0, 8)}`;
const writtenCalls: StoredCall[] = [];
let minute = 0;

/** A call, each a minute after the one before (so every listing has one order), with agent and lead as given. */
function nextCall(tenantId: string, agent: string | undefined, lead: string | undefined): StoredCall {
  const createdAt = new Date(T0 + minute++ * 60_000).toISOString();
  const call = storedCall({
    tenantId,
    callId: `c_${tenantId.slice(0, 3).toUpperCase()}${String(minute).padStart(4, '0')}`,
    createdAt,
    updatedAt: createdAt,
    agent: agent ? { crmUserId: agent, extension: '1000' } : {},
    crmUserId: agent,
    lead: lead ? { id: lead } : null,
  });
  writtenCalls.push(call);
  return call;
}

const subjectOf = (call: StoredCall) => ({
  tenantId: call.tenantId,
  callId: call.callId,
  createdAt: call.createdAt,
  crmUserId: call.crmUserId,
  leadId: call.lead?.id,
});

/** The call item as toCallItem shapes it, with the listing keys of `mode`: `legacy` is what the code before them wrote. */
function itemOf(call: StoredCall, mode: CallIndexMode | 'legacy'): Record<string, unknown> {
  const item = toCallItem(call);
  for (const name of [...LEGACY_CALL_INDEX_ATTRS, ...Object.values(CALL_INDEX_ATTR)]) delete item[name];
  return { ...item, ...(mode === 'legacy' ? legacyCallIndexKeys(subjectOf(call)) : callIndexKeys(subjectOf(call), mode)) };
}

async function putCall(call: StoredCall, mode: CallIndexMode | 'legacy') {
  await table.doc.send(new PutCommand({ TableName: table.name, Item: itemOf(call, mode) }));
}

async function allItems(): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await table.doc.send(new ScanCommand({ TableName: table.name, ...(start ? { ExclusiveStartKey: start } : {}) }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

/** The table at `step`: a new dynalite table of that step's definition, holding every item of the one before. */
async function moveTo(step: string) {
  const items = await allItems();
  const name = `${base}-${step}`;
  await createTableOf(dynamo.endpoint, name, tableAtStep(step));
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'local',
    credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
  });
  for (let i = 0; i < 50 && (await client.send(new DescribeTableCommand({ TableName: name }))).Table?.TableStatus !== 'ACTIVE'; i++)
    await new Promise((r) => setTimeout(r, 20));
  client.destroy();
  for (let i = 0; i < items.length; i += 25) {
    const requests = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
    await table.doc.send(new BatchWriteCommand({ RequestItems: { [name]: requests } }));
  }
  table = { doc: table.doc, name };
  expect((await allItems()).length).toBe(items.length);
}

/** A listing's call ids, newest first: `index` by `attr` = `key`. */
async function listing(index: string, attr: string, key: string): Promise<string[]> {
  const { items } = await queryAll(table, {
    IndexName: index,
    KeyConditionExpression: '#k = :k',
    ExpressionAttributeNames: { '#k': attr },
    ExpressionAttributeValues: { ':k': key },
    ScanIndexForward: false,
  });
  return items.map((item) => String(item.sk).slice('CALL#'.length));
}

type Scope = 'tenant' | 'agent' | 'lead';
/** Each listing's index, key attribute and key, on the old (whole-item) side and on the new (keys-only) side. */
const LEGACY_INDEXES: Record<Scope, (tenantId: string, subject: string) => [string, string, string]> = {
  tenant: (tenantId) => ['gsi3', 'gsi3pk', callsByTenantPk(tenantId)],
  agent: (tenantId, agent) => ['gsi2', 'gsi2pk', callsByAgentPk(tenantId, agent)],
  lead: (tenantId, lead) => ['gsi1', 'gsi1pk', callsByLeadPk(tenantId, lead)],
};
const NARROW_INDEXES: typeof LEGACY_INDEXES = {
  tenant: (tenantId) => [CALL_INDEX.byTenant, CALL_INDEX_ATTR.tenant, narrowTenantPk(tenantId)],
  agent: (tenantId, agent) => [CALL_INDEX.byAgent, CALL_INDEX_ATTR.agent, narrowAgentPk(tenantId, agent)],
  lead: (tenantId, lead) => [CALL_INDEX.byLead, CALL_INDEX_ATTR.lead, narrowLeadPk(tenantId, lead)],
};

/** Every call written so far, newest first, of a tenant, and of its agents and leads. */
function expectedListings(filter: (call: StoredCall) => boolean = () => true) {
  const newestFirst = (calls: StoredCall[]) => calls.map((c) => c.callId).reverse();
  const calls = writtenCalls.filter(filter);
  const result: Record<string, string[]> = {};
  for (const tenantId of TENANTS) {
    const mine = calls.filter((c) => c.tenantId === tenantId);
    result[`tenant ${tenantId}`] = newestFirst(mine);
    for (const agent of AGENTS) result[`agent ${tenantId} ${agent}`] = newestFirst(mine.filter((c) => c.crmUserId === agent));
    for (const lead of new Set(mine.flatMap((c) => (c.lead ? [c.lead.id] : []))))
      result[`lead ${tenantId} ${lead}`] = newestFirst(mine.filter((c) => c.lead?.id === lead));
  }
  return result;
}

/** The listings `keys` name (`<scope> <tenant> [<subject>]`, as {@link expectedListings} names them), read on one side. */
async function listingsOn(indexes: typeof LEGACY_INDEXES, keys: string[]) {
  const result: Record<string, string[]> = {};
  for (const key of keys) {
    const [scope, tenantId, subject = ''] = key.split(' ') as [Scope, string, string?];
    result[key] = await listing(...indexes[scope](tenantId, subject));
  }
  return result;
}
const legacyListings = (keys: string[]) => listingsOn(LEGACY_INDEXES, keys);
const narrowListings = (keys: string[]) => listingsOn(NARROW_INDEXES, keys);

const c2c = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  runCli(['--endpoint', dynamo.endpoint, '--table', table.name, 'call-indexes', ...args], {
    stackFile: join(workDir, 'no-stack.json'),
    env,
  });

const callItems = async () => (await allItems()).filter((item) => item.type === 'call');
const LEGACY_CALLS = TENANTS.length * 8;

beforeAll(async () => {
  dynamo = await startDynalite();
  workDir = mkdtempSync(join(tmpdir(), 'c2c-migr-'));
  table = { doc: createDocumentClient({ region: 'local', endpoint: dynamo.endpoint }), name: `${base}-legacy` };
  await createTableOf(dynamo.endpoint, table.name, tableAtStep('legacy'));
  const agents = new AgentRepository(table);
  const keys = new ApiKeyRepository(table);
  const events = new PbxEventRepository(table);
  for (const tenantId of TENANTS) {
    await table.doc.send(
      new PutCommand({ TableName: table.name, Item: { pk: tenantPk(tenantId), sk: 'TENANT', type: 'tenant', tenantId } }),
    );
    for (const [i, agent] of AGENTS.entries())
      await agents.put(tenantId, agent, { extension: `10${i}0`, email: `${agent}@${tenantId}.example` });
    await keys.issue(tenantId, 'CRM', ['calls:write', 'calls:read']);
    // Eight calls each: agent u-1, u-2 or none (a team call still waiting); lead L1, L2 or none.
    for (let i = 0; i < 8; i++) {
      const call = nextCall(tenantId, [AGENTS[0], AGENTS[1], undefined][i % 3], [`L${1 + (i % 2)}`, undefined, `L${i}`][i % 3]);
      await putCall(call, 'legacy');
      if (i % 4 === 0) {
        await events.put({
          tenantId,
          callId: call.callId,
          receivedAt: call.createdAt,
          transport: 'json',
          eventType: 'Call Start',
          fields: {},
          truncated: false,
        });
      }
    }
  }
  // An item of the old code's that no listing shows and the backfill cannot index: no creation time.
  await table.doc.send(
    new PutCommand({
      TableName: table.name,
      Item: { pk: tenantPk('acme'), sk: 'CALL#c_NOTIME', type: 'call', state: 'dialing', to: `+44${PHONE_DIGITS}` },
    }),
  );
});

afterAll(async () => {
  table?.doc.destroy();
  await dynamo?.close();
  rmSync(workDir, { recursive: true, force: true });
});

describe('narrowing the call indexes of a deployed table, step by step (c2c call-indexes)', () => {
  let itemsBefore = 0;

  it('starts from the old table: every call listed by gsi3, gsi2 and gsi1, none by a keys-only index', async () => {
    const expected = expectedListings();
    expect(await legacyListings(Object.keys(expected))).toEqual(expected);
    expect((await callItems()).filter((item) => item.cs !== undefined)).toEqual([]);
    itemsBefore = (await allItems()).length;
  });

  it('adds the keys-only indexes one step at a time while calls are written with both key sets (migrating)', async () => {
    for (const step of ['add-tenant', 'add-agent', 'add-lead']) {
      await moveTo(step);
      expect(tableAtStep(step).callIndexes).toBe('migrating');
      await putCall(nextCall('acme', 'u-1', 'L1'), 'migrating');
      await putCall(nextCall('globex', undefined, undefined), 'migrating');
    }
    const expected = expectedListings();
    expect(await legacyListings(Object.keys(expected))).toEqual(expected);
    // The new indexes list only what was written since: the old calls wait for the backfill.
    expect((await narrowListings(['tenant acme']))['tenant acme']).toHaveLength(3);
  });

  it('verify says the switch is not safe yet, naming the calls the new indexes miss', async () => {
    const run = await c2c(['verify', '--json']);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as {
      safe: boolean;
      comparisons: Array<{ scope: string; tenantId: string; missing: number; missingCalls: string[] }>;
    };
    expect(report.safe).toBe(false);
    const acme = report.comparisons.find((c) => c.scope === 'tenant' && c.tenantId === 'acme');
    expect(acme?.missing).toBe(8);
    expect(acme?.missingCalls).toContain('c_ACM0001');
  });

  it('backfills the old calls, interrupted after a few small pages and resumed from the cursor it printed', async () => {
    const first = await c2c(['backfill', '--page-size', '7', '--max-pages', '3']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/^page 1: 7 items scanned; resume with --start \S+$/m);
    const cursor = /More: --start (\S+)/.exec(first.stdout)?.[1];
    expect(cursor).toBeDefined();
    const lacking = (await callItems()).filter((item) => item.cs === undefined);
    expect(lacking.length).toBeGreaterThan(1);

    const rest = await c2c(['backfill', '--page-size', '7', '--start', cursor!, '--json']);
    expect(rest.code, rest.stderr).toBe(0);
    const firstCount = Number(/(\d+) backfilled/.exec(first.stdout)?.[1]);
    const report = JSON.parse(rest.stdout) as { backfilled: number; skipped: number; skippedCalls: string[]; next?: string };
    expect(firstCount + report.backfilled).toBe(LEGACY_CALLS);
    expect(report.next).toBeUndefined();
    // The one call without a creation time is named in whichever run read it, and left without keys.
    expect([...first.stdout.matchAll(/c_NOTIME/g)].length + report.skippedCalls.filter((id) => id === 'c_NOTIME').length).toBe(1);
    expect((await callItems()).filter((item) => item.cs === undefined).map((item) => item.sk)).toEqual(['CALL#c_NOTIME']);
    // Only calls: not the PBX events under them (`CALL#<id>#PBXEVENT#...`), not agents, API keys or tenants.
    expect(
      (await allItems()).filter((item) => item.type !== 'call' && Object.values(CALL_INDEX_ATTR).some((name) => item[name] !== undefined)),
    ).toEqual([]);
    expect((await allItems()).filter((item) => item.type === 'pbxEvent')).toHaveLength(TENANTS.length * 2);
    for (const out of [first.stdout, first.stderr, rest.stdout, rest.stderr]) expect(out).not.toContain(PHONE_DIGITS);

    const again = await c2c(['backfill']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(
      `${LEGACY_CALLS + 7} calls: 0 backfilled, ${LEGACY_CALLS + 6} had the keys already, 0 changed meanwhile`,
    );
  });

  it('verify then says it is safe, and every listing of the new indexes equals the old one, in the same order', async () => {
    const run = await c2c(['verify']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain(`${TENANTS.length} tenants, ${TENANTS.length * AGENTS.length} agents and`);
    expect(run.stdout).toContain('Safe to switch');
    const expected = expectedListings();
    expect(await narrowListings(Object.keys(expected))).toEqual(expected);
    expect(await legacyListings(Object.keys(expected))).toEqual(expected);
  });

  it('switches: calls written in mode switched carry both key sets, and the old listings stay whole for a way back', async () => {
    await moveTo('switched');
    expect(tableAtStep('switched').callIndexes).toBe('switched');
    await putCall(nextCall('initech', 'u-2', 'L9'), 'switched');
    const expected = expectedListings();
    expect(await narrowListings(Object.keys(expected))).toEqual(expected);
    expect(await legacyListings(Object.keys(expected))).toEqual(expected);
  });

  it('the strip refuses to run unless the service is in mode narrow, and changes nothing', async () => {
    const unset = await c2c(['strip']);
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('CALL_INDEXES: set it to the mode the stage runs');
    const switched = await c2c(['strip'], { CALL_INDEXES: 'switched' });
    expect(switched.code).toBe(1);
    expect(switched.stderr).toContain('The strip runs only once the service is in mode narrow (CALL_INDEXES), not switched');
    expect((await callItems()).filter((item) => item.gsi3pk !== undefined)).toHaveLength(LEGACY_CALLS + 7);
  });

  it('after legacy-off (mode narrow), the strip removes the old keys from calls only: agents and API keys keep theirs', async () => {
    await moveTo('legacy-off');
    expect(tableAtStep('legacy-off').callIndexes).toBe('narrow');
    const narrowCall = nextCall('acme', 'u-2', 'L1');
    await putCall(narrowCall, 'narrow');

    const run = await c2c(['strip', '--page-size', '10'], { CALL_INDEXES: 'narrow' });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(
      `${LEGACY_CALLS + 9} calls: ${LEGACY_CALLS + 7} stripped, 2 had no old keys, 0 changed meanwhile, 0 not backfilled`,
    );
    const calls = await callItems();
    expect(calls.filter((item) => LEGACY_CALL_INDEX_ATTRS.some((name) => item[name] !== undefined))).toEqual([]);

    const agents = new AgentRepository(table);
    const keys = new ApiKeyRepository(table);
    for (const tenantId of TENANTS) {
      expect((await agents.find(tenantId, { email: `u-1@${tenantId}.example` }))?.crmUserId).toBe('u-1');
      expect((await agents.find(tenantId, { extension: '1010' }))?.crmUserId).toBe('u-2');
      expect(await keys.list(tenantId)).toHaveLength(1);
    }
    const expected = expectedListings();
    expect(await narrowListings(Object.keys(expected))).toEqual(expected);

    const again = await c2c(['strip'], { CALL_INDEXES: 'narrow' });
    expect(again.stdout).toContain('0 stripped');
  });

  it('drops gsi3 (done): nothing is lost, every call still read by its key and listed by the new indexes', async () => {
    await moveTo('done');
    expect(tableAtStep('done').GlobalSecondaryIndexes.map((index) => index.IndexName)).not.toContain('gsi3');
    expect((await allItems()).length).toBe(itemsBefore + writtenCalls.length - LEGACY_CALLS);
    const calls = new CallRepository(table);
    for (const call of writtenCalls) expect((await calls.get(call.tenantId, call.callId))?.createdAt, call.callId).toBe(call.createdAt);
    const stray = await table.doc.send(new GetCommand({ TableName: table.name, Key: { pk: tenantPk('acme'), sk: 'CALL#c_NOTIME' } }));
    expect(stray.Item?.state).toBe('dialing');
    const expected = expectedListings();
    expect(await narrowListings(Object.keys(expected))).toEqual(expected);

    const verify = await c2c(['verify', '--tenant', 'acme']);
    expect(verify.code).toBe(1);
    expect(verify.stderr).toContain('Index gsi3 is not there');
  });
});

describe('the backfill beside a service that writes calls', () => {
  /**
   * A call the new code writes, or the retention deletes, between the backfill's read and its update: produced by
   * running that write just before the backfill's first update reaches the table (no real scheduler interleaves them
   * on demand).
   */
  it('leaves a call written meanwhile with its keys as it is, and does not bring back a call deleted meanwhile', async () => {
    const name = `${base}-race`;
    await createTableOf(dynamo.endpoint, name, tableAtStep('add-lead'));
    const real: Table = { doc: table.doc, name };
    const [rewritten, deleted] = [nextCall('acme', 'u-1', 'L1'), nextCall('acme', 'u-2', undefined)];
    writtenCalls.splice(-2);
    for (const call of [rewritten, deleted]) await real.doc.send(new PutCommand({ TableName: name, Item: itemOf(call, 'legacy') }));
    const meanwhile = [
      () =>
        real.doc.send(
          new UpdateCommand({
            TableName: name,
            Key: { pk: tenantPk('acme'), sk: `CALL#${rewritten.callId}` },
            UpdateExpression: 'SET cs = :cs, ct = :ct',
            ExpressionAttributeValues: { ':cs': 'by-the-new-code', ':ct': 'acme' },
          }),
        ),
      () => real.doc.send(new DeleteCommand({ TableName: name, Key: { pk: tenantPk('acme'), sk: `CALL#${deleted.callId}` } })),
    ];
    const racing: Table = {
      name,
      doc: {
        send: async (command: unknown) => {
          if (command instanceof UpdateCommand) await meanwhile.shift()?.();
          return real.doc.send(command as never);
        },
      } as unknown as Table['doc'],
    };

    const report = await backfillCallIndexKeys(racing, { pageSize: 1 });
    expect(report).toMatchObject({ callItems: 2, backfilled: 0, refused: 2, alreadyHadKeys: 0, skipped: 0 });
    const kept = await real.doc.send(new GetCommand({ TableName: name, Key: { pk: tenantPk('acme'), sk: `CALL#${rewritten.callId}` } }));
    expect(kept.Item?.cs).toBe('by-the-new-code');
    const gone = await real.doc.send(new GetCommand({ TableName: name, Key: { pk: tenantPk('acme'), sk: `CALL#${deleted.callId}` } }));
    expect(gone.Item).toBeUndefined();
  });
});
