import type { CallRepository } from '../store/calls';
import type { DeadLetterRepository } from '../store/dead-letters';

/** Which dead-lettered deliveries to put back to work. */
export interface RedriveRequest {
  /** Only this tenant's calls; every tenant's when absent. */
  tenantId?: string;
  /** Only this call (with `tenantId`). */
  callId?: string;
  /** Only this transport's deliveries (`webhook`, or a CRM's name); every dead one when absent. */
  transport?: string;
}

/**
 * Puts dead-lettered deliveries back to work, due now; answers how many calls were redriven. `c2c crm redrive` runs
 * it with a CRM's name. This branch keeps one progress marker per call, the webhook's: another transport's name finds
 * nothing dead here. (The engine's per-transport slots, issue 20's H1, replace this file with the redrive of one slot.)
 */
export async function redriveDeadDeliveries(
  calls: CallRepository,
  _deadLetters: DeadLetterRepository,
  request: RedriveRequest,
): Promise<number> {
  if (request.transport !== undefined && request.transport !== 'webhook') return 0;
  const targets =
    request.callId !== undefined && request.tenantId !== undefined
      ? [{ tenantId: request.tenantId, callId: request.callId }]
      : await calls.outbox.listNotifyDead(100_000, request.tenantId);
  let count = 0;
  for (const { tenantId, callId } of targets) if (await calls.outbox.redriveNotifications(tenantId, callId)) count++;
  return count;
}
