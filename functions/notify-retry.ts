import { container } from '../lib/container';
import { logger } from '../lib/http/logger';

const c = container();

/**
 * Scheduled every minute: delivers what is due in the outbox index (retries after backoff, and
 * anything the stream function could not finish). Every write is conditional, so a run that
 * overlaps the stream function or another run does no harm.
 */
export const handler = async () => {
  const report = await c.notifier.deliverDue();
  if (report.calls > 0) logger.info('Notification retry run', { ...report });
  return report;
};
