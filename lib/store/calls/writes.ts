import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isWaiting, PENDING_STATES, REFUSED_STATES, type CallState } from '../../model/call';
import type { Table } from '../client';
import { conditionHeld, isConditionalCheckFailed } from '../errors';
import { callSk, notifyPendingPk, notifySk, tenantPk, type WorkKind, type WorkShards } from '../keys';
import { parseCallItem, type StoredCall } from './stored-call';

/**
 * The pieces every conditional write of a call item shares, whichever part of the call store sends it (the ledger's
 * transitions, the scheduler's claim, the outbox's moves): the outbox entry, the TTL, the work lists, and the two
 * shapes of a conditional update.
 */

/**
 * Every write that appends an event also puts the call in the outbox index (gsi5), unless it is
 * there already: a call in backoff keeps its due time, a dead-lettered call stays dead until redriven.
 */
export const OUTBOX_SET = 'gsi5pk = if_not_exists(gsi5pk, :outboxPk), gsi5sk = if_not_exists(gsi5sk, :outboxSk)';
export const outboxValues = (now: string, tenantId: string, callId: string, shards: WorkShards) => ({
  ':outboxPk': notifyPendingPk(tenantId, callId, shards),
  ':outboxSk': notifySk(now, callId),
});

/** The work lists a call item in `state` is on, besides the outbox (which every write of an event may put it on). */
export const workOf = (state: CallState): WorkKind[] => (PENDING_STATES.includes(state) ? ['pending'] : isWaiting(state) ? ['due'] : []);

/**
 * The TTL of the state being written, taken from the call's own `expiry` in the same write: the refused retention
 * for `rejected`/`not_sent`, the full one for any other state (so leaving `not_sent` restores it). A call without
 * `expiry` gets NULL, which DynamoDB's TTL ignores: it is kept, as before.
 */
export function expirySet(to: CallState): { set: string; names: Record<string, string>; values: Record<string, unknown> } {
  const fate = (REFUSED_STATES as readonly CallState[]).includes(to) ? 'refused' : 'full';
  return {
    set: `expiresAt = if_not_exists(#expiry.#fate, :noExpiry)`,
    names: { '#expiry': 'expiry', '#fate': fate },
    values: { ':noExpiry': null },
  };
}

/** An update of a call item guarded by a condition, in the ledger's terms. */
export interface CallUpdate {
  expression: string;
  condition: string;
  names: Record<string, string>;
  values: Record<string, unknown>;
}

/**
 * One conditional update of a call item that returns the call as it now is, or undefined when the
 * condition did not hold (someone else moved the call): the shape of every ledger transition.
 */
export async function updateCallIf(table: Table, tenantId: string, callId: string, update: CallUpdate): Promise<StoredCall | undefined> {
  try {
    const out = await table.doc.send(
      new UpdateCommand({
        TableName: table.name,
        Key: { pk: tenantPk(tenantId), sk: callSk(callId) },
        UpdateExpression: update.expression,
        ConditionExpression: update.condition,
        ExpressionAttributeNames: update.names,
        ExpressionAttributeValues: update.values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    return parseCallItem(out.Attributes ?? {});
  } catch (error) {
    if (isConditionalCheckFailed(error)) return undefined;
    throw error;
  }
}

/** A conditional update of a call item that answers only whether its condition held (the outbox's moves, the PBX's id). */
export async function updateCallHeld(
  table: Table,
  tenantId: string,
  callId: string,
  update: Pick<
    ConstructorParameters<typeof UpdateCommand>[0],
    'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
  >,
): Promise<boolean> {
  return conditionHeld(
    table.doc.send(new UpdateCommand({ TableName: table.name, Key: { pk: tenantPk(tenantId), sk: callSk(callId) }, ...update })),
  );
}
