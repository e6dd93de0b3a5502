import { randomBytes } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import {
  deliveryAttemptSchema,
  SUBSCRIPTION_LOG_RETENTION_SEC,
  type DeliveryAttempt,
  type DeliveryAttemptInput,
} from '../model/subscription';
import { systemClock, type Clock } from '../time/clock';
import type { Table } from './client';
import { readRecentLog } from './recent-log';
import { subscriptionDeliveriesPrefix, subscriptionDeliverySk, tenantPk } from './keys';

/** The most attempts one read of the log answers. */
export const MAX_DELIVERY_LOG_READ = 100;

/**
 * The delivery log of each webhook subscription: one item per attempt (a delivery, a retry, a test ping), under the
 * tenant, expiring after 7 days. It says what and how it went, never the payload, a header or a secret.
 */
export class SubscriptionDeliveryRepository {
  constructor(
    private readonly table: Table,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Records one attempt (the delivery side calls this after each one; the test route after its ping). */
  async record(tenantId: string, subscriptionId: string, attempt: DeliveryAttemptInput): Promise<DeliveryAttempt> {
    const now = this.clock();
    const n = randomBytes(4).toString('hex');
    const entry = deliveryAttemptSchema.parse({
      error: null,
      ...attempt,
      id: `att_${randomBytes(8).toString('hex')}`,
      attemptedAt: attempt.attemptedAt ?? now.toISOString(),
    });
    await this.table.doc.send(
      new PutCommand({
        TableName: this.table.name,
        Item: {
          pk: tenantPk(tenantId),
          sk: subscriptionDeliverySk(subscriptionId, entry.attemptedAt, n),
          type: 'subscriptionDelivery',
          subscriptionId,
          ...entry,
          expiresAt: Math.floor(now.getTime() / 1000) + SUBSCRIPTION_LOG_RETENTION_SEC,
        },
      }),
    );
    return entry;
  }

  /** The last `limit` attempts of a subscription, newest first (expired ones the TTL has not removed yet left out). */
  async list(tenantId: string, subscriptionId: string, limit = 20): Promise<DeliveryAttempt[]> {
    return readRecentLog(this.table, {
      pk: tenantPk(tenantId),
      prefix: subscriptionDeliveriesPrefix(subscriptionId),
      nowSec: Math.floor(this.clock().getTime() / 1000),
      limit: Math.min(Math.max(1, limit), MAX_DELIVERY_LOG_READ),
      schema: deliveryAttemptSchema,
      kind: 'subscriptionDelivery',
    });
  }
}
