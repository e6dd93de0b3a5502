import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Table } from './client';
import { isConditionalCheckFailed } from './errors';
import {
  callSk,
  deadLetterPk,
  DEFAULT_WORK_SHARDS,
  deadLetterSk,
  dueCallSk,
  dueCallsPk,
  flaggedCallSk,
  flaggedCallsPk,
  INDEX,
  notifyDeadPk,
  notifyPendingPk,
  notifySk,
  pendingCallSk,
  pendingCallsPk,
  tenantPk,
  type WorkKind,
  type WorkShards,
} from './keys';
import { queryPages } from './query-pages';
import type { WorkDirectory } from './work-directory';

/**
 * The work lists' keys before issue 17: one partition each, written by every tenant. Their sort keys were
 * `<time>#<tenantId>#<callId>`. Nothing writes them any more; `migrateLegacyWorkKeys` moves what is left on them.
 */
const LEGACY = [
  { pk: 'DUE_CALLS', index: INDEX.gsi4, kind: 'due', newPk: dueCallsPk, newSk: dueCallSk },
  { pk: 'PENDING_CALLS', index: INDEX.gsi4, kind: 'pending', newPk: pendingCallsPk, newSk: pendingCallSk },
  { pk: 'FLAGGED_CALLS', index: INDEX.gsi4, kind: 'flagged', newPk: flaggedCallsPk, newSk: flaggedCallSk },
  { pk: 'NOTIFY_PENDING', index: INDEX.gsi5, kind: 'notify', newPk: notifyPendingPk, newSk: notifySk },
  { pk: 'NOTIFY_DEAD', index: INDEX.gsi5, kind: 'dead', newPk: notifyDeadPk, newSk: notifySk },
] as const satisfies ReadonlyArray<{
  pk: string;
  index: string;
  kind: WorkKind;
  newPk: (tenantId: string, callId: string, shards: WorkShards) => string;
  newSk: (at: string, callId: string) => string;
}>;
const LEGACY_DEAD_LETTERS = 'DLQ';

export type MigrationReport = Record<WorkKind, number>;

/** The ids a call item's keys name, and the time its legacy sort key began with. */
function idsOf(item: Record<string, unknown>): { tenantId: string; callId: string; at: string } | undefined {
  const pk = typeof item.pk === 'string' ? item.pk : '';
  const sk = typeof item.sk === 'string' ? item.sk : '';
  const indexSk = [item.gsi4sk, item.gsi5sk].find((v): v is string => typeof v === 'string') ?? '';
  if (!pk.startsWith(tenantPk('')) || !sk.startsWith(callSk(''))) return undefined;
  return { tenantId: pk.slice(tenantPk('').length), callId: sk.slice(callSk('').length), at: indexSk.split('#')[0]! };
}

/**
 * Moves every item still on a legacy work key to its tenant's key (docs/design.md, "Work lists"): one conditional
 * update per call item (on the legacy key still being there, so a call that moved meanwhile is left alone), after
 * its tenant's directory marker; waiting calls are counted on their tenant's waiting counter; dead letters are copied
 * under their tenant and the legacy item deleted. Safe to run again, and while the service runs. `shards`: the stage's
 * WORK_SHARDS, the shard count its writers use.
 */
export async function migrateLegacyWorkKeys(
  table: Table,
  directory: WorkDirectory,
  shards: WorkShards = DEFAULT_WORK_SHARDS,
): Promise<MigrationReport> {
  const report: MigrationReport = { due: 0, pending: 0, notify: 0, flagged: 0, dead: 0, dlq: 0 };
  for (const list of LEGACY) {
    const attr = `${list.index}pk`;
    const sortAttr = `${list.index}sk`;
    const waiting = new Map<string, number>();
    for await (const { items } of queryPages(table, {
      IndexName: list.index,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': attr },
      ExpressionAttributeValues: { ':pk': list.pk },
    })) {
      for (const item of items) {
        const ids = idsOf(item);
        if (!ids) continue;
        await directory.touch(ids.tenantId, [list.kind]);
        try {
          await table.doc.send(
            new UpdateCommand({
              TableName: table.name,
              Key: { pk: tenantPk(ids.tenantId), sk: callSk(ids.callId) },
              UpdateExpression: 'SET #pk = :new, #sk = :newSk',
              ConditionExpression: '#pk = :legacy',
              ExpressionAttributeNames: { '#pk': attr, '#sk': sortAttr },
              ExpressionAttributeValues: {
                ':new': list.newPk(ids.tenantId, ids.callId, shards),
                ':newSk': list.newSk(ids.at, ids.callId),
                ':legacy': list.pk,
              },
            }),
          );
        } catch (error) {
          if (isConditionalCheckFailed(error)) continue;
          throw error;
        }
        report[list.kind]++;
        if (list.kind === 'due') waiting.set(ids.tenantId, (waiting.get(ids.tenantId) ?? 0) + 1);
      }
    }
    for (const [tenantId, n] of waiting) await directory.addWaiting(tenantId, n);
  }
  const deadLetters = {
    KeyConditionExpression: '#pk = :pk',
    ExpressionAttributeNames: { '#pk': 'pk' },
    ExpressionAttributeValues: { ':pk': LEGACY_DEAD_LETTERS },
  };
  for await (const { items } of queryPages(table, deadLetters)) {
    for (const item of items) {
      const { tenantId, callId, deadLetteredAt, sk } = item as {
        tenantId?: unknown;
        callId?: unknown;
        deadLetteredAt?: unknown;
        sk?: unknown;
      };
      if (typeof tenantId !== 'string' || typeof callId !== 'string' || typeof deadLetteredAt !== 'string' || typeof sk !== 'string')
        continue;
      await directory.touch(tenantId, ['dlq']);
      await table.doc.send(
        new PutCommand({ TableName: table.name, Item: { ...item, pk: deadLetterPk(tenantId), sk: deadLetterSk(deadLetteredAt, callId) } }),
      );
      await table.doc.send(new DeleteCommand({ TableName: table.name, Key: { pk: LEGACY_DEAD_LETTERS, sk } }));
      report.dlq++;
    }
  }
  return report;
}
