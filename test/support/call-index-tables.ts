/**
 * The table definitions of the move to the keys-only call indexes, for the tests that run it: the steps as
 * resources/table-indexes.js (what serverless.yml deploys) derives them, from the final schema.
 *
 * The final schema is lib/store/table-schema.json with gsi3 out and the three keys-only indexes in, as
 * lib/store/call-index-keys.ts names them: the identity once the schema file is the final one, and the final shape
 * before it is, so the tests state their tables themselves and do not depend on which the file holds.
 */
import { createRequire } from 'node:module';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import tableSchema from '../../lib/store/table-schema.json';
import legacySchema from '../../lib/store/table-schema-legacy.json';
import { CALL_INDEX, CALL_INDEX_ATTR } from '../../lib/store/call-index-keys';

export interface KeyElement {
  AttributeName: string;
  KeyType: string;
}
export interface IndexDefinition {
  IndexName: string;
  KeySchema: KeyElement[];
  Projection: { ProjectionType: string };
}
export interface TableDefinition {
  AttributeDefinitions: Array<{ AttributeName: string; AttributeType: string }>;
  KeySchema: KeyElement[];
  GlobalSecondaryIndexes: IndexDefinition[];
}
export interface TableAtStep extends TableDefinition {
  callIndexes: 'narrow' | 'migrating' | 'switched';
}
interface TableIndexesModule {
  STEPS: string[];
  DEFAULT_STEP: string;
  tableAt(
    step: string,
    schema: TableDefinition,
    legacy: Pick<TableDefinition, 'AttributeDefinitions' | 'GlobalSecondaryIndexes'>,
  ): TableAtStep;
}

export const tableIndexes = createRequire(import.meta.url)('../../resources/table-indexes.js') as TableIndexesModule;
export const legacyTableSchema = legacySchema as Pick<TableDefinition, 'AttributeDefinitions' | 'GlobalSecondaryIndexes'>;

const keysOnly = (name: string, hash: string): IndexDefinition => ({
  IndexName: name,
  KeySchema: [
    { AttributeName: hash, KeyType: 'HASH' },
    { AttributeName: CALL_INDEX_ATTR.time, KeyType: 'RANGE' },
  ],
  Projection: { ProjectionType: 'KEYS_ONLY' },
});

/** The final table: the schema file's, with gsi3 out and the keys-only call indexes in. */
export function finalTableSchema(schema: TableDefinition = tableSchema): TableDefinition {
  const narrow = [
    keysOnly(CALL_INDEX.byTenant, CALL_INDEX_ATTR.tenant),
    keysOnly(CALL_INDEX.byAgent, CALL_INDEX_ATTR.agent),
    keysOnly(CALL_INDEX.byLead, CALL_INDEX_ATTR.lead),
  ];
  const legacyAttrs = new Set(legacyTableSchema.AttributeDefinitions.map((d) => d.AttributeName));
  const indexes = [
    ...schema.GlobalSecondaryIndexes.filter((index) => index.IndexName !== 'gsi3'),
    ...narrow.filter((index) => !schema.GlobalSecondaryIndexes.some((i) => i.IndexName === index.IndexName)),
  ];
  const attrs = [CALL_INDEX_ATTR.tenant, CALL_INDEX_ATTR.agent, CALL_INDEX_ATTR.lead, CALL_INDEX_ATTR.time];
  return {
    AttributeDefinitions: [
      ...schema.AttributeDefinitions.filter((d) => !legacyAttrs.has(d.AttributeName)),
      ...attrs
        .filter((name) => !schema.AttributeDefinitions.some((d) => d.AttributeName === name))
        .map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    ],
    KeySchema: schema.KeySchema,
    GlobalSecondaryIndexes: indexes,
  };
}

/** The table at one step of the migration, from the final schema. */
export const tableAtStep = (step: string, schema: TableDefinition = finalTableSchema()) =>
  tableIndexes.tableAt(step, schema, legacyTableSchema);

/** Creates a dynalite table of this definition (dynalite makes it ACTIVE at once: createTableMs 0). */
export async function createTableOf(endpoint: string, tableName: string, definition: TableDefinition): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: definition.AttributeDefinitions as never,
        KeySchema: definition.KeySchema as never,
        GlobalSecondaryIndexes: definition.GlobalSecondaryIndexes as never,
      }),
    );
  } finally {
    client.destroy();
  }
}
