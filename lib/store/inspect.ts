import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { callListingIndex, type CallIndexMode } from './call-index-keys';
import { forEachHydratedPage, narrowQuery } from './calls/narrow-reads';
import type { Table } from './client';
import {
  agentSk,
  callsByTenantPk,
  flaggedCallsPk,
  hookSourceSk,
  INDEX,
  notifyDeadPk,
  notifyShardPk,
  pbxOrphanSk,
  shardNumbers,
  subscriptionsPrefix,
  tenantPk,
  tenantSk,
} from './keys';
import { queryAll, type PagedQuery } from './query-pages';

/**
 * Read-only views of a tenant's items for diagnosis (`c2c doctor`). Items come back as stored, before
 * the schemas that the repositories apply: an agent imported without an extension, or a tenant item
 * written by an older version, must be reported, not make the reader throw.
 */

/** An ISO timestamp attribute as text for sorting; anything else sorts first. */
const isoOf = (value: unknown): string => (typeof value === 'string' ? value : '');

export class TenantInspector {
  constructor(
    private readonly table: Table,
    /** Which call indexes the stage reads (lib/store/call-index-keys.ts). */
    private readonly indexMode: CallIndexMode = 'narrow',
  ) {}

  /** The tenant item as stored, or undefined. */
  async tenantItem(tenantId: string): Promise<Record<string, unknown> | undefined> {
    const out = await this.table.doc.send(
      new GetCommand({ TableName: this.table.name, Key: { pk: tenantPk(tenantId), sk: tenantSk() }, ConsistentRead: true }),
    );
    return out.Item;
  }

