import { ReconcileCalls } from '../lib/calls/reconcile';
import { container } from '../lib/container';
import { logger } from '../lib/http/logger';
import { reconcileMetrics } from '../lib/observability/metrics';

const c = container();
const reconcile = new ReconcileCalls({
  calls: c.calls,
  tenants: c.tenants,
  logger,
  maxTries: c.config.RECONCILE_MAX_TRIES,
  minAgeSec: c.config.RECONCILE_MIN_AGE_SEC,
  cdrTimeoutMs: 10_000,
  outbound: c.outbound,
});

/** Scheduled: settles calls left `unknown` or stuck in `dispatching` from the PBX's CDRs. Never dials. */
export const handler = async () => {
  const report = await reconcile.run();
  reconcileMetrics(report.settled, report.flagged);
  return report;
};
