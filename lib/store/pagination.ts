import { StoreError } from './errors';

export interface Page<T> {
  items: T[];
  /** Opaque; absent on the last page. */
  nextCursor?: string;
}

export class InvalidCursorError extends StoreError {
  constructor() {
    super('The cursor is not one this listing issued');
    this.name = 'InvalidCursorError';
  }
}

/** Cursors are DynamoDB's LastEvaluatedKey, base64url-encoded: opaque to clients, stateless for us. */
export function encodeCursor(lastKey: Record<string, unknown> | undefined): string | undefined {
  return lastKey ? Buffer.from(JSON.stringify(lastKey), 'utf8').toString('base64url') : undefined;
}

/**
 * Decodes a cursor and checks that it continues the same listing (`expected` key values): a
 * cursor crafted to start in another tenant's partition is refused, not followed.
 */
export function decodeCursor(cursor: string | undefined, expected: Record<string, string>): Record<string, unknown> | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError();
  }
  if (typeof key !== 'object' || key === null || Array.isArray(key)) throw new InvalidCursorError();
  const record = key as Record<string, unknown>;
  for (const [name, value] of Object.entries(expected)) {
    if (record[name] !== value) throw new InvalidCursorError();
  }
  if (!Object.values(record).every((v) => typeof v === 'string')) throw new InvalidCursorError();
  return record;
}
