/**
 * resources/table-indexes.js: the table's indexes and the functions' CALL_INDEXES at each `callIndexes` step of
 * docs/operations.md ("Narrowing the call indexes"), derived from the final schema. DynamoDB creates or deletes one
 * global secondary index per table update, and CloudFormation refuses an attribute definition no key uses.
 */
import { describe, expect, it } from 'vitest';
import { finalTableSchema, tableAtStep, tableIndexes, type TableDefinition } from '../../support/call-index-tables';

const SEQUENCE = ['legacy', 'add-tenant', 'add-agent', 'add-lead', 'switched', 'legacy-off', 'done'];
const final = finalTableSchema();
const names = (table: TableDefinition) => table.GlobalSecondaryIndexes.map((index) => index.IndexName);

describe('the callIndexes steps of the table', () => {
  it('are the sequence of the runbook, done by default', () => {
    expect(tableIndexes.STEPS).toEqual(SEQUENCE);
    expect(tableIndexes.DEFAULT_STEP).toBe('done');
  });

  it('start from the table deployed before the keys-only indexes: gsi1 to gsi6, gsi3 projecting whole calls', () => {
    const legacy = tableAtStep('legacy');
    expect(names(legacy)).toEqual(['gsi1', 'gsi2', 'gsi3', 'gsi4', 'gsi5', 'gsi6']);
    expect(legacy.GlobalSecondaryIndexes.find((index) => index.IndexName === 'gsi3')).toEqual({
      IndexName: 'gsi3',
      KeySchema: [
        { AttributeName: 'gsi3pk', KeyType: 'HASH' },
        { AttributeName: 'gsi3sk', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    });
  });

  it('each add or remove at most one index against the step before, and leave every other index as it was', () => {
    const changes = SEQUENCE.slice(1).map((step, i) => {
      const before = tableAtStep(SEQUENCE[i]!);
      const after = tableAtStep(step);
      for (const index of after.GlobalSecondaryIndexes.filter((x) => names(before).includes(x.IndexName))) {
        expect(index, `${step}: ${index.IndexName}`).toEqual(before.GlobalSecondaryIndexes.find((x) => x.IndexName === index.IndexName));
      }
      return {
        step,
        added: names(after).filter((name) => !names(before).includes(name)),
        removed: names(before).filter((name) => !names(after).includes(name)),
      };
    });
    expect(changes).toEqual([
      { step: 'add-tenant', added: ['callsByTenant'], removed: [] },
      { step: 'add-agent', added: ['callsByAgent'], removed: [] },
      { step: 'add-lead', added: ['callsByLead'], removed: [] },
      { step: 'switched', added: [], removed: [] },
      { step: 'legacy-off', added: [], removed: [] },
      { step: 'done', added: [], removed: ['gsi3'] },
    ]);
  });

  it('give the functions migrating until all three indexes are there, then switched, then narrow', () => {
    expect(SEQUENCE.map((step) => [step, tableAtStep(step).callIndexes])).toEqual([
      ['legacy', 'migrating'],
      ['add-tenant', 'migrating'],
      ['add-agent', 'migrating'],
      ['add-lead', 'migrating'],
      ['switched', 'switched'],
      ['legacy-off', 'narrow'],
      ['done', 'narrow'],
    ]);
  });

  it('define exactly the attributes their keys use, once each, and keep the table key', () => {
    for (const step of SEQUENCE) {
      const table = tableAtStep(step);
      const used = [...table.KeySchema, ...table.GlobalSecondaryIndexes.flatMap((index) => index.KeySchema)].map(
        (key) => key.AttributeName,
      );
      const defined = table.AttributeDefinitions.map((d) => d.AttributeName);
      expect(new Set(defined).size, step).toBe(defined.length);
      expect([...defined].sort(), step).toEqual([...new Set(used)].sort());
      expect(
        table.AttributeDefinitions.every((d) => d.AttributeType === 'S'),
        step,
      ).toBe(true);
      expect(table.KeySchema, step).toEqual(final.KeySchema);
    }
    expect(tableAtStep('add-agent').AttributeDefinitions.map((d) => d.AttributeName)).toEqual(
      expect.arrayContaining(['ct', 'cs', 'ca', 'gsi3pk', 'gsi3sk']),
    );
    expect(tableAtStep('add-agent').AttributeDefinitions.map((d) => d.AttributeName)).not.toContain('cl');
  });

  it('end at the schema file as it is: what a fresh install deploys', () => {
    const { callIndexes, ...done } = tableAtStep('done');
    expect(callIndexes).toBe('narrow');
    expect(done).toEqual(final);
    expect(names(done)).not.toContain('gsi3');
  });

  it('refuse a step they do not know, and a step whose index the schema file lacks, by name', () => {
    expect(() => tableAtStep('add-everything')).toThrow(
      'callIndexes=add-everything: expected one of legacy, add-tenant, add-agent, add-lead, switched, legacy-off, done',
    );
    const withoutLead = {
      ...final,
      GlobalSecondaryIndexes: final.GlobalSecondaryIndexes.filter((index) => index.IndexName !== 'callsByLead'),
    };
    expect(() => tableAtStep('add-lead', withoutLead)).toThrow('callIndexes=add-lead needs index callsByLead');
    expect(names(tableAtStep('add-agent', withoutLead))).toContain('callsByAgent');
  });

  it('give the listing roles the indexes their mode reads: gsi1-gsi3 while migrating, the keys-only ones from the switch on', () => {
    const indexNames = (mode: string) =>
      Object.fromEntries(
        Object.entries(tableIndexes.listingIndexes(mode)).map(([fn, arns]) => [fn, arns.map((arn) => arn['Fn::Join'][1][1])]),
      );
    expect(indexNames('migrating')).toEqual({
      callsList: ['/index/gsi1', '/index/gsi2', '/index/gsi3'],
      statsAgents: ['/index/gsi2', '/index/gsi3'],
    });
    const narrow = {
      callsList: ['/index/callsByLead', '/index/callsByAgent', '/index/callsByTenant'],
      statsAgents: ['/index/callsByAgent', '/index/callsByTenant'],
    };
    expect(indexNames('switched')).toEqual(narrow);
    expect(indexNames('narrow')).toEqual(narrow);
    // Every step's mode has its grants, and every index they name exists at that step.
    for (const step of SEQUENCE) {
      const at = tableAtStep(step);
      for (const arns of Object.values(tableIndexes.listingIndexes(at.callIndexes)))
        for (const arn of arns) expect(names(at), step).toContain(arn['Fn::Join'][1][1].replace('/index/', ''));
    }
  });
});
