import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import schema from '../../lib/store/table-schema.json';
import { createDocumentClient, type Table } from '../../lib/store/client';

/**
 * A table of the migration's middle (docs/operations.md, "Narrowing the call indexes"): the final table of
 * lib/store/table-schema.json with the old whole-item tenant index (gsi3) still beside the keys-only ones, so the same
 * calls can be listed in `migrating` mode (gsi1-gsi3) and in `switched` or `narrow` mode (the keys-only indexes).
 */
export async function createStagedTable(endpoint: string): Promise<Table> {
  const name = `c2c-staged-${randomUUID().slice(0, 8)}`;
  const client = new DynamoDBClient({ endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          ...(schema.AttributeDefinitions as Array<{ AttributeName: string; AttributeType: 'S' }>),
          { AttributeName: 'gsi3pk', AttributeType: 'S' },
          { AttributeName: 'gsi3sk', AttributeType: 'S' },
        ],
        KeySchema: schema.KeySchema as never,
        GlobalSecondaryIndexes: [
          ...(schema.GlobalSecondaryIndexes as never[]),
          {
            IndexName: 'gsi3',
            KeySchema: [
              { AttributeName: 'gsi3pk', KeyType: 'HASH' },
              { AttributeName: 'gsi3sk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
    for (let i = 0; i < 50; i++) {
      const out = await client.send(new DescribeTableCommand({ TableName: name }));
      if (out.Table?.TableStatus === 'ACTIVE') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    client.destroy();
  }
  return { doc: createDocumentClient({ region: 'local', endpoint }), name };
}
