import type { Context, ScheduledEvent } from 'aws-lambda';
import { dispatchDueUseCase, runScheduler } from '../lib/compose/dispatch-due';
import { startInvocationLog } from '../lib/observability/logger';

const dispatchDue = dispatchDueUseCase();

/**
 * Every minute: polls the due calls every 2 s for most of the minute (docs/design.md, "Scheduled and queued calls"),
 * so a scheduled call dials within about 2 s of its time and a queued call within about 2 s of an agent freeing up.
 */
export const handler = async (_event?: ScheduledEvent, context?: Context) => {
  startInvocationLog(context);
  return runScheduler(() => dispatchDue.runOnce(), {
    pollMs: 2_000,
    runForMs: 55_000,
    remainingMs: () => context?.getRemainingTimeInMillis() ?? 60_000,
  });
};
