import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';
import schema from '../lib/store/table-schema.json';

export interface LocalDynamo {
  endpoint: string;
  port: number;
  close(): Promise<void>;
}

/**
 * dynalite in this process: a DynamoDB-compatible server in pure JS. In memory unless `path` names
 * a folder (LevelDB files) to keep data between runs.
 */
export async function startDynalite(options: { port?: number; host?: string; path?: string } = {}): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(options.path ? { path: options.path } : {}) });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections of clients (the CLI, handlers) would hold the port open until they time out.
        server.closeAllConnections();
      }),
  };
}

/**
 * Creates the table from `lib/store/table-schema.json`, the same definition serverless.yml deploys (or from another
 * definition: the tests of the call index migration create its steps' tables). Idempotent: an existing table is left
 * as it is.
 */
export async function createTable(
  endpoint: string,
  tableName: string,
  definition: { AttributeDefinitions: unknown[]; KeySchema: unknown[]; GlobalSecondaryIndexes: unknown[] } = schema,
): Promise<void> {
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
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  for (let i = 0; i < 50; i++) {
    const out = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (out.Table?.TableStatus === 'ACTIVE') break;
    await new Promise((r) => setTimeout(r, 20));
  }
  client.destroy();
}
