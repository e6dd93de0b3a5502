import type { AgentRef } from '../../model/agent';
import type { Tenant } from '../../model/tenant';
import type { AgentAdmission, CapRefusal } from '../../policy/caps';
import type { TeamMember } from '../../store/agents';
import { CorruptItemError } from '../../store/errors';
import type { CallAsk } from './ask';
import { bestEffort, leaseSecOf, type CallAgent, type PlaceContext } from './context';

/** Who the request resolved to: an agent, a team's members, an agent record that fails its schema, or nobody. */
export type Found = CallAgent | TeamMember[] | 'incomplete' | undefined;

export type Resolution =
  /** The tenant's per-second cap refused the request: nothing was written. */
  | { kind: 'capped'; refusal: CapRefusal }
  /** The number is on the tenant's do-not-call list: nothing was written, an agent taken was given back. */
  | { kind: 'do_not_call' }
  /** `taken`: the named agent's take, when it was taken beside the tenant's cap (or refused by its own caps). */
  | { kind: 'found'; found: Found; taken?: AgentAdmission };

export const agentOf = (found: Found): CallAgent | undefined => (found === 'incomplete' || Array.isArray(found) ? undefined : found);

/**
 * The first stage of a call request: the tenant's cap beside the lookup of its agent or team (docs/design.md, "Requests
 * per call"), and beside them the tenant's markers in the work directory for the lists the reservation will put the call
 * on: cached, so a warm container sends nothing (docs/design.md, "Work lists").
 */
export async function resolveTarget(ctx: PlaceContext, tenant: Tenant, ask: CallAsk): Promise<Resolution> {
  const dialsNow = ask.verdict.kind === 'now';
  const directory = ctx.deps.calls.work.touch(tenant.tenantId, dialsNow ? ['notify', 'pending'] : ['notify']).catch(() => undefined);
  // The do-not-call list's one read runs beside the stage, never before it: no round trip of its own. A number the
  // policy refuses anyway (invalid, not allowed) is not looked up.
  const listed = ask.verdict.kind === 'refuse' ? Promise.resolve(false) : ctx.deps.dnc.isListed(tenant.tenantId, ask.verdict.number.e164);
  const { target } = ask;
  if ('crmUserId' in target && dialsNow) return takeNamedAgent(ctx, tenant, target, ask.identity, directory, listed);
  const [looked, admitted, onList] = await Promise.all([
    'team' in target ? ctx.deps.agents.listTeam(tenant.tenantId, target.team) : findAgent(ctx, tenant.tenantId, target),
    ctx.deps.caps.admitRequest(tenant.tenantId, tenant.policy, ask.identity),
    listed,
    directory,
  ]);
  if (admitted.refusal) return { kind: 'capped', refusal: admitted.refusal };
  if (onList) return { kind: 'do_not_call' };
  return { kind: 'found', found: looked };
}

/**
 * A call that will dial now and names its agent by id: the agent's lock, its per-minute cap and its extension in one
 * write, beside the tenant's cap. A take that refused the agent (busy, over its cap) is kept, with the agent as the
 * directory has it (a read on refusals only), for the call to be kept `not_sent`.
 */
async function takeNamedAgent(
  ctx: PlaceContext,
  tenant: Tenant,
  target: { crmUserId: string },
  identity: string,
  directory: Promise<unknown>,
  listed: Promise<boolean>,
): Promise<Resolution> {
  const [take, admitted, onList] = await Promise.all([
    ctx.deps.caps.takeAgent(tenant.policy, {
      tenantId: tenant.tenantId,
      crmUserId: target.crmUserId,
      holder: identity,
      member: identity,
      leaseSec: leaseSecOf(ctx, tenant),
      requireAgent: true,
    }),
    ctx.deps.caps.admitRequest(tenant.tenantId, tenant.policy, identity),
    listed,
    directory,
  ]);
  if (admitted.refusal || onList) {
    if (!take.refusal) await bestEffort(ctx, 'give the agent back', take.giveBack);
    return admitted.refusal ? { kind: 'capped', refusal: admitted.refusal } : { kind: 'do_not_call' };
  }
  // Not on the presence item: no such agent, or one written before the item carried extensions.
  if (take.why === 'unknown_agent') return { kind: 'found', found: await findAgent(ctx, tenant.tenantId, target) };
  if (take.refusal || take.extension === undefined) {
    const found = await findAgent(ctx, tenant.tenantId, target);
    if (found && found !== 'incomplete' && take.refusal) return { kind: 'found', found, taken: take };
    if (!take.refusal) await bestEffort(ctx, 'give the agent back', take.giveBack);
    return { kind: 'found', found };
  }
  return { kind: 'found', found: { crmUserId: target.crmUserId, extension: take.extension }, taken: take };
}

/**
 * The agent, or 'incomplete' for a stored agent that does not pass its schema (written around the API, e.g.
 * without an extension): a refusal the operator can act on, not a 500.
 */
async function findAgent(ctx: PlaceContext, tenantId: string, ref: AgentRef): Promise<Exclude<Found, TeamMember[]>> {
  try {
    return await ctx.deps.agents.find(tenantId, ref);
  } catch (error) {
    if (error instanceof CorruptItemError) {
      ctx.deps.logger.warn('Agent record does not match its schema', { tenantId });
      return 'incomplete';
    }
    throw error;
  }
}
