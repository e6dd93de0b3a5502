import { randomBytes } from 'node:crypto';
import { DeleteCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { Table } from './client';
import { CorruptItemError } from './errors';
import { callSk, pbxEventSk, pbxOrphanSk, tenantPk } from './keys';
import { queryPages } from './query-pages';

/** How long an event that matched no call is kept (DynamoDB TTL on `expiresAt`). */
const ORPHAN_TTL_SEC = 30 * 24 * 3600;

export const storedPbxEventSchema = z.object({
  tenantId: z.string(),
  /** Absent for an orphan: an event that matched no call. */
  callId: z.string().optional(),
  receivedAt: z.string(),
  transport: z.enum(['query', 'form', 'json']),
  /** The event type as sent. */
  eventType: z.string().optional(),
  /** Every field as received, unknown ones included (bounded by the parser's limits). */
  fields: z.record(z.string(), z.string()),
  truncated: z.boolean(),
  /** Why it was kept without effect, for an orphan or an event that could not be applied. */
  note: z.string().optional(),
});
export type StoredPbxEvent = z.infer<typeof storedPbxEventSchema>;

/**
 * The raw PBX Stats events: one item each, under its call (`CALL#<id>#PBXEVENT#...`) or, when it
 * matched no call, under the tenant as an orphan (`PBXORPHAN#...`, kept 30 days) for an operator.
 */
export class PbxEventRepository {
  constructor(private readonly table: Table) {}

  /**
   * `expiresAt` (epoch seconds) for an event under its call: the call's own full expiry, so the raw events go
   * with the call (an event reaches a call only once it reached the PBX). Orphans keep their own 30 days.
   */
  async put(event: StoredPbxEvent, options: { expiresAt?: number } = {}): Promise<void> {
    const n = randomBytes(4).toString('hex');
    const sk = event.callId ? pbxEventSk(event.callId, event.receivedAt, n) : pbxOrphanSk(event.receivedAt, n);
    await this.table.doc.send(
      new PutCommand({
        TableName: this.table.name,
        Item: {
          pk: tenantPk(event.tenantId),
          sk,
          type: event.callId ? 'pbxEvent' : 'pbxOrphan',
          ...event,
          ...(event.callId
            ? options.expiresAt
              ? { expiresAt: options.expiresAt }
              : {}
            : { expiresAt: Math.floor(Date.parse(event.receivedAt) / 1000) + ORPHAN_TTL_SEC }),
        },
      }),
    );
  }

  /** The raw events of a call, oldest first. */
  async listForCall(tenantId: string, callId: string): Promise<StoredPbxEvent[]> {
    return this.query(tenantId, `${callSk(callId)}#PBXEVENT#`, true);
  }

  /** Events that matched no call, newest first. */
  async listOrphans(tenantId: string, limit = 100): Promise<StoredPbxEvent[]> {
    return this.query(tenantId, 'PBXORPHAN#', false, limit);
  }

  /** Deletes every raw event of a call (an erasure); answers how many there were. */
  async deleteForCall(tenantId: string, callId: string): Promise<number> {
    return this.deleteWhere(tenantId, `${callSk(callId)}#PBXEVENT#`, () => true);
  }

  /** Deletes the orphans for which `matches` holds (an erasure: those carrying a number); answers how many. */
  async deleteOrphans(tenantId: string, matches: (event: StoredPbxEvent) => boolean): Promise<number> {
    return this.deleteWhere(tenantId, 'PBXORPHAN#', matches);
  }

  /** Pages through every item under `prefix` (no limit: an erasure must not stop half way) and deletes the matches. */
  private async deleteWhere(tenantId: string, prefix: string, matches: (event: StoredPbxEvent) => boolean): Promise<number> {
    let deleted = 0;
    const query = {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': tenantPk(tenantId), ':prefix': prefix },
    };
    // Each page's deletes go before the next page is read.
    for await (const page of queryPages(this.table, query)) {
      const doomed = page.items.filter((item) => {
        const parsed = storedPbxEventSchema.safeParse(item);
        // An item that does not parse is deleted under a call (it is the call's all the same), kept as an orphan.
        return parsed.success ? matches(parsed.data) : prefix !== 'PBXORPHAN#';
      });
      await Promise.all(
        doomed.map((item) => {
          const key: Record<string, unknown> = { pk: item.pk, sk: item.sk };
          return this.table.doc.send(new DeleteCommand({ TableName: this.table.name, Key: key }));
        }),
      );
      deleted += doomed.length;
    }
    return deleted;
  }

  private async query(tenantId: string, prefix: string, oldestFirst: boolean, limit = 1000): Promise<StoredPbxEvent[]> {
    const out = await this.table.doc.send(
      new QueryCommand({
        TableName: this.table.name,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': tenantPk(tenantId), ':prefix': prefix },
        ScanIndexForward: oldestFirst,
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map((item) => {
      const parsed = storedPbxEventSchema.safeParse(item);
      if (!parsed.success) throw new CorruptItemError('PBX event', { cause: parsed.error });
      return parsed.data;
    });
  }
}
