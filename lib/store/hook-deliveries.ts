import { randomBytes } from 'node:crypto';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { systemClock, type Clock } from '../time/clock';
import type { Table } from './client';
import { CorruptItemError } from './errors';
import { HOOK_LOG_RETENTION_SEC, hookDeliverySchema, type HookDelivery } from '../model/hook-delivery';
import { hookDeliveriesPrefix, hookDeliverySk, tenantPk } from './keys';

/** The delivery log of each tenant's webhook sources: one item per delivery, under the tenant, expiring after 7 days. */
export class HookDeliveryRepository {
  constructor(
    private readonly table: Table,
    private readonly clock: Clock = systemClock,
  ) {}

  async record(tenantId: string, entry: Omit<HookDelivery, 'at'>): Promise<HookDelivery> {
    const now = this.clock();
    const delivery = hookDeliverySchema.parse({ ...entry, at: now.toISOString() });
    await this.table.doc.send(
      new PutCommand({
        TableName: this.table.name,
        Item: {
          pk: tenantPk(tenantId),
          sk: hookDeliverySk(delivery.source, delivery.at, randomBytes(4).toString('hex')),
          type: 'hookDelivery',
          ...delivery,
          expiresAt: Math.floor(now.getTime() / 1000) + HOOK_LOG_RETENTION_SEC,
        },
      }),
    );
    return delivery;
  }

  /** The last `limit` deliveries of a source, newest first (expired ones the TTL has not removed yet left out). */
  async list(tenantId: string, source: string, limit = 50): Promise<HookDelivery[]> {
    const out = await this.table.doc.send(
      new QueryCommand({
        TableName: this.table.name,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        FilterExpression: 'expiresAt > :now',
        ExpressionAttributeValues: {
          ':pk': tenantPk(tenantId),
          ':prefix': hookDeliveriesPrefix(source),
          ':now': Math.floor(this.clock().getTime() / 1000),
        },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map((item) => {
      const parsed = hookDeliverySchema.safeParse(item);
      if (!parsed.success) throw new CorruptItemError('hookDelivery', { cause: parsed.error });
      return parsed.data;
    });
  }
}
