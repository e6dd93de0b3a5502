import { randomBytes } from 'node:crypto';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { Table } from './client';
import { CorruptItemError } from './errors';
import { auditSk, tenantPk } from './keys';

export const auditRecordSchema = z.object({
  tenantId: z.string(),
  /** What was done, e.g. `calls.erase`. */
  action: z.string(),
  /** Who did it: the operator's name as the CLI knew it. */
  by: z.string(),
  at: z.string(),
  /** How many items of each kind the action touched. Never what identifies a person (a number, a name). */
  counts: z.record(z.string(), z.number().int().min(0)),
});
export type AuditRecord = z.infer<typeof auditRecordSchema>;

/**
 * Audit records of operators' actions, under the tenant (`AUDIT#<at>#<id>`). They carry no TTL: the record
 * that an erasure happened has to outlive what it erased.
 */
export class AuditRepository {
  constructor(private readonly table: Table) {}

  async put(record: AuditRecord): Promise<void> {
    const parsed = auditRecordSchema.parse(record);
    await this.table.doc.send(
      new PutCommand({
        TableName: this.table.name,
        Item: { pk: tenantPk(parsed.tenantId), sk: auditSk(parsed.at, randomBytes(4).toString('hex')), type: 'audit', ...parsed },
      }),
    );
  }

  /** The tenant's audit records, newest first. */
  async list(tenantId: string, limit = 100): Promise<AuditRecord[]> {
    const out = await this.table.doc.send(
      new QueryCommand({
        TableName: this.table.name,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': tenantPk(tenantId), ':prefix': 'AUDIT#' },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map((item) => {
      const parsed = auditRecordSchema.safeParse(item);
      if (!parsed.success) throw new CorruptItemError('audit record', { cause: parsed.error });
      return parsed.data;
    });
  }
}
