import { randomUUID } from 'node:crypto';
import { createDocumentClient, type Table } from '../../lib/store/client';
import { createTableOf, tableAtStep } from './call-index-tables';

/**
 * A table of the migration's middle (docs/operations.md, "Narrowing the call indexes"): the `switched` step, the final
 * table of lib/store/table-schema.json with the old whole-item tenant index (gsi3) still beside the keys-only ones, so
 * the same calls can be listed in `migrating` mode (gsi1-gsi3) and in `switched` or `narrow` mode (the keys-only indexes).
 */
export async function createStagedTable(endpoint: string): Promise<Table> {
  const name = `c2c-staged-${randomUUID().slice(0, 8)}`;
  await createTableOf(endpoint, name, tableAtStep('switched'));
  return { doc: createDocumentClient({ region: 'local', endpoint }), name };
}
