import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface StoreClientOptions {
  region: string;
  /** A DynamoDB-compatible endpoint (dynalite locally); unset in AWS. */
  endpoint?: string;
  /**
   * Budget of one attempt of one request, in ms. Without it a request to a DynamoDB that stopped answering waits for
   * the Lambda's own timeout (and API Gateway's 29 s), and the caller gets a gateway error instead of a 503.
   */
  requestTimeoutMs?: number;
}

/** One attempt's budget: DynamoDB answers in milliseconds; three attempts of this still fit well inside API Gateway's 29 s. */
export const DEFAULT_STORE_REQUEST_TIMEOUT_MS = 3_000;
/**
 * Off AWS (connection and request alike): dynalite serves one request at a time, so under a test's or a
 * benchmark's load a request queues for seconds without anything being wrong.
 */
export const LOCAL_STORE_REQUEST_TIMEOUT_MS = 30_000;

/**
 * Builds the document client once per container. Off AWS the endpoint takes dummy credentials,
 * so the local stack and CI need no AWS account.
 */
export function createDocumentClient(options: StoreClientOptions): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
    maxAttempts: 3,
    requestHandler: {
      connectionTimeout: options.endpoint ? LOCAL_STORE_REQUEST_TIMEOUT_MS : 1_000,
      requestTimeout: options.requestTimeoutMs ?? (options.endpoint ? LOCAL_STORE_REQUEST_TIMEOUT_MS : DEFAULT_STORE_REQUEST_TIMEOUT_MS),
      // Fail the attempt (the SDK then retries, then gives up as a store fault: 503) rather than only warn.
      throwOnRequestTimeout: true,
    },
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
