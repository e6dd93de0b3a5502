import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../../lib/config';
import { healthReport } from '../../../lib/compose/health';
import { createRoot, perRoot } from '../../../lib/compose/root';
import { calls, table } from '../../../lib/compose/shared';
import { logger, startInvocationLog } from '../../../lib/observability/logger';

const config = loadConfig({ TABLE_NAME: 'c2c-test', STAGE: 'test', DYNAMODB_ENDPOINT: 'http://127.0.0.1:9' });

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the composition root', () => {
  it('builds a piece on its first use only, once per root', () => {
    const build = vi.fn((r: { config: { TABLE_NAME: string } }) => ({ table: r.config.TABLE_NAME }));
    const piece = perRoot(build);
    const a = createRoot({ config });
    const b = createRoot({ config });
    expect(build).not.toHaveBeenCalled();
    expect(piece(a)).toBe(piece(a));
    expect(piece(b)).not.toBe(piece(a));
    expect(build).toHaveBeenCalledTimes(2);
    // Shared pieces follow the same rule: one table client per root, reused by every repository built on it.
    expect(table(a)).toBe(table(a));
    expect(calls(a)).toBe(calls(a));
  });

  it("gives the root's clock to what it builds", () => {
    const root = createRoot({ config, clock: () => new Date('2031-05-06T07:08:09.000Z') });
    expect(healthReport(root)()).toMatchObject({ stage: 'test', time: '2031-05-06T07:08:09.000Z' });
  });
});

describe('the log context of an invocation', () => {
  it('gives the logger the Lambda context', () => {
    const addContext = vi.spyOn(logger, 'addContext');
    const context = { awsRequestId: 'r-1', functionName: 'c2c-dev-reconcile' } as Context;
    startInvocationLog(context);
    expect(addContext).toHaveBeenCalledWith(context);
  });
});
