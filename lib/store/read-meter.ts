import { AsyncLocalStorage } from 'node:async_hooks';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Counts the items DynamoDB reads for a piece of work: what the read budget (lib/policy/read-budget.ts) charges a
 * listing, a report or the teams summary once it has read, whatever path the read took (a filter read on page after
 * page, a report's pages, the presence items fetched by key). Counted from DynamoDB's own answers, in a middleware of
 * the document client, so a read the use case adds later is counted without the use case telling anyone.
 */
export class ReadTally {
  /** Items read so far by the work run through {@link ReadTally.run}. */
  items = 0;

  /** Runs `work`, adding to this tally the items every command it sends reads (through a client {@link meterReads} set up). */
  run<T>(work: () => Promise<T>): Promise<T> {
    return tallies.run(this, work);
  }
}

const tallies = new AsyncLocalStorage<ReadTally>();

type Input = Record<string, unknown>;
type Output = Record<string, unknown>;

/**
 * The items one command read, from its input and DynamoDB's answer: a query or a scan what it examined before any
 * filter (`ScannedCount`); a get the one item it looked up, found or not; a batch or transactional get each key it
 * looked up (less those DynamoDB left unprocessed, which the caller sends again). Writes read nothing here.
 */
export function itemsRead(commandName: string, input: Input, output: Output): number {
  switch (commandName) {
    case 'QueryCommand':
    case 'ScanCommand':
      return numberOf(output.ScannedCount) ?? numberOf(output.Count) ?? 0;
    case 'GetItemCommand':
      return 1;
    case 'BatchGetItemCommand':
      return Math.max(0, keysIn(input.RequestItems) - keysIn(output.UnprocessedKeys));
    case 'TransactGetItemsCommand':
      return Array.isArray(input.TransactItems) ? input.TransactItems.length : 0;
    default:
      return 0;
  }
}

/**
 * Adds the meter to a document client (to its base client's middleware, which every document client over it shares).
 * Outside {@link ReadTally.run} it counts nothing; added twice, the second replaces the first.
 */
export function meterReads(doc: DynamoDBDocumentClient): void {
  doc.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const tally = tallies.getStore();
      if (tally) tally.items += itemsRead(context.commandName ?? '', args.input as Input, (result.output ?? {}) as Output);
      return result;
    },
    { step: 'initialize', name: 'c2cReadMeter', override: true },
  );
}

function numberOf(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

function keysIn(requestItems: unknown): number {
  if (typeof requestItems !== 'object' || requestItems === null) return 0;
  let keys = 0;
  for (const request of Object.values(requestItems as Record<string, { Keys?: unknown }>)) {
    if (Array.isArray(request?.Keys)) keys += request.Keys.length;
  }
  return keys;
}