  /** Every agent item of the tenant, as stored. */
  async agentItems(tenantId: string): Promise<Array<Record<string, unknown>>> {
    return this.items({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)',
      ExpressionAttributeValues: { ':pk': tenantPk(tenantId), ':sk': agentSk('') },
    });
  }

  /** Every webhook source item of the tenant, as stored. */
  async webhookSourceItems(tenantId: string): Promise<Array<Record<string, unknown>>> {
    return this.items({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)',
      ExpressionAttributeValues: { ':pk': tenantPk(tenantId), ':sk': hookSourceSk('') },
    });
  }

  /** Every webhook subscription item of the tenant, as stored (its sealed secrets are not opened). */
  async subscriptionItems(tenantId: string): Promise<Array<Record<string, unknown>>> {
    return this.items({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)',
      ExpressionAttributeValues: { ':pk': tenantPk(tenantId), ':sk': subscriptionsPrefix() },
    });
  }

  /** Calls of the tenant the reconciler gave up on and that no PBX event has settled since. */
  async countFlaggedCalls(tenantId: string): Promise<number> {
    return this.count({
      IndexName: INDEX.gsi4,
      KeyConditionExpression: 'gsi4pk = :pk',
      ExpressionAttributeValues: { ':pk': flaggedCallsPk(tenantId) },
    });
  }

  /** Calls of the tenant whose notifications are dead-lettered, waiting for a redrive. */
  async countDeadLetteredCalls(tenantId: string): Promise<number> {
    return this.count({
      IndexName: INDEX.gsi5,
      KeyConditionExpression: 'gsi5pk = :pk',
      ExpressionAttributeValues: { ':pk': notifyDeadPk(tenantId) },
    });
  }

  /**
   * Calls of the tenant whose deliveries are failing now (in backoff, or held), on any transport's slot (the webhook's
   * `notify`, each `deliveries.<name>.retry`), with the latest error seen. The outbox index holds keys only, so at
   * most `maxRead` of the tenant's pending calls are read whole.
   */
  async notificationsRetrying(tenantId: string, maxRead = 100): Promise<{ count: number; lastError?: string }> {
    const shards = await Promise.all(
      shardNumbers().map((shard) =>
        this.items({
          IndexName: INDEX.gsi5,
          KeyConditionExpression: 'gsi5pk = :pk',
          ExpressionAttributeValues: { ':pk': notifyShardPk(tenantId, shard) },
        }),
      ),
    );
    const keys = shards.flat();
    type Retry = { lastError?: unknown; lastAttemptAt?: unknown; deadLetteredAt?: unknown };
    const latest = await Promise.all(
      keys.slice(0, maxRead).map(async (key) => {
        const out = await this.table.doc.send(
          new GetCommand({
            TableName: this.table.name,
            Key: { pk: key.pk, sk: key.sk },
            ProjectionExpression: '#notify, deliveries',
            ExpressionAttributeNames: { '#notify': 'notify' },
          }),
        );
        const slots = Object.values((out.Item?.deliveries ?? {}) as Record<string, { retry?: Retry }>);
        // A slot given up on waits for a redrive (the dead counts), it is not failing now.
        return [out.Item?.notify as Retry | undefined, ...slots.map((slot) => slot.retry)]
          .filter((r): r is Retry & { lastError: string } => typeof r?.lastError === 'string' && r.deadLetteredAt === undefined)
          .sort((a, b) => isoOf(b.lastAttemptAt).localeCompare(isoOf(a.lastAttemptAt)))[0];
      }),
    );
    const failing = latest.filter((r) => r !== undefined).sort((a, b) => isoOf(b.lastAttemptAt).localeCompare(isoOf(a.lastAttemptAt)));
    return { count: failing.length, ...(failing[0] ? { lastError: failing[0].lastError } : {}) };
  }

  /** Calls of the tenant created in [fromIso, toIso] that are still in one of `states`. */
  async countCallsInStates(tenantId: string, states: readonly string[], fromIso: string, toIso: string): Promise<number> {
    const narrow = await this.countNarrow(tenantId, fromIso, toIso, (item) => states.includes(String(item.state)));
    if (narrow !== undefined) return narrow;
    const values: Record<string, unknown> = { ':pk': callsByTenantPk(tenantId), ':from': fromIso, ':to': `${toIso}~` };
    states.forEach((state, i) => (values[`:s${i}`] = state));
    return this.count({
      IndexName: INDEX.gsi3,
      KeyConditionExpression: 'gsi3pk = :pk AND gsi3sk BETWEEN :from AND :to',
      FilterExpression: `#state IN (${states.map((_, i) => `:s${i}`).join(', ')})`,
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: values,
    });
  }

  /** Calls placed between the two times still `unknown` that the reconciler has not flagged (yet). */
  async countUnsettledUnknownCalls(tenantId: string, fromIso: string, toIso: string): Promise<number> {
    const flagged = flaggedCallsPk(tenantId);
    // A flagged call sits on the tenant's flagged list (gsi4): the other check counts it.
    const narrow = await this.countNarrow(tenantId, fromIso, toIso, (item) => item.state === 'unknown' && item.gsi4pk !== flagged);
    if (narrow !== undefined) return narrow;
    return this.count({
      IndexName: INDEX.gsi3,
      KeyConditionExpression: 'gsi3pk = :pk AND gsi3sk BETWEEN :from AND :to',
      FilterExpression: '#state = :unknown AND (attribute_not_exists(gsi4pk) OR gsi4pk <> :flagged)',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: {
        ':pk': callsByTenantPk(tenantId),
        ':from': fromIso,
        ':to': `${toIso}~`,
        ':unknown': 'unknown',
        ':flagged': flagged,
      },
    });
  }

  /**
   * Through the keys-only tenant index, when the stage reads it: the calls created in [fromIso, toIso] (the instant
   * `toIso` included, as `:to~` does on the whole-item index) read by key, counted where `match` holds them.
   */
  private async countNarrow(
    tenantId: string,
    fromIso: string,
    toIso: string,
    match: (item: Record<string, unknown>) => boolean,
  ): Promise<number | undefined> {
    const index = callListingIndex(this.indexMode, tenantId, {});
    if (!index.narrow) return undefined;
    let count = 0;
    await forEachHydratedPage(this.table, narrowQuery(index, { from: fromIso, to: `${toIso}~` }, false), {
      hydrate: { projection: '#state, gsi4pk', names: { '#state': 'state' } },
      onPage: (items) => (count += items.filter(match).length),
    });
    return count;
  }

  /** PBX Stats events of the tenant received since `sinceIso` that matched no call. */
  async countOrphanEventsSince(tenantId: string, sinceIso: string): Promise<number> {
    return this.count({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': tenantPk(tenantId), ':from': pbxOrphanSk(sinceIso, ''), ':to': pbxOrphanSk('~', '') },
    });
  }

  private async items(input: PagedQuery): Promise<Array<Record<string, unknown>>> {
    return (await queryAll(this.table, input)).items;
  }

  private async count(input: PagedQuery): Promise<number> {
    return (await queryAll(this.table, { ...input, Select: 'COUNT' })).count;
  }
}
