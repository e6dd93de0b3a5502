import {
  ConditionalCheckFailedException,
  InternalServerError,
  ProvisionedThroughputExceededException,
  RequestLimitExceeded,
  ResourceNotFoundException,
  ThrottlingException,
} from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../../lib/store/errors';
import { isStoreUnavailable } from '../../../lib/store/unavailable';

const meta = (httpStatusCode?: number) => ({ ...(httpStatusCode ? { httpStatusCode } : {}), attempts: 3, totalRetryDelay: 100 });
/** What @smithy/node-http-handler and Node's sockets throw, once the SDK's retry loop has stamped its metadata on them. */
const transport = (name: string, code: string) => Object.assign(new Error('transport failure'), { name, code, $metadata: meta() });

describe('isStoreUnavailable', () => {
  it.each([
    ['ProvisionedThroughputExceededException', new ProvisionedThroughputExceededException({ message: 'x', $metadata: meta(400) })],
    ['ThrottlingException', new ThrottlingException({ message: 'x', $metadata: meta(400) })],
    ['RequestLimitExceeded', new RequestLimitExceeded({ message: 'x', $metadata: meta(400) })],
    ['InternalServerError', new InternalServerError({ message: 'x', $metadata: meta(500) })],
    ['a request timeout', transport('TimeoutError', 'ETIMEDOUT')],
    ['a refused connection', transport('Error', 'ECONNREFUSED')],
    ['a reset connection', transport('Error', 'ECONNRESET')],
    [
      'a store error caused by a throttle',
      new StoreError('wrapped', { cause: new ThrottlingException({ message: 'x', $metadata: meta(400) }) }),
    ],
  ])('recognises %s as DynamoDB being unavailable', (_, error) => {
    expect(isStoreUnavailable(error)).toBe(true);
  });

  it.each([
    ['a refused condition', new ConditionalCheckFailedException({ message: 'x', $metadata: meta(400) })],
    ['a missing table', new ResourceNotFoundException({ message: 'x', $metadata: meta(400) })],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'sk')")],
    // Thrown before the request leaves (marshalling): no $metadata, so a bug of ours.
    ['a marshalling error', new Error('Pass options.removeUndefinedValues=true to remove undefined values')],
    ['an unreadable 200 answer', Object.assign(new SyntaxError('Unexpected token'), { $metadata: meta(200) })],
    ['a string', 'ThrottlingException'],
    ['nothing', undefined],
  ])('does not take %s for an outage', (_, error) => {
    expect(isStoreUnavailable(error)).toBe(false);
  });
});
