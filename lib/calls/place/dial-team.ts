import type { Routing } from '../../model/call';
import type { CallRepository } from '../../store/calls';
import { capRefused, type PlaceCallOutcome } from '../outcome';
import { bestEffort, giveBackReservation, leaseSecOf, type PlaceContext } from './context';
import type { CallPlan } from './plan';
import { routedCall } from './record';
import { replay } from './replay';
import { queueCall } from './waiting';

/**
 * A team's call: the router takes a free agent in this request's own name, then the call is reserved for that
 * agent. No agent free: refused with nothing written, or, when the request allows a wait, the call is reserved
 * `queued` for the scheduler. A lost reservation (a copy of this request won) gives the agent straight back.
 */
export async function dialTeam(ctx: PlaceContext, plan: Extract<CallPlan, { kind: 'dial_team' }>): Promise<PlaceCallOutcome> {
  const { call, members, number, basis } = plan;
  const { tenant } = basis;
  const route = await ctx.router().route({
    tenant,
    team: call.team!,
    callId: call.callId,
    holder: `${call.callId}:${call.reservedBy}`,
    destination: number.digits,
    leaseSec: leaseSecOf(ctx, tenant),
    members,
  });
  if (route.kind === 'capped') return capRefused(route.refusal);
  if (route.kind === 'no_team') return { kind: 'refused', code: 'team_not_found', detail: `The team ${call.team} has no agent.` };
  if (route.kind === 'none_free') {
    if (call.queue) return queueCall(ctx, { ...call, queue: call.queue }, route.routing, basis);
    const detail = `No agent of the team ${call.team} is free (${summary(route.routing)}). Send maxWaitSec to wait for one instead.`;
    return { kind: 'refused', code: 'no_agent_available', detail, retryAfterSec: route.retryAfterSec };
  }
  const routed = routedCall(call, route.agent, route.routing);
  let reservation: Awaited<ReturnType<CallRepository['reserve']>>;
  try {
    reservation = await ctx.deps.calls.reserve(routed);
  } catch (error) {
    await bestEffort(ctx, 'release the agent', route.caps.release);
    await giveBackReservation(ctx, routed);
    throw error;
  }
  if (!reservation.reserved) {
    // The lock was taken in this request's own name: giving it back can never free another's.
    await route.caps.release();
    return replay(ctx, reservation.existing, basis);
  }
  ctx.deps.faultHook?.('after_reserve');
  return ctx.sender.send(tenant, routed, route.agent, route.caps.release);
}

/** "a: on_call, b: away" for the words of a no_agent_available refusal. */
function summary(routing: Routing): string {
  return routing.passedOver.map((p) => `${p.crmUserId}: ${p.reason}`).join(', ') || 'none';
}
