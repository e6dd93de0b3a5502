import { describe, expect, it } from 'vitest';
import {
  ceilingFor,
  classify,
  containerLoads,
  containerTouchIds,
  heatUnit,
  keyLoads,
  lowestCeilings,
  requestTargets,
  type Ids,
  type KindRun,
  type Touch,
} from '../../../bench/partition-keys';
import { rankCorrelation } from '../../../bench/load-ranking';
import { subtractTouches, touchesOf } from '../../../bench/partition-flows';
import { replaceSection } from '../../../bench/sections';

const schema = {
  keys: ['pk', 'sk'],
  indexes: [
    { name: 'gsi3', keys: ['gsi3pk', 'gsi3sk'] },
    { name: 'gsi6', keys: ['gsi6pk'] },
    { name: 'callsByAgent', keys: ['ca', 'cs'] },
  ],
};
const S = (s: string) => ({ S: s });

describe('the partitions a request reaches, from its wire body', () => {
  it.each([
    [
      'PutItem',
      { Item: { pk: S('TENANT#a'), sk: S('CALL#c1'), x: S('1') } },
      [{ access: 'write', index: 'table', pk: 'TENANT#a', sk: 'CALL#c1' }],
    ],
    [
      'UpdateItem',
      { Key: { pk: S('TENANT#a'), sk: S('AGENTLOCK#u1') } },
      [{ access: 'write', index: 'table', pk: 'TENANT#a', sk: 'AGENTLOCK#u1' }],
    ],
    ['DeleteItem', { Key: { pk: S('P'), sk: S('Q') } }, [{ access: 'write', index: 'table', pk: 'P', sk: 'Q' }]],
    ['GetItem', { Key: { pk: S('TENANT#a'), sk: S('TENANT') } }, [{ access: 'read', index: 'table', pk: 'TENANT#a', sk: 'TENANT' }]],
    [
      'BatchGetItem',
      {
        RequestItems: {
          t: {
            Keys: [
              { pk: S('A'), sk: S('1') },
              { pk: S('A'), sk: S('2') },
            ],
          },
        },
      },
      [
        { access: 'read', index: 'table', pk: 'A', sk: '1' },
        { access: 'read', index: 'table', pk: 'A', sk: '2' },
      ],
    ],
    [
      'BatchWriteItem',
      {
        RequestItems: { t: [{ PutRequest: { Item: { pk: S('A'), sk: S('1') } } }, { DeleteRequest: { Key: { pk: S('B'), sk: S('2') } } }] },
      },
      [
        { access: 'write', index: 'table', pk: 'A', sk: '1' },
        { access: 'write', index: 'table', pk: 'B', sk: '2' },
      ],
    ],
    [
      'TransactWriteItems',
      { TransactItems: [{ Put: { Item: { pk: S('A'), sk: S('1') } } }, { ConditionCheck: { Key: { pk: S('B'), sk: S('2') } } }] },
      [
        { access: 'write', index: 'table', pk: 'A', sk: '1' },
        { access: 'write', index: 'table', pk: 'B', sk: '2' },
      ],
    ],
    [
      'Query',
      {
        IndexName: 'gsi3',
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
        ExpressionAttributeNames: { '#pk': 'gsi3pk', '#sk': 'gsi3sk' },
        ExpressionAttributeValues: { ':pk': S('TENANT#a#CALLS'), ':from': S('2026-01-01'), ':to': S('2026-02-01') },
      },
      [{ access: 'read', index: 'gsi3', pk: 'TENANT#a#CALLS', sk: '2026-01-01' }],
    ],
    [
      'Query',
      {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': S('TENANT#a'), ':prefix': S('TEAM#sales#AGENT#') },
      },
      [{ access: 'read', index: 'table', pk: 'TENANT#a', sk: 'TEAM#sales#AGENT#' }],
    ],
    [
      'Query',
      { IndexName: 'gsi6', KeyConditionExpression: 'gsi6pk = :pk', ExpressionAttributeValues: { ':pk': S('TENANT#a#PBXUID#9') } },
      [{ access: 'read', index: 'gsi6', pk: 'TENANT#a#PBXUID#9' }],
    ],
    [
      'Query',
      {
        IndexName: 'callsByAgent',
        KeyConditionExpression: '#pk = :pk AND #sk <= :to',
        ExpressionAttributeNames: { '#pk': 'ca', '#sk': 'cs' },
        ExpressionAttributeValues: { ':pk': S('a#u1'), ':to': S('2026-02-01~') },
      },
      [{ access: 'read', index: 'callsByAgent', pk: 'a#u1', sk: '2026-02-01~' }],
    ],
    [
      'BatchGetItem',
      {
        RequestItems: {
          t: {
            Keys: [
              { pk: S('TENANT#a'), sk: S('CALL#c1') },
              { pk: S('TENANT#a'), sk: S('CALL#c2') },
            ],
          },
        },
      },
      [
        { access: 'read', index: 'table', pk: 'TENANT#a', sk: 'CALL#c1' },
        { access: 'read', index: 'table', pk: 'TENANT#a', sk: 'CALL#c2' },
      ],
    ],
    ['Scan', {}, [{ access: 'read', index: 'table', pk: '*' }]],
    ['DescribeTable', {}, []],
  ])('%s', (operation, body, expected) => {
    expect(requestTargets(operation, body, schema)).toEqual(expected);
  });
});

