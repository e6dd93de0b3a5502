import type { Tenant } from '../../model/tenant';
import type { AgentAdmission, CallCaps, CapAdmission, CapRefusal } from '../../policy/caps';
import type { NormalizedNumber } from '../../policy/phone';
import type { StoredCall } from '../../store/calls';
import { capRefused, type PlaceCallOutcome } from '../outcome';
import { toCallResource } from '../resource';
import { bestEffort, capRequest, giveBackReservation, type PlaceContext } from './context';
import type { CallPlan } from './plan';
import { replay } from './replay';

/**
 * A named agent's call: the reservation and the caps in one parallel group, then the GET. `taken`: the agent was
 * taken beside the tenant's cap already (lock, per-minute cap and extension in one write: docs/design.md,
 * "Requests per call"), so only the destination's cap is left beside the reservation.
 */
export async function dialAgent(ctx: PlaceContext, plan: Extract<CallPlan, { kind: 'dial_agent' }>): Promise<PlaceCallOutcome> {
  const { deps } = ctx;
  const { call, agent, number, taken } = plan;
  const { tenant } = plan.basis;
  const [reserved, admittedCaps] = await Promise.allSettled([
    deps.calls.reserve(call),
    taken
      ? destinationBeside(ctx, tenant, call, number, taken)
      : deps.caps.admit(tenant.policy, capRequest(ctx, tenant, call.callId, agent, number)),
  ]);
  if (reserved.status === 'rejected' || admittedCaps.status === 'rejected') {
    // The store failed before the GET: nothing was sent, and the caller gets a 503 to retry. The
    // reservation may be in the table all the same (a write that landed though its answer was lost).
    if (admittedCaps.status === 'fulfilled') await bestEffort(ctx, 'release the caps', admittedCaps.value.release);
    if (reserved.status === 'rejected' || reserved.value.reserved) await giveBackReservation(ctx, call);
    throw reserved.status === 'rejected' ? reserved.reason : (admittedCaps as PromiseRejectedResult).reason;
  }
  const reservation = reserved.value;
  const caps = admittedCaps.value;
  if (!reservation.reserved) {
    // Our cap entries carry the same call id as the winner's, so they cost nothing; but a lock
    // taken after the winner let go would block the agent until its lease ends.
    if (reservation.existing.state !== 'dispatching') await caps.release();
    return replay(ctx, reservation.existing, plan.basis);
  }
  deps.faultHook?.('after_reserve');
  if (caps.refusal) return keepCapped(ctx, call, caps.refusal, caps.release);
  return ctx.sender.send(tenant, call, agent, caps.release);
}

/** A cap refused the call after its reservation: moved to `not_sent` (a retry with the key may dial), caps given back. */
async function keepCapped(
  ctx: PlaceContext,
  call: StoredCall,
  refusal: CapRefusal,
  release: CapAdmission['release'],
): Promise<PlaceCallOutcome> {
  const [notSent] = await Promise.all([
    ctx.deps.calls.transition(call.tenantId, call.callId, {
      from: ['dispatching'],
      to: 'not_sent',
      attempt: call.attempt,
      changes: { reason: refusal.code },
      detail: refusal.code,
    }),
    release(),
  ]);
  return capRefused(refusal, notSent ? toCallResource(notSent) : undefined);
}

/** The destination's cap for a call whose agent is taken already; a refusal or a fault gives the agent back too. */
async function destinationBeside(
  ctx: PlaceContext,
  tenant: Tenant,
  call: StoredCall,
  number: NormalizedNumber,
  taken: AgentAdmission,
): Promise<CapAdmission> {
  let destination: Awaited<ReturnType<CallCaps['admitDestination']>>;
  try {
    destination = await ctx.deps.caps.admitDestination(tenant.policy, {
      tenantId: tenant.tenantId,
      callId: call.callId,
      destination: number.digits,
    });
  } catch (error) {
    await bestEffort(ctx, 'give the agent back', taken.giveBack);
    throw error;
  }
  if (!destination.refusal) return { release: taken.release };
  const refusal = destination.refusal;
  return { refusal, release: async () => void (await Promise.all([taken.giveBack(), destination.giveBack()])) };
}
