/**
 * The container's logger is built when the first line is written (lib/observability/logger.ts): a cold start that
 * writes no line never builds Powertools' Logger. A line written later carries what an eager logger would have given it.
 */
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DeferredLogger, ServiceLogger } from '../../../lib/observability/logger';
import { logLinesDuring } from '../../support/log-lines';

const context = (awsRequestId: string) =>
  ({ awsRequestId, functionName: 'c2c-test-agents', memoryLimitInMB: '1024' }) as unknown as Context;

function deferred() {
  const build = vi.fn(() => new ServiceLogger({ serviceName: 'c2c-logger-test' }));
  return { build, logger: new DeferredLogger(build) };
}

type Line = { level?: string; message?: string; cold_start?: boolean; function_request_id?: string; tenantId?: string; route?: string };

describe('the deferred logger', () => {
  // As on Lambda: Powertools reports a cold start only for an on-demand container.
  beforeEach(() => vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'on-demand'));
  afterEach(() => vi.unstubAllEnvs());

  it('builds no Logger for an invocation that writes no line', () => {
    const { build, logger } = deferred();
    logger.resetKeys();
    logger.addContext(context('r-1'));
    logger.appendKeys({ requestId: 'r-1', route: 'GET /v1/agents' });
    expect(build).not.toHaveBeenCalled();
  });

  it("gives the first line the invocation's context and keys, and builds the Logger once", async () => {
    const { build, logger } = deferred();
    logger.resetKeys();
    logger.addContext(context('r-1'));
    logger.appendKeys({ route: 'GET /v1/agents' });
    logger.appendKeys({ tenantId: 't-1' });
    const { lines } = await logLinesDuring(() => {
      logger.warn('first line');
      logger.info('second line');
      return Promise.resolve();
    });
    expect(build).toHaveBeenCalledTimes(1);
    const written = lines as Line[];
    expect(written.map((l) => l.message)).toEqual(['first line', 'second line']);
    for (const line of written)
      expect(line).toMatchObject({ cold_start: true, function_request_id: 'r-1', route: 'GET /v1/agents', tenantId: 't-1' });
  });

  it('drops the keys of an earlier invocation, and says cold_start false when built after the first invocation', async () => {
    const { logger } = deferred();
    logger.resetKeys();
    logger.addContext(context('r-1'));
    logger.appendKeys({ tenantId: 't-1' });
    logger.resetKeys();
    logger.addContext(context('r-2'));
    logger.appendKeys({ route: 'GET /v1/teams' });
    const { lines } = await logLinesDuring(() => Promise.resolve(logger.error('in the second invocation')));
    expect(lines).toEqual([expect.objectContaining({ cold_start: false, function_request_id: 'r-2', route: 'GET /v1/teams' })]);
    expect((lines[0] as Line).tenantId).toBeUndefined();
  });

  it('hands keys and contexts to the Logger once it is built', async () => {
    const { logger } = deferred();
    logger.addContext(context('r-1'));
    await logLinesDuring(() => Promise.resolve(logger.info('builds it')));
    logger.resetKeys();
    logger.addContext(context('r-2'));
    logger.appendKeys({ tenantId: 't-2' });
    const { lines } = await logLinesDuring(() => Promise.resolve(logger.info('later')));
    expect(lines).toEqual([expect.objectContaining({ cold_start: false, function_request_id: 'r-2', tenantId: 't-2' })]);
  });
});