describe('the unit of heat a key falls in', () => {
  it.each([
    ['no sort key: the partition key', { pk: 'TENANT#a#PBXUID#9' }, 'TENANT#a#PBXUID#9'],
    [
      'an ISO time in the sort key: the partition and the prefix before it',
      { pk: 'TENANT#a#CALLS', sk: '2026-12-07T07:54:02.970Z#c_1' },
      'TENANT#a#CALLS | {time}',
    ],
    ['an epoch window: the same', { pk: 'TENANT#a#RATE', sk: 'tenant#1764428675' }, 'TENANT#a#RATE | tenant#{time}'],
    ['a millisecond window under a prefix', { pk: 'PACE#hubspot#a', sk: 'WINDOW#1764428675123' }, 'PACE#hubspot#a | WINDOW#{time}'],
    [
      'a time after ids in the sort key',
      { pk: 'TENANT#a', sk: 'CALL#c_1#PBXEVENT#2026-12-07T07:54:02.970Z#1' },
      'TENANT#a | CALL#c_1#PBXEVENT#{time}',
    ],
    ['any other sort key: the item (split for heat)', { pk: 'TENANT#a', sk: 'AGENTLOCK#u1' }, 'TENANT#a | AGENTLOCK#u1'],
    ['a query of a prefix: its range', { pk: 'TENANT#a', sk: 'TEAM#sales#AGENT#', range: true }, 'TENANT#a | TEAM#sales#AGENT#*'],
    ['a query of the whole partition', { pk: 'WORK#due#3', range: true }, 'WORK#due#3 | *'],
    ['a keys-only call index: the creation instant alone is the sort key', { pk: 'a#u1', sk: '2026-12-07T07:54:02.970Z' }, 'a#u1 | {time}'],
  ])('%s', (_, target, unit) => {
    expect(heatUnit(target)).toBe(unit);
  });
});

const ids: Ids = {
  tenant: ['acme', 'keyhash1'],
  team: ['sales'],
  agent: ['u1', '1000', 'al@acme.example'],
  lead: ['lead-7'],
  number: ['+447766900001', '447766900001'],
  call: ['c_1', '1764.1'],
};

