import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { Table } from './client';
import { conditionFailureItem, CorruptItemError, isConditionalCheckFailed } from './errors';
import { dedupeWindowSk, tenantPk } from './keys';

const windowItemSchema = z.object({
  /** The idempotency key of the call this window belongs to. */
  key: z.string(),
  /** Epoch milliseconds: when the window opened (the first request) and when it closes. */
  openedAt: z.number(),
  closesAt: z.number(),
});

export interface WindowClaim {
  /** True when this request opened a new window: `key` is the one it proposed. */
  opened: boolean;
  /** The idempotency key in force for the subject: the caller's own, or the earlier request's. */
  key: string;
  openedAt: number;
}

/**
 * Sliding dedupe windows for requests without an idempotency key. One item per subject (tenant,
 * agent, number, lead) says which idempotency key is in force and until when. Opening a window is
 * one conditional put that succeeds only when there is no window or the last one has closed, so
 * of any number of concurrent identical requests exactly one opens it and every other one is told
 * its key. The window starts at the request that opened it, whatever the clock's minute says.
 *
 * This item only chooses a key; the ledger's reservation (the call item's conditional put) is what
 * keeps a key from dialling twice. See docs/design.md, "Requests without a key".
 */
export class DedupeWindowRepository {
  constructor(private readonly table: Table) {}

  async claim(tenantId: string, subject: string, proposedKey: string, nowMs: number, windowMs: number): Promise<WindowClaim> {
    const closesAt = nowMs + windowMs;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.table.doc.send(
          new PutCommand({
            TableName: this.table.name,
            Item: {
              pk: tenantPk(tenantId),
              sk: dedupeWindowSk(subject),
              type: 'dedupeWindow',
              key: proposedKey,
              openedAt: nowMs,
              closesAt,
              // DynamoDB's TTL sweeps closed windows; the condition below never relies on the sweep.
              expiresAt: Math.ceil(closesAt / 1000) + 3600,
            },
            ConditionExpression: 'attribute_not_exists(pk) OR closesAt <= :now',
            ExpressionAttributeValues: { ':now': nowMs },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { opened: true, key: proposedKey, openedAt: nowMs };
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
        const open = conditionFailureItem(error) ?? (await this.read(tenantId, subject));
        if (open) {
          const parsed = windowItemSchema.safeParse(open);
          if (!parsed.success) throw new CorruptItemError('dedupe window', { cause: parsed.error });
          return { opened: false, key: parsed.data.key, openedAt: parsed.data.openedAt };
        }
        // The window was deleted between our put and our read (only a closed one can be): try again.
        if (attempt >= 2) throw new Error('Dedupe window changed under three attempts in a row', { cause: error });
      }
    }
  }

  private async read(tenantId: string, subject: string): Promise<Record<string, unknown> | undefined> {
    const out = await this.table.doc.send(
      new GetCommand({ TableName: this.table.name, Key: { pk: tenantPk(tenantId), sk: dedupeWindowSk(subject) }, ConsistentRead: true }),
    );
    return out.Item;
  }
}
