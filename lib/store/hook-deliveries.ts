import { randomBytes } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { systemClock, type Clock } from '../time/clock';
import type { Table } from './client';
import { readRecentLog } from './recent-log';
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
    return readRecentLog(this.table, {
      pk: tenantPk(tenantId),
      prefix: hookDeliveriesPrefix(source),
      nowSec: Math.floor(this.clock().getTime() / 1000),
      limit,
      schema: hookDeliverySchema,
      kind: 'hookDelivery',
    });
  }
}