describe("a key's template and fan-in, from the ids it holds", () => {
  it.each([
    ['WORK#due#3 | *', 'WORK#due#{n} | *', 'all tenants', '3'],
    ['TENANT#acme#CALLS | {time}', 'TENANT#{tenant}#CALLS | {time}', 'one tenant', undefined],
    ['APIKEY#keyhash1 | APIKEY', 'APIKEY#{tenant} | APIKEY', 'one tenant', undefined],
    ['PENDING#acme#2 | {time}', 'PENDING#{tenant}#{n} | {time}', 'one tenant', '2'],
    ['WORK#notify#11 | acme', 'WORK#notify#{n} | {tenant}', 'one tenant', '11'],
    ['TENANT#acme | TEAM#sales#AGENT#*', 'TENANT#{tenant} | TEAM#{team}#AGENT#*', 'one team', undefined],
    ['TENANT#acme | AGENTLOCK#u1', 'TENANT#{tenant} | AGENTLOCK#{agent}', 'one agent', undefined],
    ['TENANT#acme#AGENTEMAIL#al@acme.example | *', 'TENANT#{tenant}#AGENTEMAIL#{agent} | *', 'one agent', undefined],
    ['TENANT#acme#LEAD#lead-7 | {time}', 'TENANT#{tenant}#LEAD#{lead} | {time}', 'one lead', undefined],
    ['TENANT#acme#RATE | dest#447766900001#{time}', 'TENANT#{tenant}#RATE | dest#{number}#{time}', 'one number', undefined],
    ['TENANT#acme | CALL#c_1', 'TENANT#{tenant} | CALL#{call}', 'one call', undefined],
    ['TENANT#acme#PBXUID#1764.1', 'TENANT#{tenant}#PBXUID#{call}', 'one call', undefined],
    ['TENANT#other | CALL#c_9', 'TENANT#other | CALL#c_9', 'all tenants', undefined],
    // The keys-only call indexes (lib/store/call-index-keys.ts): the tenant's id alone, or `{tenant}#{agent|lead}`.
    ['acme | {time}', '{tenant} | {time}', 'one tenant', undefined],
    ['acme#u1 | {time}', '{tenant}#{agent} | {time}', 'one agent', undefined],
    ['acme#lead-7 | {time}', '{tenant}#{lead} | {time}', 'one lead', undefined],
    ['other#u1 | {time}', 'other#{agent} | {time}', 'one agent', undefined],
  ])('%s', (unit, template, fanIn, shard) => {
    const c = classify(unit, ids);
    expect([c.template, c.fanIn, c.shard]).toEqual([template, fanIn, shard]);
  });

  it("keeps a shard's ids in its family: a tenant's shards are one family, a bucket's tenants are each their own", () => {
    expect(classify('PENDING#acme#2 | {time}', ids).family).toBe('PENDING#acme#{n} | {time}');
    expect(classify('WORK#notify#11 | acme', ids).family).toBe('WORK#notify#{n} | acme');
  });
});

const touch = (unit: string, index: string, stage: string, wcu: number, rcu = 0): Touch => ({
  unit,
  index,
  stage,
  wcu,
  rcu,
  requests: index === 'table' ? 1 : 0,
  writes: index === 'table' && wcu > 0 ? 1 : 0,
});

