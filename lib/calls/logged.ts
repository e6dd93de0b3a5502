import { CRM_NAMES, type CrmName } from '../model/crm-connection';
import type { CallLogged } from '../model/call-resource';

/**
 * One transport's progress marker on a stored call, `deliveries.<name>` (lib/store/calls: `events[0..next)` delivered
 * or passed over, the retry state of `events[next]`, the CRM's id of the activity), as far as this read needs it.
 */
export interface DeliverySlotView {
  next: number;
  retry?: { lastError: string; deadLetteredAt?: string };
  remoteId?: string;
}

/** How the engine marks a held delivery's error (lib/notify/retry.ts): the CRM refused the connection's credentials. */
const HELD_PREFIX = 'held: ';

/**
 * Where a call was logged, CRM by CRM, from its delivery slots (the console's timeline line, the call resource's
 * `logged`): `logged` with the activity's id; `pending` while it waits its turn or a retry (with the last error);
 * `held` while the CRM refuses the connection; `dead` once given up on (`c2c crm redrive`); `skipped` when every event
 * was passed over (the tenant does not log this end, or the call has no lead). A CRM with no slot is not listed.
 */
export function loggedIn(call: { events: readonly unknown[]; deliveries?: Readonly<Record<string, DeliverySlotView>> }): CallLogged[] {
  return CRM_NAMES.flatMap((crm: CrmName): CallLogged[] => {
    const slot = call.deliveries?.[crm];
    if (!slot) return [];
    const remoteId = slot.remoteId ?? null;
    const error = slot.retry?.lastError ?? null;
    if (slot.retry?.deadLetteredAt) return [{ crm, state: 'dead', remoteId, error }];
    if (error?.startsWith(HELD_PREFIX)) return [{ crm, state: 'held', remoteId, error: error.slice(HELD_PREFIX.length) }];
    if (remoteId !== null) return [{ crm, state: 'logged', remoteId, error }];
    if (!slot.retry && slot.next >= call.events.length) return [{ crm, state: 'skipped', remoteId, error }];
    return [{ crm, state: 'pending', remoteId, error }];
  });
}
