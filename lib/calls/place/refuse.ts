import { maskNumber } from '../../policy/phone';
import { capRefused, type PlaceCallOutcome } from '../outcome';
import { toCallResource } from '../resource';
import type { PlaceContext } from './context';
import type { CallPlan } from './plan';
import { replay } from './replay';

/** A refused call is kept `rejected` (one conditional put), so a copy of the request gets the same answer. */
export async function refuseCall(ctx: PlaceContext, plan: Extract<CallPlan, { kind: 'refuse' }>): Promise<PlaceCallOutcome> {
  const { call, refusal } = plan;
  const reservation = await ctx.deps.calls.reserve(call);
  if (!reservation.reserved) return replay(ctx, reservation.existing, plan.basis);
  ctx.deps.logger.info('Call refused', { callId: call.callId, reason: call.reason, to: maskNumber(call.to) });
  return { kind: 'refused', code: refusal.reason, detail: refusal.detail, call: toCallResource(call) };
}

/** The named agent is busy or over its cap: the call is kept `not_sent`, so a retry with the key may dial. */
export async function keepNotSent(ctx: PlaceContext, plan: Extract<CallPlan, { kind: 'keep_not_sent' }>): Promise<PlaceCallOutcome> {
  const reservation = await ctx.deps.calls.reserve(plan.call);
  if (!reservation.reserved) return replay(ctx, reservation.existing, plan.basis);
  return capRefused(plan.refusal, toCallResource(plan.call));
}
