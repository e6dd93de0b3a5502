import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface StoreClientOptions {
  region: string;
  /** A DynamoDB-compatible endpoint (dynalite locally); unset in AWS. */
  endpoint?: string;
}

/**
 * Builds the document client once per container. Off AWS the endpoint takes dummy credentials,
 * so the local stack and CI need no AWS account.
 */
export function createDocumentClient(options: StoreClientOptions): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    region: options.region,
    ...(options.endpoint
      ? { endpoint: options.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
    maxAttempts: 3,
  });
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

/** A table handle passed to repositories: the client and the table it writes to. */
export interface Table {
  doc: DynamoDBDocumentClient;
  name: string;
}
