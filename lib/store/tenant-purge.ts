import { BatchWriteCommand, QueryCommand, type BatchWriteCommandOutput, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Table } from './client';
import { StoreError } from './errors';
import { apiKeysByTenantPk, deadLetterPk, INDEX, rateCounterPk, tenantPk, tenantSk } from './keys';

/** What a tenant's items are, as `c2c tenant delete` counts them. */
export const TENANT_ITEM_KINDS = [
  'tenant',
  'apiKeys',
  'agents',
  'agentPresence',
  'teamMemberships',
  'calls',
  'pbxEvents',
  'pbxIdLinks',
  'orphanPbxEvents',
  'webhookSources',
  'dedupeWindows',
  'workMarkers',
  'audit',
  'rateCounters',
  'deadLetters',
  'other',
] as const;
export type TenantItemKind = (typeof TENANT_ITEM_KINDS)[number];
export type TenantItemCounts = Record<TenantItemKind, number>;

interface ItemKey {
  pk: string;
  sk: string;
}

/** The shared dead-letter partition of versions before per-tenant ones (lib/store/legacy-work-keys.ts migrates it). */
const LEGACY_DEAD_LETTERS = 'DLQ';

/** The kind of an item of the tenant's own partition, by its sort key (lib/store/keys.ts). */
function kindOfTenantItem(sk: string): TenantItemKind {
  if (sk === tenantSk()) return 'tenant';
  if (sk.startsWith('CALL#')) return sk.includes('#PBXEVENT#') ? 'pbxEvents' : 'calls';
  const prefixes: Array<[string, TenantItemKind]> = [
    ['AGENTLOCK#', 'agentPresence'],
    ['AGENT#', 'agents'],
    ['TEAM#', 'teamMemberships'],
    ['PBXUID#', 'pbxIdLinks'],
    ['PBXORPHAN#', 'orphanPbxEvents'],
    ['HOOKSOURCE#', 'webhookSources'],
    ['DEDUPE#', 'dedupeWindows'],
    ['WORK#', 'workMarkers'],
    ['AUDIT#', 'audit'],
  ];
  return prefixes.find(([prefix]) => sk.startsWith(prefix))?.[1] ?? 'other';
}

const emptyCounts = (): TenantItemCounts => Object.fromEntries(TENANT_ITEM_KINDS.map((k) => [k, 0])) as TenantItemCounts;

/**
 * Everything a tenant has in the table, found by its keys: its own partition (`TENANT#<id>`: settings, agents and
 * their presence, teams, calls and their PBX events, webhook sources, dedupe windows, work markers, audit records),
 * its API keys (stored by hash, listed by the tenant's key index), its rate counters and its dead letters. Index
 * entries (work lists, the call indexes) are attributes of those items and go with them.
 */
export class TenantPurge {
  constructor(private readonly table: Table) {}

  /** What the tenant holds now, counted by kind, without changing anything. */
  async count(tenantId: string): Promise<TenantItemCounts> {
    return countsOf(await this.collect(tenantId));
  }

  /**
   * Deletes every item of the tenant and answers how many of each kind went. The API keys go first, then the
   * tenant's settings, so no request is accepted for it (once the key caches expire) while the rest is deleted; a
   * run that stops half way is finished by running it again. Items written while it runs (a call in flight) are
   * found by the passes after the first.
   */
  async purge(tenantId: string): Promise<TenantItemCounts> {
    const total = emptyCounts();
    for (let pass = 0; pass < 3; pass++) {
      const found = await this.collect(tenantId);
      if (found.length === 0) break;
      const rank = (kind: TenantItemKind) => (kind === 'apiKeys' ? 0 : kind === 'tenant' ? 1 : 2);
      found.sort((a, b) => rank(a.kind) - rank(b.kind));
      for (const stage of [0, 1, 2]) await this.deleteAll(found.filter((f) => rank(f.kind) === stage).map((f) => f.key));
      for (const [kind, n] of Object.entries(countsOf(found))) total[kind as TenantItemKind] += n;
    }
    return total;
  }

  private async collect(tenantId: string): Promise<Array<{ key: ItemKey; kind: TenantItemKind }>> {
    const keysOf = (input: Omit<QueryCommandInput, 'TableName'>) => this.keys(input);
    const [own, apiKeys, rate, dead, legacyDead] = await Promise.all([
      keysOf({ KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': tenantPk(tenantId) } }),
      keysOf({
        IndexName: INDEX.gsi1,
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': apiKeysByTenantPk(tenantId) },
      }),
      keysOf({ KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': rateCounterPk(tenantId) } }),
      keysOf({ KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': deadLetterPk(tenantId) } }),
      keysOf({
        KeyConditionExpression: 'pk = :pk',
        FilterExpression: 'tenantId = :tenant',
        ExpressionAttributeValues: { ':pk': LEGACY_DEAD_LETTERS, ':tenant': tenantId },
      }),
    ]);
    return [
      ...own.map((key) => ({ key, kind: kindOfTenantItem(key.sk) })),
      ...apiKeys.map((key) => ({ key, kind: 'apiKeys' as const })),
      ...rate.map((key) => ({ key, kind: 'rateCounters' as const })),
      ...[...dead, ...legacyDead].map((key) => ({ key, kind: 'deadLetters' as const })),
    ];
  }

  /** The table keys of every item a query finds (an index query answers them too: every index projects the keys). */
  private async keys(input: Omit<QueryCommandInput, 'TableName'>): Promise<ItemKey[]> {
    const keys: ItemKey[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.table.doc.send(
        new QueryCommand({
          ...input,
          TableName: this.table.name,
          ProjectionExpression: '#pk, #sk',
          ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) keys.push({ pk: String(item.pk), sk: String(item.sk) });
      start = out.LastEvaluatedKey;
    } while (start);
    return keys;
  }

  private async deleteAll(keys: ItemKey[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 25) {
      let requests: Array<Record<string, unknown>> | undefined = keys.slice(i, i + 25).map((key) => ({ DeleteRequest: { Key: key } }));
      for (let attempt = 0; requests && requests.length > 0; attempt++) {
        if (attempt >= 8) throw new StoreError(`DynamoDB left ${requests.length} deletes unprocessed: run the command again`);
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
        const out: BatchWriteCommandOutput = await this.table.doc.send(
          new BatchWriteCommand({ RequestItems: { [this.table.name]: requests } }),
        );
        requests = out.UnprocessedItems?.[this.table.name];
      }
    }
  }
}

function countsOf(found: Array<{ kind: TenantItemKind }>): TenantItemCounts {
  const counts = emptyCounts();
  for (const { kind } of found) counts[kind] += 1;
  return counts;
}
