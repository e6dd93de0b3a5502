import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
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

/**
 * The item DynamoDB returns with a refused conditional write (`ReturnValuesOnConditionCheckFailure:
 * ALL_OLD`). The document client unmarshalls outputs but not errors, so the item arrives in the wire
 * format; read it as the document client would. Undefined when the server sent none (dynalite).
 */
export function conditionFailureItem(error: ConditionalCheckFailedException): Record<string, unknown> | undefined {
  if (!error.Item) return undefined;
  return unmarshall(error.Item, { wrapNumbers: false });
}

/** Whether an SDK error is DynamoDB refusing a conditional write. */
export function isConditionalCheckFailed(error: unknown): error is ConditionalCheckFailedException {
  return error instanceof ConditionalCheckFailedException;
}

/** Whether a conditional write's condition held: false when DynamoDB refused it on its condition; any other failure is thrown. */
export async function conditionHeld(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (error) {
    if (isConditionalCheckFailed(error)) return false;
    throw error;
  }
}
