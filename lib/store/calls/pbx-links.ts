import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Table } from '../client';
import { isConditionalCheckFailed } from '../errors';
import { callsByPbxUniqueIdPk, INDEX, pbxUniqueIdSk, tenantPk } from '../keys';
import type { CallLedger } from './ledger';
import { callIdOfItem, type StoredCall } from './stored-call';
import { updateCallHeld } from './writes';

/**
 * Which call a PBX unique_id belongs to, for the PBX's events and CDRs: the id indexed on the call item itself (gsi6,
 * set by the ledger's transition that records the dial's answer), and a link item (`PBXUID#<id>`) for ids learnt
 * after the dial and calls dialled before the index existed.
 */
export class PbxLinks {
  constructor(
    private readonly table: Table,
    private readonly ledger: Pick<CallLedger, 'get'>,
  ) {}

  /**
   * Records the PBX's unique_id on a call that has none yet (its Click2Call answer was lost), without
   * touching a `pbx` block that the dial wrote meanwhile.
   */
  async setPbxUniqueIdIfMissing(tenantId: string, callId: string, uniqueId: string): Promise<boolean> {
    return updateCallHeld(this.table, tenantId, callId, {
      UpdateExpression: 'SET pbx = :pbx',
      ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(pbx) OR pbx = :null)',
      ExpressionAttributeValues: { ':pbx': { uniqueId, message: null, host: null }, ':null': null },
    });
  }

  /**
   * Remembers which call a PBX unique_id belongs to, for the PBX's outcome webhooks. `expiresAt` (epoch seconds):
   * the call's own full expiry (`call.expiry?.full`), so the link goes with the call.
   */
  async linkPbxUniqueId(tenantId: string, uniqueId: string, callId: string, expiresAt?: number): Promise<void> {
    await this.table.doc.send(
      new PutCommand({
        TableName: this.table.name,
        Item: { pk: tenantPk(tenantId), sk: pbxUniqueIdSk(uniqueId), type: 'pbxUniqueId', callId, ...(expiresAt ? { expiresAt } : {}) },
      }),
    );
  }

  /** Deletes the unique_id link, if it still points at this call (a unique_id is never reused, but be sure). */
  async unlinkPbxUniqueId(tenantId: string, uniqueId: string, callId: string): Promise<boolean> {
    try {
      await this.table.doc.send(
        new DeleteCommand({
          TableName: this.table.name,
          Key: { pk: tenantPk(tenantId), sk: pbxUniqueIdSk(uniqueId) },
          ConditionExpression: 'callId = :callId',
          ExpressionAttributeValues: { ':callId': callId },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async findByPbxUniqueId(tenantId: string, uniqueId: string): Promise<StoredCall | undefined> {
    const indexed = await this.table.doc.send(
      new QueryCommand({
        TableName: this.table.name,
        IndexName: INDEX.gsi6,
        KeyConditionExpression: 'gsi6pk = :pk',
        ExpressionAttributeValues: { ':pk': callsByPbxUniqueIdPk(tenantId, uniqueId) },
        Limit: 1,
      }),
    );
    const item = indexed.Items?.[0];
    let callId = item ? callIdOfItem(item) : undefined;
    if (!callId) {
      // Ids learnt after the dial (an event, a CDR) and calls dialled before the index existed have a link item.
      const linked = await this.table.doc.send(
        new GetCommand({ TableName: this.table.name, Key: { pk: tenantPk(tenantId), sk: pbxUniqueIdSk(uniqueId) } }),
      );
      callId = typeof linked.Item?.callId === 'string' ? linked.Item.callId : undefined;
    }
    return callId ? this.ledger.get(tenantId, callId) : undefined;
  }
}
