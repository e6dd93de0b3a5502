import { BatchGetCommand, type BatchGetCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { Table } from './client';
import { StoreError } from './errors';

/** A table key as a keys-only index gives it back (with the index's own keys beside it, which are ignored here). */
export type TableKey = { pk: unknown; sk: unknown } & Record<string, unknown>;

/** Keys one BatchGetItem takes at most (DynamoDB's limit). */
export const BATCH_GET_MAX_KEYS = 100;
/** Rounds in a row that may bring back nothing of what was asked (DynamoDB throttled them all) before giving up. */
export const HYDRATE_MAX_EMPTY_ROUNDS = 6;

export interface HydrateOptions {
  /** The attributes to read (`pk` and `sk` are always read: they place each item back in the order asked for). */
  projection?: string;
  names?: Record<string, string>;
  /** The wait before a round that sends unprocessed keys again, doubled each round that brings back nothing; 25 ms. */
  backoffMs?: number;
  /** Eventually consistent by default, as the index the keys came from. */
  consistent?: boolean;
}

const keyId = (key: { pk: unknown; sk: unknown }) => JSON.stringify([key.pk, key.sk]);

/**
 * The items of the keys a keys-only index page returned, in the keys' order: BatchGetItem in chunks of 100, the keys
 * DynamoDB leaves unprocessed sent again after a short backoff (a round that brings nothing back counts against
 * {@link HYDRATE_MAX_EMPTY_ROUNDS}; a round that makes progress, as when the 16 MB answer limit cuts it, does not).
 * A key whose item is gone meanwhile (an erasure, a TTL expiry between the query and this read) is dropped.
 */
export async function hydrate(
  table: Table,
  keys: readonly TableKey[],
  options: HydrateOptions = {},
): Promise<Array<Record<string, unknown>>> {
  if (keys.length === 0) return [];
  const found = new Map<string, Record<string, unknown>>();
  const unique = [...new Map(keys.map((k) => [keyId(k), { pk: k.pk, sk: k.sk }])).values()];
  const projection = options.projection === undefined ? {} : projectionOf(options.projection, options.names);
  for (let i = 0; i < unique.length; i += BATCH_GET_MAX_KEYS) {
    let pending: Array<Record<string, unknown>> = unique.slice(i, i + BATCH_GET_MAX_KEYS);
    let emptyRounds = 0;
    let wait = options.backoffMs ?? 25;
    while (pending.length > 0) {
      const out: BatchGetCommandOutput = await table.doc.send(
        new BatchGetCommand({
          RequestItems: { [table.name]: { Keys: pending, ...projection, ...(options.consistent ? { ConsistentRead: true } : {}) } },
        }),
      );
      const items = out.Responses?.[table.name] ?? [];
      for (const item of items) found.set(keyId(item as TableKey), item);
      pending = out.UnprocessedKeys?.[table.name]?.Keys ?? [];
      if (pending.length === 0) break;
      if (items.length === 0 && ++emptyRounds >= HYDRATE_MAX_EMPTY_ROUNDS)
        throw new StoreError(`DynamoDB left ${pending.length} keys unprocessed ${emptyRounds} times in a row`);
      await new Promise((resolve) => setTimeout(resolve, wait));
      if (items.length === 0) wait *= 2;
    }
  }
  return keys.flatMap((k) => {
    const item = found.get(keyId(k));
    return item ? [item] : [];
  });
}

function projectionOf(projection: string, names: Record<string, string> | undefined) {
  return {
    ProjectionExpression: `#hydratePk, #hydrateSk, ${projection}`,
    ExpressionAttributeNames: { ...names, '#hydratePk': 'pk', '#hydrateSk': 'sk' },
  };
}
