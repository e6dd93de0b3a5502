import { container } from '../lib/container';
import { logger } from '../lib/http/logger';
import { notificationMetrics } from '../lib/observability/metrics';

const c = container();

/**
 * Scheduled every minute: delivers what is due in the outbox index (retries after backoff, and
 * anything the stream function could not finish). Every write is conditional, so a run that
 * overlaps the stream function or another run does no harm.
 */
export const handler = async () => {
  const report = await c.notifier.deliverDue();
  if (report.calls > 0) logger.info('Notification retry run', { ...report });
  // Calls found due in the outbox on this run: the backlog an alarm can watch grow.
  notificationMetrics(report.calls, report.results.dead_lettered ?? 0);
  return report;
};