describe('load per call and ceilings', () => {
  const two: Ids = { ...ids, tenant: ['acme', 'beta'], call: ['c_1', 'c_2', 'c_3', 'c_4'] };
  const runs: KindRun[] = [
    {
      kind: 'immediate',
      team: false,
      calls: [
        [
          touch('TENANT#acme#CALLS | {time}', 'gsi3', 'request', 2),
          touch('TENANT#acme#CALLS | {time}', 'gsi3', 'notify', 2),
          touch('PENDING#acme#0 | {time}', 'gsi4', 'request', 1),
        ],
        [touch('TENANT#beta#CALLS | {time}', 'gsi3', 'request', 2), touch('PENDING#beta#1 | {time}', 'gsi4', 'request', 1)],
        [
          touch('TENANT#acme#CALLS | {time}', 'gsi3', 'request', 2),
          touch('PENDING#acme#1 | {time}', 'gsi4', 'request', 1),
          touch('WORK#due#3 | *', 'gsi4', 'request', 0, 0.5),
        ],
      ],
    },
    {
      kind: 'team',
      team: true,
      calls: [
        [touch('TENANT#acme | TEAM#sales#AGENT#*', 'table', 'request', 0, 2), touch('TENANT#acme#CALLS | {time}', 'gsi3', 'request', 5)],
      ],
    },
  ];
  const loads = keyLoads(runs, two);
  const byTemplate = (t: string) => loads.find((l) => l.template === t)!;

  it('takes the most one call of a kind put on a key, summed over the stages of its life', () => {
    expect(byTemplate('TENANT#{tenant}#CALLS | {time}').perKind.immediate).toMatchObject({ wcu: 4, rcu: 0 });
    expect(byTemplate('TENANT#{tenant}#CALLS | {time}').byStage.immediate).toEqual({
      request: { wcu: 2, rcu: 0 },
      notify: { wcu: 2 / 3, rcu: 0 },
    });
  });

  it("divides a sharded key's units over the shards one tenant's calls were seen on", () => {
    const pending = byTemplate('PENDING#{tenant}#{n} | {time}');
    expect(pending.spread).toBe(2);
    expect(pending.perKind.immediate!.wcu).toBe(0.5);
    expect(pending.ceiling).toBe(2000);
  });

  it('the ceiling: the limits over the units of the kind that loads the key most; the scopes its fan-in bounds', () => {
    const calls = byTemplate('TENANT#{tenant}#CALLS | {time}');
    expect([calls.ceiling, calls.setBy]).toEqual([200, 'team']);
    expect(calls.scopes).toEqual({ service: Infinity, tenant: 200, team: 200 });
    const team = byTemplate('TENANT#{tenant} | TEAM#{team}#AGENT#*');
    expect(team.scopes).toEqual({ service: Infinity, tenant: Infinity, team: 1500 });
    const shared = byTemplate('WORK#due#{n} | *');
    expect(shared.scopes).toEqual({ service: 6000, tenant: 6000, team: Infinity });
  });

  describe("a container's touches: spared by a cache, not paid per call", () => {
    const marker = (tenant: string, stage = 'request') => touch(`TENANT#${tenant} | WORK#notify`, 'table', stage, 1);
    const listing = (tenant: string) => touch(`${tenant} | {time}`, 'callsByTenant', 'request', 1);
    // Four calls over two tenants in 10 s: each tenant's marker refreshed once; every call writes its listing.
    const cachedRun: KindRun = {
      kind: 'immediate',
      team: false,
      seconds: 10,
      calls: [[marker('acme'), listing('acme')], [marker('beta'), listing('beta')], [listing('acme')], [listing('beta')]],
    };
    const two: Ids = { ...ids, tenant: ['acme', 'beta'] };

    it.each([
      {
        case: 'paid by some calls, once per tenant in one lifetime',
        run: cachedRun,
        interval: 30_000,
        cached: ['table TENANT#{tenant} | WORK#notify request'],
      },
      {
        case: "paid by more calls than lifetimes allow: a call's, not a cache's",
        run: { ...cachedRun, calls: [...cachedRun.calls, [marker('acme'), listing('acme')], [listing('acme')]] },
        interval: 30_000,
        cached: [],
      },
      {
        case: 'enough lifetimes in the run for every payment',
        run: { ...cachedRun, seconds: 65, calls: [...cachedRun.calls, [marker('acme'), listing('acme')], [listing('acme')]] },
        interval: 30_000,
        cached: ['table TENANT#{tenant} | WORK#notify request'],
      },
      {
        case: 'paid by every call through the stage',
        run: { ...cachedRun, calls: cachedRun.calls.slice(0, 2) },
        interval: 30_000,
        cached: [],
      },
      { case: 'a run with no duration tells nothing apart', run: { ...cachedRun, seconds: undefined }, interval: 30_000, cached: [] },
      {
        case: 'a stage the other calls never went through is not spared',
        run: { ...cachedRun, calls: [[marker('acme', 'dispatch'), listing('acme')], [listing('beta')]] },
        interval: 30_000,
        cached: [],
      },
    ])('$case', ({ run, interval, cached }) => {
      expect([...containerTouchIds(run, two, interval)]).toEqual(cached);
    });

    it('puts no units per call on the key, and counts it per container instead', () => {
      const loads = keyLoads([cachedRun], two, { cacheIntervalMs: 30_000 });
      const markerLoad = loads.find((l) => l.template === 'TENANT#{tenant} | WORK#notify')!;
      expect(markerLoad.perKind.immediate).toMatchObject({ wcu: 0, rcu: 0, writes: 0.5 });
      expect(markerLoad.ceiling).toBe(Infinity);
      expect(loads.find((l) => l.template === '{tenant} | {time}')!.perKind.immediate!.wcu).toBe(1);
      expect(keyLoads([cachedRun], two).find((l) => l.template === 'TENANT#{tenant} | WORK#notify')!.perKind.immediate!.wcu).toBe(1);
      expect(containerLoads([cachedRun], two, 30_000)).toEqual([
        {
          index: 'table',
          template: 'TENANT#{tenant} | WORK#notify',
          fanIn: 'one tenant',
          kind: 'immediate',
          stage: 'request',
          payers: 2,
          calls: 4,
          wcu: 1,
          rcu: 0,
          containers: 30_000,
          intervalMs: 30_000,
        },
      ]);
    });
  });

  it('lists the lowest ceilings of a scope, leaving out keys that do not bound it', () => {
    expect(lowestCeilings(loads, 'service').map((l) => l.template)).toEqual(['WORK#due#{n} | *']);
    expect(lowestCeilings(loads, 'tenant', 2).map((l) => l.template)).toEqual([
      'TENANT#{tenant}#CALLS | {time}',
      'PENDING#{tenant}#{n} | {time}',
    ]);
  });

  it.each([
    [{ wcu: 2, rcu: 0 }, 500],
    [{ wcu: 0, rcu: 0.5 }, 6000],
    [{ wcu: 1, rcu: 6 }, 500],
    [{ wcu: 0, rcu: 0 }, Infinity],
  ])('ceilingFor(%o) = %d calls/s', (units, calls) => {
    expect(ceilingFor(units)).toBe(calls);
  });
});

