import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { memberToken } from './members';
import type { Table } from './client';
import { isConditionalCheckFailed } from './errors';
import { rateCounterPk, rateCounterSk } from './keys';

/**
 * Counters shared by every Lambda: one item per cap and fixed window, holding the set of call ids
 * admitted in it. A set, not a number, because adding the same call twice is a no-op: duplicate
 * deliveries of one call never use up the cap that the call itself needs.
 */
export class RateLimitRepository {
  constructor(readonly table: Table) {}

  /** Admits `member` if it is already in the window or the window holds fewer than `max`. */
  async admit(tenantId: string, scope: string, windowStart: number, windowSec: number, max: number, member: string): Promise<boolean> {
    try {
      await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: { pk: rateCounterPk(tenantId), sk: rateCounterSk(scope, windowStart) },
          UpdateExpression: 'ADD members :member SET expiresAt = if_not_exists(expiresAt, :expiresAt)',
          ConditionExpression: 'attribute_not_exists(members) OR contains(members, :id) OR size(members) < :max',
          ExpressionAttributeValues: {
            ':member': new Set([memberToken(member)]),
            ':id': memberToken(member),
            ':max': max,
            // DynamoDB's TTL removes old windows; a day of slack keeps them readable for support.
            ':expiresAt': windowStart + windowSec + 86_400,
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /**
   * Adds `cost` to a numeric counter of the window if the sum stays within `max`: one conditional write, nothing
   * written when refused. For budgets where copies need not count once (reads), so a number, not a set of members.
   */
  async charge(tenantId: string, scope: string, windowStart: number, windowSec: number, max: number, cost: number): Promise<boolean> {
    try {
      await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: { pk: rateCounterPk(tenantId), sk: rateCounterSk(scope, windowStart) },
          UpdateExpression: 'ADD used :cost SET expiresAt = if_not_exists(expiresAt, :expiresAt)',
          ConditionExpression: 'attribute_not_exists(used) OR used <= :room',
          ExpressionAttributeValues: { ':cost': cost, ':room': max - cost, ':expiresAt': windowStart + windowSec + 86_400 },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /**
   * Adds `cost` to the numeric counter of the window whatever it holds: what a request charged before it read, and
   * found it had read more, still owes. The sum may pass the window's `max`: {@link charge} then refuses the window's
   * next requests until it ends.
   */
  async settle(tenantId: string, scope: string, windowStart: number, windowSec: number, cost: number): Promise<void> {
    await this.table.doc.send(
      new UpdateCommand({
        TableName: this.table.name,
        Key: { pk: rateCounterPk(tenantId), sk: rateCounterSk(scope, windowStart) },
        UpdateExpression: 'ADD used :cost SET expiresAt = if_not_exists(expiresAt, :expiresAt)',
        ExpressionAttributeValues: { ':cost': cost, ':expiresAt': windowStart + windowSec + 86_400 },
      }),
    );
  }

  /** Gives a slot back (a call that was refused after all). */
  async release(tenantId: string, scope: string, windowStart: number, member: string): Promise<void> {
    await this.table.doc.send(
      new UpdateCommand({
        TableName: this.table.name,
        Key: { pk: rateCounterPk(tenantId), sk: rateCounterSk(scope, windowStart) },
        UpdateExpression: 'DELETE members :member',
        ExpressionAttributeValues: { ':member': new Set([memberToken(member)]) },
      }),
    );
  }
}
