import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CrmName } from '../model/crm-connection';
import type { Clock } from '../time/clock';
import type { Table } from './client';
import { isConditionalCheckFailed } from './errors';
import { tenantPk, tenantSk } from './keys';

/** The stored reason's bound (crm-connection.ts's held schema): a longer one would make the tenant item unreadable. */
const MAX_REASON = 500;

export interface CrmHold {
  tenantId: string;
  name: CrmName;
  /** The CRM's own words, as the doctor and `c2c crm show` print them. */
  reason: string;
  /** When the refused attempt started (the engine's clock). */
  at: Date;
  /** The `connectedAt` of the connection that was refused (the transport's target), when the caller knows it. */
  connectedAt?: string;
}

/**
 * Sets `crm.<name>.held` on the tenant item, on condition that the connection is still the one that was refused:
 * the same `connectedAt` when the caller gives it, else one connected no later than the refused attempt started. A
 * reconnect meanwhile (`c2c crm connect` with new credentials) is never flagged, and a connection held already keeps
 * its first reason. The write touches no secret (nothing is opened or sealed: the delivery functions may only open)
 * and moves `updatedAt` on, as every tenant write does, so a concurrent read-modify-write of the tenant (update())
 * is refused and re-read rather than dropping the flag. Answers whether the flag was set (false as well after five
 * writes in a row lost a race: the transport answers `held` either way).
 */
export async function holdCrmConnection(table: Table, clock: Clock, hold: CrmHold): Promise<boolean> {
  const key = { pk: tenantPk(hold.tenantId), sk: tenantSk() };
  const held = { at: hold.at.toISOString(), reason: hold.reason.slice(0, MAX_REASON) };
  for (let attempt = 1; ; attempt++) {
    const out = await table.doc.send(
      new GetCommand({
        TableName: table.name,
        Key: key,
        ConsistentRead: true,
        ProjectionExpression: 'updatedAt, crm.#name.connectedAt, crm.#name.held',
        ExpressionAttributeNames: { '#name': hold.name },
      }),
    );
    const connection = (out.Item?.crm as Record<string, { connectedAt?: unknown; held?: unknown }> | undefined)?.[hold.name];
    const connectedAt = connection?.connectedAt;
    if (typeof connectedAt !== 'string' || connection?.held !== undefined) return false;
    if (hold.connectedAt !== undefined ? connectedAt !== hold.connectedAt : connectedAt > held.at) return false;
    const readUpdatedAt: unknown = out.Item?.updatedAt;
    const updatedAt = new Date(Math.max(clock().getTime(), Date.parse(String(readUpdatedAt)) + 1 || 0)).toISOString();
    try {
      await table.doc.send(
        new UpdateCommand({
          TableName: table.name,
          Key: key,
          UpdateExpression: 'SET crm.#name.held = :held, updatedAt = :updatedAt',
          ConditionExpression: 'updatedAt = :read AND crm.#name.connectedAt = :connectedAt AND attribute_not_exists(crm.#name.held)',
          ExpressionAttributeNames: { '#name': hold.name },
          ExpressionAttributeValues: { ':held': held, ':updatedAt': updatedAt, ':read': readUpdatedAt, ':connectedAt': connectedAt },
        }),
      );
      return true;
    } catch (error) {
      // Another write came between the read and this one: read again and decide on what is there now.
      if (!isConditionalCheckFailed(error)) throw error;
      if (attempt >= 5) return false;
    }
  }
}
