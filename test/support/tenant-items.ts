import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Table } from '../../lib/store/client';
import { tenantPk } from '../../lib/store/keys';

/**
 * The items of a tenant's partition, its webhook delivery log left out: the log keeps a line per delivery, refused ones
 * included (docs/webhooks.md), and a refused delivery must write nothing else.
 */
export async function tenantItemsBesidesDeliveryLog(table: Table, tenantId: string): Promise<number> {
  const out = await table.doc.send(
    new QueryCommand({
      TableName: table.name,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': tenantPk(tenantId) },
      ProjectionExpression: 'sk',
    }),
  );
  return (out.Items ?? []).filter((item) => !String(item.sk).startsWith('HOOKLOG#')).length;
}
