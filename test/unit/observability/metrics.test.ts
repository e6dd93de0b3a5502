/**
 * The container's metrics (lib/observability/metrics.ts) are built on the first metric published, not at module load:
 * a cold start of notify, which publishes only when a delivery is held, never builds Powertools' Metrics.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { logLinesDuring } from '../../support/log-lines';

const built = vi.hoisted(() => ({ count: 0 }));
vi.mock('@aws-lambda-powertools/metrics', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@aws-lambda-powertools/metrics')>();
  class CountedMetrics extends actual.Metrics {
    constructor(...args: ConstructorParameters<typeof actual.Metrics>) {
      super(...args);
      built.count += 1;
    }
  }
  return { ...actual, Metrics: CountedMetrics };
});

afterEach(() => vi.resetModules());

describe('the metrics of a container', () => {
  it('are not built at module load', async () => {
    built.count = 0;
    await import('../../../lib/observability/metrics');
    expect(built.count).toBe(0);
  });

  it('are built once, by the first metric published, which is written as an EMF line', async () => {
    built.count = 0;
    const { deliveryMetrics } = await import('../../../lib/observability/metrics');
    const { lines } = await logLinesDuring(() => {
      deliveryMetrics.held('hubspot');
      deliveryMetrics.held('pipedrive');
      return Promise.resolve();
    });
    expect(built.count).toBe(1);
    const emf = lines as Array<Record<string, unknown>>;
    expect(emf.filter((line) => line.DeliveriesHeld === 1 && line.Transport === 'hubspot')).toHaveLength(1);
    expect(emf.filter((line) => line.DeliveriesHeld === 1 && line.Transport === 'pipedrive')).toHaveLength(1);
  });
});
