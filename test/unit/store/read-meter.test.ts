import { describe, expect, it } from 'vitest';
import { itemsRead } from '../../../lib/store/read-meter';

describe('itemsRead: the items one DynamoDB command read, from its input and answer', () => {
  it.each([
    // A query or a scan: what it examined, before its filter dropped any (ScannedCount), not what it returned (Count).
    { command: 'QueryCommand', input: {}, output: { Count: 2, ScannedCount: 50, Items: [{}, {}] }, items: 50 },
    { command: 'ScanCommand', input: {}, output: { Count: 0, ScannedCount: 7 }, items: 7 },
    { command: 'QueryCommand', input: {}, output: { Count: 3 }, items: 3 },
    { command: 'QueryCommand', input: {}, output: {}, items: 0 },
    // A get looks its item up whether it is there or not.
    { command: 'GetItemCommand', input: {}, output: {}, items: 1 },
    { command: 'GetItemCommand', input: {}, output: { Item: { pk: 'a' } }, items: 1 },
    // A batch get: each key looked up, less those left unprocessed (sent again, and counted then).
    {
      command: 'BatchGetItemCommand',
      input: { RequestItems: { t: { Keys: [{ pk: 'a' }, { pk: 'b' }, { pk: 'c' }] }, u: { Keys: [{ pk: 'd' }] } } },
      output: { Responses: { t: [{}] }, UnprocessedKeys: { t: { Keys: [{ pk: 'c' }] } } },
      items: 3,
    },
    { command: 'BatchGetItemCommand', input: { RequestItems: { t: { Keys: [{ pk: 'a' }] } } }, output: {}, items: 1 },
    { command: 'TransactGetItemsCommand', input: { TransactItems: [{}, {}] }, output: {}, items: 2 },
    // Writes read nothing the budget counts (the budget's own counter is one).
    { command: 'UpdateItemCommand', input: {}, output: { Attributes: {} }, items: 0 },
    { command: 'PutItemCommand', input: {}, output: {}, items: 0 },
  ])('$command -> $items', ({ command, input, output, items }) => {
    expect(itemsRead(command, input, output)).toBe(items);
  });
});
