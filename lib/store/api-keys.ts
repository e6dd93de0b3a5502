import { createHash, randomBytes } from 'node:crypto';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { noControlCharacters } from '../model/control-characters';
import { SCOPES, type Scope } from '../model/scope';
import { systemClock, type Clock } from '../time/clock';
import type { Table } from './client';
import { CorruptItemError, isConditionalCheckFailed, StoreError } from './errors';
import { apiKeyPk, apiKeySk, apiKeysByTenantPk, apiKeysByTenantSk, INDEX } from './keys';
import { queryPages } from './query-pages';

export { SCOPES, type Scope } from '../model/scope';

export const apiKeyRecordSchema = z.object({
  keyId: z.string(),
  keyHash: z.string(),
  tenantId: z.string(),
  name: z.string(),
  scopes: z.array(z.enum(SCOPES)),
  createdAt: z.string(),
  revokedAt: z.string().optional(),
});
export type ApiKeyRecord = z.infer<typeof apiKeyRecordSchema>;

/** What a key is for, as an operator names it ("HubSpot workflow"); the stored one may predate the rule. */
export const apiKeyNameSchema = z.string().check(noControlCharacters).trim().min(1).max(200);

const KEY_PATTERN = /^c2c_([a-z0-9][a-z0-9-]{1,39})_([A-Za-z0-9_-]{32,64})$/;

/**
 * Keys carry their tenant id in clear (`c2c_<tenant>_<secret>`), so the tenant can be read in the
 * same round trip as the key. Only a SHA-256 of the whole key is stored: the secret part has
 * 192 bits of entropy, so a slow password hash would buy nothing.
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The tenant id a well-formed key names, or undefined for anything that is not one of our keys. */
export function tenantOfApiKey(key: string): string | undefined {
  return KEY_PATTERN.exec(key)?.[1];
}

export class ApiKeyNotFoundError extends StoreError {
  constructor(keyId: string) {
    super(`API key ${keyId} not found`);
    this.name = 'ApiKeyNotFoundError';
  }
}

export class ApiKeyRepository {
  constructor(
    private readonly table: Table,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Issues a key. The returned `key` is the only time the secret exists outside the caller's hands. */
  async issue(tenantId: string, name: string, scopes: Scope[]): Promise<{ key: string; record: ApiKeyRecord }> {
    const label = apiKeyNameSchema.parse(name);
    const secret = randomBytes(24).toString('base64url');
    const key = `c2c_${tenantId}_${secret}`;
    const record: ApiKeyRecord = {
      keyId: `k_${secret.slice(0, 8)}`,
      keyHash: hashApiKey(key),
      tenantId,
      name: label,
      scopes: [...new Set(scopes)],
      createdAt: this.clock().toISOString(),
    };
    await this.table.doc.send(
      new PutCommand({
        TableName: this.table.name,
        Item: {
          pk: apiKeyPk(record.keyHash),
          sk: apiKeySk(),
          type: 'apiKey',
          gsi1pk: apiKeysByTenantPk(tenantId),
          gsi1sk: apiKeysByTenantSk(record.keyId),
          ...record,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return { key, record };
  }

  /** Finds a key by its secret; revoked keys are returned too, so the caller can say why it fails. */
  async findByKey(key: string): Promise<ApiKeyRecord | undefined> {
    const out = await this.table.doc.send(
      new GetCommand({ TableName: this.table.name, Key: { pk: apiKeyPk(hashApiKey(key)), sk: apiKeySk() } }),
    );
    return out.Item ? parseApiKeyItem(out.Item) : undefined;
  }

  async list(tenantId: string): Promise<ApiKeyRecord[]> {
    const records: ApiKeyRecord[] = [];
    const query = {
      IndexName: INDEX.gsi1,
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': apiKeysByTenantPk(tenantId) },
    };
    for await (const page of queryPages(this.table, query)) records.push(...page.items.map(parseApiKeyItem));
    return records;
  }

  /** Revokes a key by its public id. Idempotent: revoking twice keeps the first time. */
  async revoke(tenantId: string, keyId: string): Promise<ApiKeyRecord> {
    const found = (await this.list(tenantId)).find((r) => r.keyId === keyId);
    if (!found) throw new ApiKeyNotFoundError(keyId);
    try {
      const out = await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: { pk: apiKeyPk(found.keyHash), sk: apiKeySk() },
          UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :now)',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':now': this.clock().toISOString() },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return parseApiKeyItem(out.Attributes ?? {});
    } catch (error) {
      if (isConditionalCheckFailed(error)) throw new ApiKeyNotFoundError(keyId);
      throw error;
    }
  }
}

export function parseApiKeyItem(item: Record<string, unknown>): ApiKeyRecord {
  const parsed = apiKeyRecordSchema.safeParse(item);
  if (!parsed.success) throw new CorruptItemError('API key', { cause: parsed.error });
  return parsed.data;
}
