import {
  DynamoDBServiceException,
  ProvisionedThroughputExceededException,
  RequestLimitExceeded,
  ThrottlingException,
} from '@aws-sdk/client-dynamodb';

/** What the SDK stamps on an error once its retries give up; every field optional, as the SDK's own type. */
interface SdkMetadata {
  httpStatusCode?: number;
  requestId?: string;
  attempts?: number;
  totalRetryDelay?: number;
}

/**
 * Whether an error means "DynamoDB could not serve this request right now" (throttled, a 5xx, a
 * timeout, a connection that failed), as opposed to a bug of ours (a bad expression, a missing
 * table, a condition we forgot to handle). The first is worth a retry; the second is not.
 *
 * Modelled DynamoDB answers are told apart by class. A request that got no answer at all (timeout,
 * reset, refused) has no class in the SDK: it is recognised by the `$metadata` that the SDK's retry
 * loop stamps on whatever it gives up on, with no HTTP status (or a 5xx). Errors thrown before the
 * request left (marshalling, serialization) never pass that loop, so they carry no `$metadata` and
 * stay bugs.
 */
export function isStoreUnavailable(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error) || depth > 5) return false;
  if (error instanceof DynamoDBServiceException) {
    return (
      error.$fault === 'server' ||
      error.$retryable !== undefined ||
      error instanceof ProvisionedThroughputExceededException ||
      error instanceof ThrottlingException ||
      error instanceof RequestLimitExceeded ||
      (error.$metadata?.httpStatusCode ?? 0) >= 500
    );
  }
  const metadata = sdkMetadataOf(error);
  if (metadata && (metadata.httpStatusCode === undefined || metadata.httpStatusCode >= 500)) return true;
  // A repository that wraps the SDK's error keeps it as the cause.
  return isStoreUnavailable(error.cause, depth + 1);
}

/** The SDK's metadata of an error, for a log line: no message (it may quote a key), no secrets. */
export function sdkMetadataOf(error: unknown): SdkMetadata | undefined {
  if (!(error instanceof Error) || !('$metadata' in error)) return undefined;
  const metadata = error.$metadata;
  return typeof metadata === 'object' && metadata !== null ? metadata : undefined;
}
