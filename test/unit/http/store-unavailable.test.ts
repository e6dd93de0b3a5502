import { DynamoDBServiceException, InternalServerError, ThrottlingException } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { httpHandler } from '../../../lib/http/handler';
import { logger } from '../../../lib/observability/logger';
import { invoke } from '../../support/env';

const failingWith = (error: unknown) =>
  httpHandler({}, () => {
    throw error;
  });

const call = (error: unknown) => invoke(failingWith(error), { method: 'POST', route: '/v1/calls', body: {} });

afterEach(() => vi.restoreAllMocks());

describe('a DynamoDB fault that reaches the HTTP layer', () => {
  it.each([
    [
      'throttling',
      new ThrottlingException({ message: 'Throughput exceeds the current capacity', $metadata: { httpStatusCode: 400, attempts: 3 } }),
    ],
    ['a 5xx', new InternalServerError({ message: 'Internal server error', $metadata: { httpStatusCode: 500, attempts: 3 } })],
    [
      'a timeout',
      Object.assign(new Error('a request has exceeded the configured requestTimeout'), {
        name: 'TimeoutError',
        code: 'ETIMEDOUT',
        $metadata: { attempts: 3 },
      }),
    ],
  ])('answers %s with 503 store_unavailable and Retry-After, logged as a warning', async (_, error) => {
    const warn = vi.spyOn(logger, 'warn');
    const errorLog = vi.spyOn(logger, 'error');
    const res = await call(error);
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(res.body).toMatchObject({ status: 503, code: 'store_unavailable' });
    expect(warn).toHaveBeenCalledWith(
      'DynamoDB unavailable: answered 503',
      expect.objectContaining({ errorName: (error as Error).name, attempts: 3 }),
    );
    expect(errorLog).not.toHaveBeenCalled();
  });

  it('keeps a bare 500 for a bug: a request DynamoDB refuses as invalid', async () => {
    const errorLog = vi.spyOn(logger, 'error');
    // DynamoDB's ValidationException has no class of its own: the SDK raises its service exception with the name.
    const invalid = new DynamoDBServiceException({
      name: 'ValidationException',
      $fault: 'client',
      message: 'Invalid UpdateExpression',
      $metadata: { httpStatusCode: 400, attempts: 1 },
    });
    const res = await call(invalid);
    expect(res.status).toBe(500);
    expect(res.body.code).toBe('internal_error');
    expect(res.headers['retry-after']).toBeUndefined();
    expect(errorLog).toHaveBeenCalledWith('Unhandled error', expect.anything());
  });
});
