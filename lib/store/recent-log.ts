import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type * as z from 'zod';
import type { Table } from './client';
import { CorruptItemError } from './errors';

/**
 * The newest entries of a short-lived log kept under a tenant's partition (a webhook source's deliveries, a
 * subscription's attempts): one Query on the sort key's prefix, newest first, the entries whose TTL (`expiresAt`, in
 * seconds) has passed but that DynamoDB has not removed yet left out, each parsed with the log's schema.
 */
export async function readRecentLog<S extends z.ZodType>(
  table: Table,
  log: { pk: string; prefix: string; nowSec: number; limit: number; schema: S; kind: string },
): Promise<Array<z.output<S>>> {
  const out = await table.doc.send(
    new QueryCommand({
      TableName: table.name,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      FilterExpression: 'expiresAt > :now',
      ExpressionAttributeValues: { ':pk': log.pk, ':prefix': log.prefix, ':now': log.nowSec },
      ScanIndexForward: false,
      Limit: log.limit,
    }),
  );
  return (out.Items ?? []).map((item) => {
    const parsed = log.schema.safeParse(item);
    if (!parsed.success) throw new CorruptItemError(log.kind, { cause: parsed.error });
    return parsed.data;
  });
}
