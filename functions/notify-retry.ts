import type { Context, ScheduledEvent } from 'aws-lambda';
import { notifierUseCase } from '../lib/compose/notifier';
import { logger, startInvocationLog } from '../lib/observability/logger';
import { notificationMetrics } from '../lib/observability/metrics';

const notifier = notifierUseCase();

/**
 * Scheduled every minute: delivers what is due in the outbox index (retries after backoff, and
 * anything the stream function could not finish). Every write is conditional, so a run that
 * overlaps the stream function or another run does no harm.
 */
export const handler = async (_event?: ScheduledEvent, context?: Context) => {
  startInvocationLog(context);
  const report = await notifier.deliverDue();
  if (report.calls > 0) logger.info('Notification retry run', { ...report });
  // Calls found due in the outbox on this run: the backlog an alarm can watch grow.
  notificationMetrics(report.calls, report.results.dead_lettered ?? 0);
  return report;
};
