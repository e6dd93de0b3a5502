import { ReconcileCalls } from '../calls/reconcile';
import { logger } from '../observability/logger';
import { perRoot } from './root';
import { calls } from './call-store';
import { outbound } from './readers';
import { tenants } from './secrets';

/** Scheduled: settles `unknown` and stuck `dispatching` calls from the PBX's CDRs. Never dials. */
export const reconcileUseCase = perRoot(
  (r) =>
    new ReconcileCalls({
      calls: calls(r),
      tenants: tenants(r),
      logger,
      maxTries: r.config.RECONCILE_MAX_TRIES,
      minAgeSec: r.config.RECONCILE_MIN_AGE_SEC,
      cdrTimeoutMs: 10_000,
      outbound: outbound(r),
      now: r.clock,
    }),
);
