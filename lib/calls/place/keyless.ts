import { windowIdempotencyKey } from '../request';
import type { PlaceCallInput, PlaceContext } from './context';

/**
 * The idempotency key of a keyless request: the one of the window it falls into, or, when the
 * window of its subject has closed (or never opened), a new key that opens one from now. The
 * window slides with the requests' own times, not with the clock's minutes.
 */
export async function keyOfWindow(ctx: PlaceContext, input: PlaceCallInput, subject: string, nowMs: number): Promise<string> {
  const { tenantId } = input.tenant;
  const { windows } = ctx.deps;
  const windowSec = input.dedupeWindowSec ?? input.tenant.policy.dedupeWindowSec;
  const claim = await windows.claim(tenantId, subject, windowIdempotencyKey(subject, nowMs), nowMs, windowSec * 1000);
  if (!input.delivery) return claim.key;
  // The first copy of a delivery binds it to the key it resolved to; later copies take that key
  // whatever the content window says by then (closed, or reopened by another request).
  const bound = await windows.claim(tenantId, `delivery#${input.delivery.id}`, claim.key, nowMs, input.delivery.validForSec * 1000);
  return bound.key;
}
