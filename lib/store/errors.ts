/** Base class of the store's errors; `cause` keeps the SDK error. */
export class StoreError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StoreError';
  }
}

/** An item in the table does not match its schema: data written by something else, or an old shape. */
export class CorruptItemError extends StoreError {
  constructor(what: string, options?: ErrorOptions) {
    super(`Stored ${what} does not match its schema`, options);
    this.name = 'CorruptItemError';
  }
}

/** Whether an SDK error is DynamoDB refusing a conditional write. */
export function isConditionalCheckFailed(error: unknown): error is Error & { Item?: Record<string, unknown> } {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}
