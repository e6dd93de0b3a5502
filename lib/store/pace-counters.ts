import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Table } from './client';
import { isConditionalCheckFailed } from './errors';
import { pacePk, paceSk } from './keys';

/**
 * The delivery paces' counters, shared by every deliverer (the stream function's containers, the scheduled run):
 * one item per pace key and fixed window, counting the deliveries let through in it. The key names one connection
 * (a transport and a tenant: `hubspot#<tenantId>`), so no partition is written by every tenant.
 */
export class PaceCounterRepository {
  constructor(private readonly table: Table) {}

  /** Counts one delivery in the window if fewer than `max` went: one conditional write, nothing written when refused. */
  async take(key: string, windowStart: number, windowSec: number, max: number): Promise<boolean> {
    try {
      await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: { pk: pacePk(key), sk: paceSk(windowStart) },
          UpdateExpression: 'ADD used :one SET expiresAt = if_not_exists(expiresAt, :expiresAt)',
          ConditionExpression: 'attribute_not_exists(used) OR used < :max',
          // DynamoDB's TTL removes old windows; an hour of slack keeps the last ones readable for support.
          ExpressionAttributeValues: { ':one': 1, ':max': max, ':expiresAt': windowStart + windowSec + 3600 },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }
}
