import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { AgentPresenceRepository } from './agent-presence';
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
  private readonly presence: AgentPresenceRepository;

  constructor(readonly table: Table) {
    this.presence = new AgentPresenceRepository(table);
  }

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

  /**
   * Takes the agent's lock for `holder` until `leaseUntil` (epoch seconds): see {@link AgentPresenceRepository.take}.
   * The lease makes a lock left by a crashed invocation expire by itself instead of blocking the agent for good.
   */
  async lockAgent(tenantId: string, crmUserId: string, holder: string, leaseUntil: number, now: number): Promise<boolean> {
    return (await this.presence.take(tenantId, crmUserId, holder, leaseUntil, now)).taken;
  }

  /** Lets go of `holder`'s lock; with `busy`, the agent is on that call from now (the PBX accepted the dial). */
  async unlockAgent(tenantId: string, crmUserId: string, holder: string, busy?: { callId: string; until: number }): Promise<void> {
    await this.presence.release(tenantId, crmUserId, holder, busy);
  }
}
