import type { Schedule } from '../../model/call';
import type { AgentAdmission, CapRefusal } from '../../policy/caps';
import type { NormalizedNumber } from '../../policy/phone';
import type { TeamMember } from '../../store/agents';
import type { StoredCall } from '../../store/calls';
import type { CallRequest } from '../request';
import type { CallAsk } from './ask';
import type { CallAgent, PlaceCallInput, ReplayBasis } from './context';
import { callRecord, notSentCall } from './record';
import { agentOf, type Found } from './resolve';
import type { Refusal } from './timing';

/**
 * What a call request is to become, decided with no I/O from the request, the tenant's policy, who it resolved to and
 * the clock. Each kind has its one executor (lib/calls/place/*.ts); `call` is the record its reservation writes, and
 * `basis` what a replay needs when a copy of the request reserved the call first.
 */
export type CallPlan =
  /** Refused before anything is sent (invalid number, destination, calling hours, no such agent or team): kept `rejected`. */
  | { kind: 'refuse'; call: StoredCall; basis: ReplayBasis; refusal: Refusal }
  /** The named agent is busy or over its own cap: kept `not_sent`, so a retry with the key may dial. */
  | { kind: 'keep_not_sent'; call: StoredCall; basis: ReplayBasis; refusal: CapRefusal }
  /** To dial later (a time asked for, or the next opening of the calling hours): reserved `scheduled`. */
  | { kind: 'schedule'; call: StoredCall; basis: ReplayBasis; schedule: Schedule }
  /** To dial now to a named agent; `taken`: the agent was taken beside the tenant's cap already. */
  | { kind: 'dial_agent'; call: StoredCall; basis: ReplayBasis; agent: CallAgent; number: NormalizedNumber; taken?: AgentAdmission }
  /** To dial now to a free member of a team; none free: queued when the call has a `queue` (maxWaitSec), else refused. */
  | { kind: 'dial_team'; call: StoredCall; basis: ReplayBasis; members: TeamMember[]; number: NormalizedNumber };

export interface PlanFacts {
  input: Pick<PlaceCallInput, 'tenant' | 'request' | 'source'>;
  ask: CallAsk;
  /** Who the request resolved to, and the named agent's take when it was taken in the first stage. */
  found: Found;
  taken?: AgentAdmission;
  idempotencyKey: string;
  /** The hash of the request as the ledger names it (lib/calls/place/ask.ts, `namedRequest`). */
  hash: string;
  now: Date;
  /** This invocation's token on the reservation. */
  reservedBy: string;
}

const INCOMPLETE_AGENT: Refusal = {
  reason: 'agent_not_found',
  detail: "The agent's record is incomplete (no valid extension): put it again with PUT /v1/agents/{crmUserId}.",
};

type TargetVerdict = { kind: 'refuse'; refusal: Refusal } | { kind: 'team'; members: TeamMember[] } | { kind: 'agent'; agent: CallAgent };

/** Whether the request's agent or team can take a call: found, a team with members, an agent record that is whole. */
function targetVerdict(request: CallRequest, found: Found): TargetVerdict {
  if (found === 'incomplete') return { kind: 'refuse', refusal: INCOMPLETE_AGENT };
  if (Array.isArray(found)) {
    if (found.length > 0) return { kind: 'team', members: found };
    const detail = `The team ${request.team} has no agent: PUT /v1/agents/{crmUserId} with "teams".`;
    return { kind: 'refuse', refusal: { reason: 'team_not_found', detail } };
  }
  if (found) return { kind: 'agent', agent: found };
  return { kind: 'refuse', refusal: { reason: 'agent_not_found', detail: 'No agent of this tenant matches the request.' } };
}

/** The plan of a call request: the target's refusal first, then the number's, then its time, then who dials. */
export function planCall(facts: PlanFacts): CallPlan {
  const { ask, input } = facts;
  const agent = agentOf(facts.found);
  const basis: ReplayBasis = { tenant: input.tenant, hash: facts.hash, agent, number: ask.number };
  const record = (fate: { refusal?: Refusal; schedule?: Schedule }) =>
    callRecord(
      {
        ...input,
        target: ask.target,
        normalized: ask.normalized,
        number: ask.number,
        agent,
        idempotencyKey: facts.idempotencyKey,
        hash: facts.hash,
        now: facts.now,
        reservedBy: facts.reservedBy,
      },
      fate,
    );
  const refuse = (refusal: Refusal): CallPlan => ({ kind: 'refuse', call: record({ refusal }), basis, refusal });
  const target = targetVerdict(input.request, facts.found);
  if (target.kind === 'refuse') return refuse(target.refusal);
  const { verdict } = ask;
  if (verdict.kind === 'refuse') return refuse(verdict.refusal);
  if (verdict.kind === 'schedule')
    return { kind: 'schedule', call: record({ schedule: verdict.schedule }), basis, schedule: verdict.schedule };
  const call = record({});
  if (target.kind === 'team') return { kind: 'dial_team', call, basis, members: target.members, number: verdict.number };
  const busy = facts.taken?.refusal;
  if (busy) return { kind: 'keep_not_sent', call: notSentCall(call, busy.code), basis, refusal: busy };
  return { kind: 'dial_agent', call, basis, agent: target.agent, number: verdict.number, taken: facts.taken };
}
