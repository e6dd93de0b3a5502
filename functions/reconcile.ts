import type { Context, ScheduledEvent } from 'aws-lambda';
import { reconcileUseCase } from '../lib/compose/reconcile';
import { startInvocationLog } from '../lib/observability/logger';
import { reconcileMetrics } from '../lib/observability/metrics';

const reconcile = reconcileUseCase();

/** Scheduled: settles calls left `unknown` or stuck in `dispatching` from the PBX's CDRs. Never dials. */
export const handler = async (_event?: ScheduledEvent, context?: Context) => {
  startInvocationLog(context);
  const report = await reconcile.run();
  reconcileMetrics(report.settled, report.flagged);
  return report;
};
