import { randomUUID } from 'node:crypto';
import type { Tenant } from '../../model/tenant';
import type { NormalizedNumber } from '../../policy/phone';
import type { StoredCall } from '../../store/calls';
import { capRefused, type PlaceCallOutcome } from '../outcome';
import { toCallResource } from '../resource';
import { capRequest, leaseSecOf, type CallAgent, type PlaceContext } from './context';

/**
 * A retry of a named agent's call that was never sent: the caps again, then one conditional move out of `not_sent`
 * (`redispatch`); only its winner sends.
 */
export async function retryNotSent(
  ctx: PlaceContext,
  existing: StoredCall,
  tenant: Tenant,
  agent: CallAgent,
  number: NormalizedNumber,
): Promise<PlaceCallOutcome> {
  const { deps } = ctx;
  const caps = await deps.caps.admit(tenant.policy, capRequest(ctx, tenant, existing.callId, agent, number));
  if (caps.refusal) {
    await caps.release();
    return capRefused(caps.refusal, toCallResource(existing, true));
  }
  let claimed: StoredCall | undefined;
  try {
    claimed = await deps.calls.redispatch(tenant.tenantId, existing.callId, existing.requestHash, existing.attempt);
  } catch (error) {
    // Nothing was sent: give the agent back now rather than at the end of the lease, and let the
    // error answer 503 (a retry may dial, from `not_sent`, or finds `dispatching` if the claim landed).
    await caps.release().catch(() => undefined);
    throw error;
  }
  if (!claimed) {
    // Another retry claimed it first: it is that one's to send.
    const current = await deps.calls.get(tenant.tenantId, existing.callId);
    if (current?.state !== 'dispatching') await caps.release();
    return { kind: 'call', progress: 'pending', call: toCallResource(current ?? existing, true) };
  }
  return ctx.sender.send(tenant, claimed, agent, caps.release);
}

/**
 * A retry of a team call that was never sent: routed again (the agent of the first attempt may be busy by now),
 * then the same conditional move out of `not_sent` as a named call's retry, carrying the new agent.
 */
export async function retryTeamNotSent(
  ctx: PlaceContext,
  existing: StoredCall,
  tenant: Tenant,
  number: NormalizedNumber,
): Promise<PlaceCallOutcome> {
  const route = await ctx.router().route({
    tenant,
    team: existing.team!,
    callId: existing.callId,
    holder: `${existing.callId}:${randomUUID()}`,
    destination: number.digits,
    leaseSec: leaseSecOf(ctx, tenant),
    attempts: existing.routing?.attempts,
  });
  const resource = () => toCallResource(existing, true);
  if (route.kind === 'capped') return capRefused(route.refusal, resource());
  if (route.kind === 'no_team')
    return { kind: 'refused', code: 'team_not_found', detail: `No agent of the team ${existing.team} is free.`, call: resource() };
  if (route.kind === 'none_free') {
    const detail = `No agent of the team ${existing.team} is free.`;
    return { kind: 'refused', code: 'no_agent_available', detail, retryAfterSec: route.retryAfterSec, call: resource() };
  }
  const { agent } = route;
  let claimed: StoredCall | undefined;
  try {
    claimed = await ctx.deps.calls.redispatch(tenant.tenantId, existing.callId, existing.requestHash, existing.attempt, {
      agent: { crmUserId: agent.crmUserId, extension: agent.extension },
      crmUserId: agent.crmUserId,
      routing: route.routing,
      createdAt: existing.createdAt,
    });
  } catch (error) {
    await route.caps.release().catch(() => undefined);
    throw error;
  }
  if (!claimed) {
    await route.caps.release();
    const current = await ctx.deps.calls.get(tenant.tenantId, existing.callId);
    return { kind: 'call', progress: 'pending', call: toCallResource(current ?? existing, true) };
  }
  return ctx.sender.send(tenant, claimed, agent, route.caps.release);
}
