import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { Table } from './client';
import { CorruptItemError } from './errors';
import { deadLetterPk, deadLetterSk } from './keys';
import { WorkDirectory } from './work-directory';

/** The transport of a letter without a `transport` field. */
const WEBHOOK = 'webhook';
const TRANSPORT_NAME = { '#transport': 'transport' };

/** How long a dead letter is kept in the table (DynamoDB TTL on `expiresAt`). */
const DEAD_LETTER_TTL_SEC = 30 * 24 * 3600;

/** Notifications of one call that one transport could not deliver within the retry budget. */
export const deadLetterSchema = z.object({
  tenantId: z.string(),
  callId: z.string(),
  /** The transport that gave up (its slot on the call); absent on letters older than the field: the webhook. */
  transport: z.string().optional(),
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
 * The dead-letter log in the table: one item per dead-lettered run of notifications, under the tenant's
 * partition (`DLQ#<tenantId>`, listed in the work directory), newest last, kept 30 days. In AWS an EventBridge Pipe copies each new item to
 * the SQS dead-letter queue, where alarms watch it. The call itself carries `notify.deadLetteredAt`
 * and sits in the dead index until a redrive.
 */
export class DeadLetterRepository {
  private readonly work: WorkDirectory;

  constructor(private readonly table: Table) {
    this.work = new WorkDirectory(table);
  }

  async send(letter: DeadLetter): Promise<void> {
    await this.work.touch(letter.tenantId, ['dlq']);
    await this.table.doc.send(
      new PutCommand({
        TableName: this.table.name,
        Item: {
          pk: deadLetterPk(letter.tenantId),
          sk: deadLetterSk(letter.deadLetteredAt, letter.callId, letter.transport),
          type: 'deadLetter',
          ...letter,
          expiresAt: Math.floor(Date.parse(letter.deadLetteredAt) / 1000) + DEAD_LETTER_TTL_SEC,
        },
      }),
    );
  }

  /**
   * The newest dead letters first: of one tenant, or of every tenant the work directory lists with dead letters;
   * `transport`: only that transport's (a letter without the field is the webhook's).
   */
  async list(limit = 100, tenantId?: string, transport?: string): Promise<DeadLetter[]> {
    const tenants = tenantId !== undefined ? [tenantId] : (await this.work.list('dlq')).map((m) => m.tenantId);
    const pages = await Promise.all(
      tenants.map(async (t) => {
        const out = await this.table.doc.send(
          new QueryCommand({
            TableName: this.table.name,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': deadLetterPk(t), ...(transport === undefined ? {} : { ':transport': transport }) },
            ScanIndexForward: false,
            ...(transport === undefined
              ? { Limit: limit }
              : transport === WEBHOOK
                ? {
                    FilterExpression: 'attribute_not_exists(#transport) OR #transport = :transport',
                    ExpressionAttributeNames: TRANSPORT_NAME,
                  }
                : { FilterExpression: '#transport = :transport', ExpressionAttributeNames: TRANSPORT_NAME }),
          }),
        );
        return out.Items ?? [];
      }),
    );
    const items = pages
      .flat()
      .sort((a, b) => String(b.sk).localeCompare(String(a.sk)))
      .slice(0, limit);
    return items.map((item) => {
      const parsed = deadLetterSchema.safeParse(item);
      if (!parsed.success) throw new CorruptItemError('dead letter', { cause: parsed.error });
      return parsed.data;
    });
  }
}