describe('touches of a billed request, and a dispatch less an idle poll', () => {
  it('puts a write on its item and on each index copy, a query read on its range', () => {
    const touches = touchesOf(
      {
        command: 'UpdateItem',
        rru: 0,
        reads: [],
        writes: [
          {
            command: 'UpdateItem',
            item: 'CALL',
            pk: 'TENANT#a',
            sk: 'CALL#c_1',
            bytes: 900,
            wcu: 1,
            refused: false,
            indexes: [{ index: 'gsi3', kind: 'update', pk: 'TENANT#a#CALLS', sk: '2026-12-07T07:54:02.970Z#c_1', bytes: 900, wcu: 1 }],
          },
        ],
      },
      'notify',
    );
    expect(touches.map((t) => [t.index, t.unit, t.wcu, t.writes])).toEqual([
      ['table', 'TENANT#a | CALL#c_1', 1, 1],
      ['gsi3', 'TENANT#a#CALLS | {time}', 1, 0],
    ]);
    const query = touchesOf({ command: 'Query', rru: 0.5, writes: [], reads: [{ index: 'gsi4', pk: 'WORK#due#3', rru: 0.5 }] }, 'poll');
    expect(query.map((t) => [t.index, t.unit, t.rcu, t.requests])).toEqual([['gsi4', 'WORK#due#3 | *', 0.5, 1]]);
  });

  it('takes away what the poll put on the same units, never below zero', () => {
    const dispatch = [
      touch('WORK#due#3 | *', 'gsi4', 'dispatch', 0, 0.5),
      touch('TENANT#a | CALL#c_1', 'table', 'dispatch', 2),
      touch('DUE#a#0 | *', 'gsi4', 'dispatch', 0, 1),
    ];
    const poll = [touch('WORK#due#3 | *', 'gsi4', 'poll', 0, 0.5), touch('DUE#a#0 | *', 'gsi4', 'poll', 0, 2)];
    expect(subtractTouches(dispatch, poll).map((t) => [t.unit, t.wcu, t.rcu])).toEqual([['TENANT#a | CALL#c_1', 2, 0]]);
  });
});

describe('rank correlation', () => {
  it.each([
    [[5, 3, 1], [50, 30, 10], 1],
    [[5, 3, 1], [10, 30, 50], -1],
    [[5, 3, 1, 0], [5, 1, 3, 0], 0.8],
    [[4], [9], 1],
  ])('of %o and %o is %d', (a, b, rho) => {
    expect(rankCorrelation(a, b)).toBeCloseTo(rho, 10);
  });

  it('gives ties their mean rank', () => {
    expect(rankCorrelation([2, 2, 1], [3, 3, 1])).toBeCloseTo(1, 10);
  });
});

describe('replacing a section of BENCHMARKS.md', () => {
  const doc = '# B\n\n## One\n\nold one\n\n## Two\n\ntwo\n';
  it('replaces only the section under its heading', () => {
    expect(replaceSection(doc, '## One', ['## One', '', 'new one', ''])).toBe('# B\n\n## One\n\nnew one\n\n## Two\n\ntwo\n');
  });
  it('adds a section that is not there yet at the end', () => {
    expect(replaceSection(doc, '## Three', ['## Three', '', 'three'])).toBe(`${doc.trimEnd()}\n\n## Three\n\nthree\n`);
  });
});
