import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { Table } from './client';
import { CorruptItemError } from './errors';
import { deadLetterPk, deadLetterSk } from './keys';

/** How long a dead letter is kept in the table (DynamoDB TTL on `expiresAt`). */
const DEAD_LETTER_TTL_SEC = 30 * 24 * 3600;

/** Notifications of one call that could not be delivered within the retry budget. */
export const deadLetterSchema = z.object({
  tenantId: z.string(),
  callId: z.string(),
  /** `events[fromEvent..eventCount)` of the call were not delivered. */
  fromEvent: z.number().int(),
  eventCount: z.number().int(),
  attempts: z.number().int(),
  /** First failure of the run of failures that ended here. */
  since: z.string(),
  lastError: z.string(),
  deadLetteredAt: z.string(),
  /** Host of the callback URL (never the whole URL: it may carry credentials). */
  callbackHost: z.string().nullable(),
});
export type DeadLetter = z.infer<typeof deadLetterSchema>;

/**
 * The dead-letter log in the table: one item per dead-lettered run of notifications, under one
 * partition (`DLQ`), newest last, kept 30 days. In AWS an EventBridge Pipe copies each new item to
 * the SQS dead-letter queue, where alarms watch it. The call itself carries `notify.deadLetteredAt`
 * and sits in the dead index until a redrive.
 */
export class DeadLetterRepository {
  constructor(private readonly table: Table) {}

  async send(letter: DeadLetter): Promise<void> {
    await this.table.doc.send(
      new PutCommand({
        TableName: this.table.name,
        Item: {
          pk: deadLetterPk(),
          sk: deadLetterSk(letter.deadLetteredAt, letter.tenantId, letter.callId),
          type: 'deadLetter',
          ...letter,
          expiresAt: Math.floor(Date.parse(letter.deadLetteredAt) / 1000) + DEAD_LETTER_TTL_SEC,
        },
      }),
    );
  }

  /** The newest dead letters first. */
  async list(limit = 100): Promise<DeadLetter[]> {
    const out = await this.table.doc.send(
      new QueryCommand({
        TableName: this.table.name,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': deadLetterPk() },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map((item) => {
      const parsed = deadLetterSchema.safeParse(item);
      if (!parsed.success) throw new CorruptItemError('dead letter', { cause: parsed.error });
      return parsed.data;
    });
  }
}
