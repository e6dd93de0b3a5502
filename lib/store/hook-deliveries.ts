import { randomBytes } from 'node:crypto';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { systemClock, type Clock } from '../time/clock';
import type { Table } from './client';
import { CorruptItemError } from './errors';
import { hookDeliveriesPrefix, hookDeliverySk, tenantPk } from './keys';

/** How long a delivery stays in the log (the item's TTL). */
export const HOOK_LOG_RETENTION_SEC = 7 * 86_400;

/**
 * What became of one webhook delivery: `accepted` (a call was placed or found: a replay), `rejected` (authentic, but
 * the call was refused: a policy, the mapping), `refused` (not authenticated: the signature, the timestamp, no
 * secret), `malformed` (authentic but unreadable), `failed` (our side: the store, the PBX unreachable).
 */
export const HOOK_VERDICTS = ['accepted', 'rejected', 'refused', 'malformed', 'failed'] as const;

/**
 * One entry of the log. It says why, never what: no number, no payload, no header, no secret; the call id is the way
 * to the rest (GET /v1/calls/{callId}, under the calls' own retention and erasure).
 */
export const hookDeliverySchema = z.object({
  at: z.string(),
  source: z.string(),
  verdict: z.enum(HOOK_VERDICTS),
  /** The HTTP status the sender got. */
  status: z.number().int(),
  /** The precise reason (`signature_mismatch`, `timestamp_out_of_window`, `no_secret_configured`...) or problem code. */
  reason: z.string().nullable(),
  callId: z.string().nullable(),
  /** The call's state in the answer (`dialing`, `unknown`, `rejected`...). */
  state: z.string().nullable(),
  /** The request id of the answer, to find its log lines. */
  requestId: z.string().nullable(),
});
export type HookDelivery = z.infer<typeof hookDeliverySchema>;

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
        ExpressionAttributeValues: { ':pk': tenantPk(tenantId), ':prefix': hookDeliveriesPrefix(source), ':now': Math.floor(this.clock().getTime() / 1000) },
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
