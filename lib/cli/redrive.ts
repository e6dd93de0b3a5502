import { slotIdOf, WEBHOOK_TRANSPORT } from '../notify/outbox';
import type { CallRepository, StoredCall } from '../store/calls';
import type { DeadLetterRepository } from '../store/dead-letters';

/** Which dead-lettered deliveries to put back to work. */
export interface RedriveRequest {
  /** Only this tenant's calls; every tenant's when absent. */
  tenantId?: string;
  /** Only this call (with `tenantId`). */
  callId?: string;
  /** Only this transport's slot (`webhook` for the notifications, a CRM's name for its call logging); every dead slot when absent. */
  transport?: string;
}

/** One dead-lettered slot of a call, as the CLI lists it. */
export interface DeadSlot {
  tenantId: string;
  callId: string;
  transport: string;
  fromEvent: number;
  eventCount: number;
  attempts: number;
  since: string;
  lastError: string;
  deadLetteredAt: string;
}

/** The dead-lettered slots of a call: the webhook's (`notified`) and every transport's of its own (`deliveries.<name>`). */
export function deadSlotsOf(call: StoredCall, transport?: string): DeadSlot[] {
  const slots = [
    { transport: WEBHOOK_TRANSPORT, next: call.notified ?? 0, retry: call.notify },
    ...Object.entries(call.deliveries ?? {}).map(([name, slot]) => ({ transport: name, next: slot.next, retry: slot.retry })),
  ];
  return slots.flatMap(({ transport: name, next, retry }) =>
    retry?.deadLetteredAt && (transport === undefined || transport === name)
      ? [
          {
            tenantId: call.tenantId,
            callId: call.callId,
            transport: name,
            fromEvent: next,
            eventCount: call.events.length,
            attempts: retry.attempts,
            since: retry.since,
            lastError: retry.lastError,
            deadLetteredAt: retry.deadLetteredAt,
          },
        ]
      : [],
  );
}

/**
 * Puts dead-lettered deliveries back to work, due now (lib/store/calls/outbox-index.ts, `redrive`): with a
 * `transport`, that transport's slot alone, the others left as they are. The calls are those of the dead index
 * and of the dead-letter log (a call whose given-up slot waits beside another transport's live one is filed as due,
 * not dead). `c2c outcomes dead-letters redrive` and `c2c crm redrive` run it. Answers how many calls were redriven.
 */
export async function redriveDeadDeliveries(
  calls: CallRepository,
  deadLetters: DeadLetterRepository,
  request: RedriveRequest,
): Promise<number> {
  const slot = request.transport === undefined ? undefined : slotIdOf(request.transport);
  const targets = new Map<string, { tenantId: string; callId: string }>();
  if (request.callId !== undefined && request.tenantId !== undefined)
    targets.set('', { tenantId: request.tenantId, callId: request.callId });
  else {
    const [dead, letters] = await Promise.all([
      calls.outbox.listNotifyDead(100_000, request.tenantId),
      deadLetters.list(100_000, request.tenantId, request.transport),
    ]);
    for (const { tenantId, callId } of [...dead, ...letters]) targets.set(`${tenantId}#${callId}`, { tenantId, callId });
  }
  let count = 0;
  for (const { tenantId, callId } of targets.values()) if (await calls.outboxIndex.redrive(tenantId, callId, slot)) count++;
  return count;
}
