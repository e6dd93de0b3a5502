/* eslint-disable @typescript-eslint/no-require-imports -- serverless loads this file with require(), as CommonJS */
'use strict';
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
/**
 * The table's indexes and the functions' CALL_INDEXES at each step of the move to the keys-only call indexes
 * (docs/operations.md, "Narrowing the call indexes"), chosen by the serverless parameter `callIndexes` (default
 * `done`: lib/store/table-schema.json as it is, what a fresh install gets).
 *
 * DynamoDB, and so CloudFormation, creates or deletes one global secondary index per table update: each step differs
 * from the one before by one index at most. The steps are derived from the final schema (lib/store/table-schema.json:
 * the keys-only indexes, no gsi3) and the old tenant index (lib/store/table-schema-legacy.json), so a change of either
 * file changes every step. AttributeDefinitions hold exactly the attributes the step's keys use: CloudFormation
 * refuses one that no key uses.
 *
 * Plain CommonJS: serverless.yml loads it with `${file(./resources/table-indexes.js):table.<property>}`, which calls
 * `table` with serverless' variable resolver.
 */

/** The keys-only call indexes, in the order the steps add them (lib/store/call-index-keys.ts, CALL_INDEX). */
const NARROW_INDEXES = ['callsByTenant', 'callsByAgent', 'callsByLead'];
const LEGACY_INDEX = 'gsi3';

/** Each step: how many keys-only indexes it has, whether it keeps gsi3, and the mode its functions run in. */
const STEPS = [
  // The table as deployed before the keys-only indexes (and what rolling back add-tenant deploys).
  { step: 'legacy', narrow: 0, legacy: true, callIndexes: 'migrating' },
  { step: 'add-tenant', narrow: 1, legacy: true, callIndexes: 'migrating' },
  { step: 'add-agent', narrow: 2, legacy: true, callIndexes: 'migrating' },
  { step: 'add-lead', narrow: 3, legacy: true, callIndexes: 'migrating' },
  { step: 'switched', narrow: 3, legacy: true, callIndexes: 'switched' },
  { step: 'legacy-off', narrow: 3, legacy: true, callIndexes: 'narrow' },
  { step: 'done', narrow: 3, legacy: false, callIndexes: 'narrow' },
];
const DEFAULT_STEP = 'done';

const readSchema = (file) => JSON.parse(readFileSync(join(__dirname, '..', 'lib', 'store', file), 'utf8'));
const byName = (indexes, name) => indexes.find((index) => index.IndexName === name);

/**
 * The table's AttributeDefinitions, KeySchema and GlobalSecondaryIndexes at `step`, and the CALL_INDEXES its functions
 * get. `done` is the schema file as it is; the other steps are it with gsi3 put back and the keys-only indexes the step
 * has not reached taken out.
 */
function tableAt(step, schema, legacy) {
  const at = STEPS.find((s) => s.step === step);
  if (!at) throw new Error(`callIndexes=${step}: expected one of ${STEPS.map((s) => s.step).join(', ')}`);
  if (at.step === DEFAULT_STEP) {
    return {
      AttributeDefinitions: schema.AttributeDefinitions,
      KeySchema: schema.KeySchema,
      GlobalSecondaryIndexes: schema.GlobalSecondaryIndexes,
      callIndexes: at.callIndexes,
    };
  }
  const legacyIndex = byName(legacy.GlobalSecondaryIndexes, LEGACY_INDEX);
  const others = schema.GlobalSecondaryIndexes.filter(
    (index) => !NARROW_INDEXES.includes(index.IndexName) && index.IndexName !== LEGACY_INDEX,
  );
  const kept = [...others, legacyIndex].sort((a, b) => a.IndexName.localeCompare(b.IndexName));
  const narrow = NARROW_INDEXES.slice(0, at.narrow).map((name) => {
    const index = byName(schema.GlobalSecondaryIndexes, name);
    if (!index) throw new Error(`callIndexes=${step} needs index ${name}, which lib/store/table-schema.json does not define`);
    return index;
  });
  const indexes = [...kept, ...narrow];
  const used = new Set([...schema.KeySchema, ...indexes.flatMap((index) => index.KeySchema)].map((key) => key.AttributeName));
  const definitions = [];
  for (const definition of [...schema.AttributeDefinitions, ...legacy.AttributeDefinitions]) {
    if (used.has(definition.AttributeName) && !definitions.some((d) => d.AttributeName === definition.AttributeName))
      definitions.push(definition);
  }
  return { AttributeDefinitions: definitions, KeySchema: schema.KeySchema, GlobalSecondaryIndexes: indexes, callIndexes: at.callIndexes };
}

/**
 * The indexes the call listings query in a mode, per function that lists calls: the old whole-item indexes while the
 * stage is `migrating`, the keys-only ones after the switch. Their roles name exactly these (resources/iam.yml), as
 * CloudFormation ARNs of the table's indexes.
 */
const LISTING_INDEXES = {
  migrating: { callsList: ['gsi1', 'gsi2', 'gsi3'], statsAgents: ['gsi2', 'gsi3'] },
  narrow: { callsList: ['callsByLead', 'callsByAgent', 'callsByTenant'], statsAgents: ['callsByAgent', 'callsByTenant'] },
};
const indexArn = (name) => ({ 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Table', 'Arn'] }, `/index/${name}`]] });

function listingIndexes(mode) {
  const names = LISTING_INDEXES[mode === 'migrating' ? 'migrating' : 'narrow'];
  return Object.fromEntries(Object.entries(names).map(([fn, indexes]) => [fn, indexes.map(indexArn)]));
}

module.exports = {
  STEPS: STEPS.map((s) => s.step),
  DEFAULT_STEP,
  tableAt,
  listingIndexes,
  /** For serverless.yml: the step named by `--param="callIndexes=<step>"`, from the repository's schema files. */
  table: async ({ resolveVariable }) => {
    const step = await resolveVariable(`param:callIndexes, '${DEFAULT_STEP}'`);
    const at = tableAt(step, readSchema('table-schema.json'), readSchema('table-schema-legacy.json'));
    return { ...at, listingIndexes: listingIndexes(at.callIndexes) };
  },
};
