import { PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoMeter } from '../../../bench/dynamo-meter';
import { watchDynaliteKeys } from '../../../bench/dynalite-keys';
import { compareRankings, countWrites, predictHottest, type LoadCall } from '../../../bench/load-ranking';
import type { Ids, KeyLoad } from '../../../bench/partition-keys';
import { createDocumentClient } from '../../../lib/store/client';
import { createTable, startDynalite, type LocalDynamo } from '../../../local/dynamo';

const ids: Ids = { tenant: ['a', 'b'], team: ['sales'], agent: ['u1', 'u2'], lead: [], number: [], call: ['c1', 'c2', 'c3'] };
const load = (template: string, fanIn: KeyLoad['fanIn'], writes: Record<string, number>): KeyLoad => ({
  index: 'table',
  template,
  fanIn,
  spread: 1,
  stages: ['request'],
  perKind: Object.fromEntries(Object.entries(writes).map(([k, w]) => [k, { wcu: w, rcu: 0, requests: w, writes: w }])),
  byStage: {},
  ceiling: 1000,
  setBy: Object.keys(writes)[0]!,
  scopes: { service: Infinity, tenant: 1000, team: 1000 },
});
const calls: LoadCall[] = [
  { kind: 'immediate', tenantId: 'a', agent: 'u1', callId: 'c1' },
  { kind: 'immediate', tenantId: 'a', agent: 'u2', callId: 'c2' },
  { kind: 'team', tenantId: 'b', team: 'sales', agent: 'u1', callId: 'c3' },
];

describe("the model's prediction for a run", () => {
  it.each([
    ['a tenant key: its writes per call over the busiest tenant', load('RATE#{tenant}', 'one tenant', { immediate: 1, team: 1 }), 2],
    ['a team key: only calls that named the team', load('TEAM#{team}', 'one team', { team: 3 }), 3],
    ['an agent key: the busiest agent (one per tenant)', load('LOCK#{agent}', 'one agent', { immediate: 2, team: 5 }), 5],
    ['a call key: one call of the kind that writes it most', load('CALL#{call}', 'one call', { immediate: 7, team: 9 }), 9],
    ['a shared key: every call', load('SHARED', 'all tenants', { immediate: 1, team: 1 }), 3],
  ])('%s', (_, key, predicted) => {
    expect(predictHottest(key, calls)).toBe(predicted);
  });
});

describe('dynalite against the model', () => {
  it('counts writes per unit of heat, groups them by template at their hottest instance, and ranks both', () => {
    const counts = countWrites([
      { access: 'write', index: 'table', pk: 'TENANT#a', sk: 'CALL#c1' },
      { access: 'write', index: 'table', pk: 'TENANT#a', sk: 'CALL#c1' },
      { access: 'write', index: 'table', pk: 'TENANT#a', sk: 'CALL#c2' },
      { access: 'write', index: 'table', pk: 'TENANT#a#RATE', sk: 'tenant#1764428675' },
      { access: 'write', index: 'table', pk: 'TENANT#a#RATE', sk: 'tenant#1764428676' },
      { access: 'write', index: 'table', pk: 'TENANT#a#RATE', sk: 'tenant#1764428677' },
      { access: 'read', index: 'table', pk: 'TENANT#a', sk: 'TENANT' },
    ]);
    expect(counts).toEqual(
      new Map([
        ['TENANT#a | CALL#c1', 2],
        ['TENANT#a | CALL#c2', 1],
        ['TENANT#a#RATE | tenant#{time}', 3],
      ]),
    );
    const loads = [
      load('TENANT#{tenant}#RATE | tenant#{time}', 'one tenant', { immediate: 1.5 }),
      load('TENANT#{tenant} | CALL#{call}', 'one call', { immediate: 2 }),
    ];
    const ranked = compareRankings(counts, ids, loads, calls);
    expect(ranked.keys).toEqual([
      { template: 'TENANT#{tenant}#RATE | tenant#{time}', fanIn: 'one tenant', counted: 3, predicted: 3 },
      { template: 'TENANT#{tenant} | CALL#{call}', fanIn: 'one call', counted: 2, predicted: 2 },
    ]);
    expect(ranked.correlation).toBe(1);
    expect(ranked.sameHottest).toBe(true);
  });
});

describe('the meter against dynalite, key by key', () => {
  let dynamo: LocalDynamo;
  const tableName = 'bench-keys';
  beforeAll(async () => {
    dynamo = await startDynalite();
    await createTable(dynamo.endpoint, tableName);
  });
  afterAll(() => dynamo.close());

  it("names the keys each request reached, as dynalite received them, leaving out the meter's own reads", async () => {
    const seen = watchDynaliteKeys(dynamo.port);
    const meter = new DynamoMeter(dynamo.endpoint, tableName);
    const doc = createDocumentClient({ region: 'local', endpoint: dynamo.endpoint });
    meter.instrument(doc);
    try {
      meter.billing = true;
      await doc.send(
        new PutCommand({
          TableName: tableName,
          Item: { pk: 'TENANT#k', sk: 'CALL#1', ct: 'k', cs: '2026-12-07T00:00:00Z' },
        }),
      );
      await doc.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: 'TENANT#k', sk: 'CALL#1' },
          UpdateExpression: 'SET s = :s',
          ExpressionAttributeValues: { ':s': 'x' },
        }),
      );
      await doc.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: 'callsByTenant',
          KeyConditionExpression: 'ct = :pk',
          ExpressionAttributeValues: { ':pk': 'k' },
        }),
      );
      meter.billing = false;
      // The meter read each item before and after each write, and the query again: none of it is counted.
      expect(seen.requests().map((r) => [r.operation, r.targets])).toEqual([
        ['PutItem', [{ access: 'write', index: 'table', pk: 'TENANT#k', sk: 'CALL#1' }]],
        ['UpdateItem', [{ access: 'write', index: 'table', pk: 'TENANT#k', sk: 'CALL#1' }]],
        ['Query', [{ access: 'read', index: 'callsByTenant', pk: 'k' }]],
      ]);
      const [put, , query] = meter.billed;
      expect(put!.writes[0]!.indexes.map((i) => [i.index, i.pk, i.sk])).toEqual([['callsByTenant', 'k', '2026-12-07T00:00:00Z']]);
      expect(query!.reads).toEqual([{ index: 'callsByTenant', pk: 'k', rru: 0.5 }]);
    } finally {
      seen.stop();
      doc.destroy();
      meter.destroy();
    }
  });
});
