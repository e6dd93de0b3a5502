/**
 * The table definitions of the move to the keys-only call indexes, for the tests that run it: the steps as
 * resources/table-indexes.js (what serverless.yml deploys) derives them from the final schema,
 * lib/store/table-schema.json (the keys-only call indexes, no gsi3).
 */
import { createRequire } from 'node:module';
import { createTable } from '../../local/dynamo';
import tableSchema from '../../lib/store/table-schema.json';
import legacySchema from '../../lib/store/table-schema-legacy.json';

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
  /** Per function that lists calls, the CloudFormation ARNs of the indexes its role may query in a mode. */
  listingIndexes(mode: string): Record<string, Array<{ 'Fn::Join': [string, [unknown, string]] }>>;
}

export const tableIndexes = createRequire(import.meta.url)('../../resources/table-indexes.js') as TableIndexesModule;
export const legacyTableSchema = legacySchema as Pick<TableDefinition, 'AttributeDefinitions' | 'GlobalSecondaryIndexes'>;

/** The final table: lib/store/table-schema.json as it is (the keys-only call indexes, no gsi3). */
export const finalTableSchema = (): TableDefinition => tableSchema;

/** The table at one step of the migration, from the final schema. */
export const tableAtStep = (step: string, schema: TableDefinition = finalTableSchema()) =>
  tableIndexes.tableAt(step, schema, legacyTableSchema);

/** Creates a dynalite table of this definition (local/dynamo.ts, as the local stack creates its table). */
export const createTableOf = (endpoint: string, tableName: string, definition: TableDefinition): Promise<void> =>
  createTable(endpoint, tableName, definition);
