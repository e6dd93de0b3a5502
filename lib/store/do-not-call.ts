import { createHmac } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { systemClock, type Clock } from '../time/clock';
import type { Table } from './client';
import { isConditionalCheckFailed } from './errors';
import { dncPrefix, dncSk, tenantPk } from './keys';
import { queryPages } from './query-pages';

/** An entry of a do-not-call list as stored: no number, only its keyed hash (`id` is its first 16 characters). */
export interface DoNotCallEntry {
  id: string;
  addedAt: string;
  /** Who listed it: `api:<keyId>`, `cli`, `cli-import`. */
  by: string;
}

/**
 * The number's hash as the list keys it: HMAC-SHA256 of the E.164 under a key of the tenant's own, base64url. A table
 * dump shows no number, and one number listed by two tenants shows two unrelated hashes. Not a secret: the key is
 * derived from the tenant id, so whoever holds a dump can still test a number they guess, or every number of a
 * country (docs/security.md, "Do-not-call list").
 */
export function doNotCallHash(tenantId: string, e164: string): string {
  return createHmac('sha256', `c2c-dnc:${tenantId}`).update(e164).digest('base64url');
}

/**
 * A tenant's do-not-call list: one item per number (`DNC#<hash>`, under the tenant). The call path reads one item
 * per call (`isListed`, beside its first stage); the API and the CLI add, remove and look up numbers. Erasing a
 * number's calls (lib/privacy/erase-number.ts) leaves its entry: the list is what keeps it from being called again.
 */
export class DoNotCallRepository {
  constructor(
    private readonly table: Table,
    private readonly clock: Clock = systemClock,
  ) {}

  private key(tenantId: string, e164: string) {
    return { pk: tenantPk(tenantId), sk: dncSk(doNotCallHash(tenantId, e164)) };
  }

  /** One GetItem of the key only: whether the number is listed. */
  async isListed(tenantId: string, e164: string): Promise<boolean> {
    const out = await this.table.doc.send(
      new GetCommand({ TableName: this.table.name, Key: this.key(tenantId, e164), ProjectionExpression: 'pk' }),
    );
    return out.Item !== undefined;
  }

  async get(tenantId: string, e164: string): Promise<DoNotCallEntry | undefined> {
    const out = await this.table.doc.send(new GetCommand({ TableName: this.table.name, Key: this.key(tenantId, e164) }));
    return out.Item ? entryOf(out.Item) : undefined;
  }

  /** Lists the number; `created` false when it was listed already (the first listing is kept). */
  async add(tenantId: string, e164: string, by: string): Promise<{ entry: DoNotCallEntry; created: boolean }> {
    const key = this.key(tenantId, e164);
    const entry: DoNotCallEntry = { id: idOf(key.sk), addedAt: this.clock().toISOString(), by };
    try {
      await this.table.doc.send(
        new PutCommand({
          TableName: this.table.name,
          Item: { ...key, type: 'dnc', addedAt: entry.addedAt, by },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { entry, created: true };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      return { entry: (await this.get(tenantId, e164)) ?? entry, created: false };
    }
  }

  /** Takes the number off the list; false when it was not on it. */
  async remove(tenantId: string, e164: string): Promise<boolean> {
    const out = await this.table.doc.send(
      new DeleteCommand({ TableName: this.table.name, Key: this.key(tenantId, e164), ReturnValues: 'ALL_OLD' }),
    );
    return out.Attributes !== undefined;
  }

  /** Every entry of the tenant's list, oldest hash first (the CLI's `dnc list`): hashes and dates, never a number. */
  async listAll(tenantId: string): Promise<DoNotCallEntry[]> {
    const entries: DoNotCallEntry[] = [];
    const query = {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': tenantPk(tenantId), ':prefix': dncPrefix() },
    };
    for await (const page of queryPages(this.table, query)) entries.push(...page.items.map(entryOf));
    return entries;
  }
}

const idOf = (sk: string) => sk.slice(dncPrefix().length, dncPrefix().length + 16);

function entryOf(item: Record<string, unknown>): DoNotCallEntry {
  return {
    id: idOf(String(item.sk)),
    addedAt: typeof item.addedAt === 'string' ? item.addedAt : '',
    by: typeof item.by === 'string' ? item.by : '',
  };
}
