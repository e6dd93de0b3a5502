import type { Routing } from '../../model/call';
import type { CallRepository, StoredCall } from '../../store/calls';
import type { PlaceCallOutcome } from '../outcome';
import { toCallResource } from '../resource';
import { bestEffort, type PlaceContext, type ReplayBasis } from './context';
import type { CallPlan } from './plan';
import { queuedCall } from './record';
import { replay } from './replay';

/** Retry-After of a waiting_limit refusal: slots free up as the scheduler dials waiting calls, or their waits run out. */
const WAITING_LIMIT_RETRY_AFTER_SEC = 60;

/** A call to dial later: reserved `scheduled`, within the tenant's waiting limit; the scheduler's claim moves it on. */
export async function scheduleCall(ctx: PlaceContext, plan: Extract<CallPlan, { kind: 'schedule' }>): Promise<PlaceCallOutcome> {
  const { call, schedule } = plan;
  const refused = await reserveWaiting(ctx, call, plan.basis);
  if (refused) return refused;
  ctx.deps.logger.info('Call scheduled', { callId: call.callId, notBefore: schedule.notBefore, why: schedule.reason });
  return { kind: 'call', progress: 'pending', call: toCallResource(call) };
}

/** A team call with no member free that may wait: reserved `queued` for its `maxWaitSec`, within the waiting limit. */
export async function queueCall(
  ctx: PlaceContext,
  call: StoredCall & { queue: NonNullable<StoredCall['queue']> },
  routing: Routing,
  basis: ReplayBasis,
): Promise<PlaceCallOutcome> {
  const queued = queuedCall(call, routing);
  const refused = await reserveWaiting(ctx, queued, basis);
  if (refused) return refused;
  ctx.deps.logger.info('Call queued', { callId: call.callId, team: call.team, until: queued.queue?.until });
  return { kind: 'call', progress: 'pending', call: toCallResource(queued) };
}

/**
 * Reserves a waiting call (`scheduled`, `queued`) within the tenant's `maxWaitingCalls`: a slot is taken first, in
 * the write that refreshes the tenant's due marker, and given back when the reservation turns out to be a copy's or
 * fails. A copy of a call already reserved is answered as a replay even at the limit, and never counts twice.
 * Undefined: reserved. At the limit nothing is written: waiting_limit.
 */
async function reserveWaiting(ctx: PlaceContext, call: StoredCall, basis: ReplayBasis): Promise<PlaceCallOutcome | undefined> {
  const { tenant } = basis;
  const { calls } = ctx.deps;
  const giveBack = () => bestEffort(ctx, 'give the waiting slot back', () => calls.work.giveWaitingSlotBack(tenant.tenantId));
  if (!(await calls.work.takeWaitingSlot(tenant.tenantId, tenant.policy.maxWaitingCalls))) {
    const existing = await calls.get(tenant.tenantId, call.callId);
    if (existing) return replay(ctx, existing, basis);
    return {
      kind: 'refused',
      code: 'waiting_limit',
      detail: `The tenant has ${tenant.policy.maxWaitingCalls} scheduled or queued calls waiting (policy maxWaitingCalls): wait for some to be dialled, or cancel some.`,
      retryAfterSec: WAITING_LIMIT_RETRY_AFTER_SEC,
    };
  }
  let reservation: Awaited<ReturnType<CallRepository['reserve']>>;
  try {
    reservation = await calls.reserve(call);
  } catch (error) {
    await giveBack();
    throw error;
  }
  if (!reservation.reserved) {
    await giveBack();
    return replay(ctx, reservation.existing, basis);
  }
  return undefined;
}
