import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { notifierUseCase } from '../lib/compose/notifier';
import { logger, startInvocationLog } from '../lib/observability/logger';

const notifier = notifierUseCase();

/**
 * DynamoDB stream -> outcome notifications. The event source mapping's filter lets through only
 * call items in the outbox index (gsi5pk `NOTIFY#<tenant>#<shard>`), so each record names a call with
 * undelivered events. A record whose call could not be processed (a store error, not a CRM that
 * is down: that is the deliverer's own backoff) is reported as a batch item failure, retried, and
 * after the mapping's retries goes to the SQS dead-letter queue; the scheduled `notifyRetry`
 * finds the call in the outbox index anyway.
 */
export const handler = async (event: DynamoDBStreamEvent, context?: Context): Promise<DynamoDBBatchResponse> => {
  startInvocationLog(context);
  const calls = new Map<string, { tenantId: string; callId: string; sequenceNumber: string }>();
  for (const record of event.Records) {
    const image = record.dynamodb?.NewImage;
    // A call item holds its tenant and call ids in its keys (`TENANT#<id>`, `CALL#<id>`), not as attributes.
    const tenantId = image?.pk?.S?.startsWith('TENANT#') ? image.pk.S.slice('TENANT#'.length) : image?.tenantId?.S;
    const callId = image?.sk?.S?.startsWith('CALL#') ? image.sk.S.slice('CALL#'.length) : image?.callId?.S;
    const sequenceNumber = record.dynamodb?.SequenceNumber;
    if (!tenantId || !callId || !sequenceNumber) continue;
    const key = `${tenantId}#${callId}`;
    // The first record of a call in the batch: reporting it on failure makes Lambda retry from there.
    if (!calls.has(key)) calls.set(key, { tenantId, callId, sequenceNumber });
  }
  const failures: string[] = [];
  await Promise.all(
    [...calls.values()].map(async ({ tenantId, callId, sequenceNumber }) => {
      try {
        await notifier.deliverCall(tenantId, callId);
      } catch (error) {
        logger.error('Notification pass failed', { tenantId, callId, error: error as Error });
        failures.push(sequenceNumber);
      }
    }),
  );
  return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
};
