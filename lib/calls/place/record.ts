import { emptyOutcome, type Routing, type Schedule } from '../../model/call';
import type { Tenant } from '../../model/tenant';
import type { NormalizedNumber } from '../../policy/phone';
import { callExpiry } from '../../policy/retention';
import type { StoredCall } from '../../store/calls';
import { callIdFor, type CallRequest, type CallTarget, type NormalizedCallRequest } from '../request';
import type { CallAgent } from './context';
import type { Refusal } from './timing';

/** What the reservation of a call is written from: no I/O, and `reservedBy` given, so the same facts make the same record. */
export interface RecordFacts {
  tenant: Tenant;
  request: CallRequest;
  source: string;
  target: CallTarget;
  normalized: NormalizedCallRequest;
  number?: NormalizedNumber;
  agent?: CallAgent;
  idempotencyKey: string;
  hash: string;
  now: Date;
  reservedBy: string;
}

/** The call as its reservation writes it: `rejected` with a refusal, `scheduled` with a schedule, else `dispatching`. */
export function callRecord(facts: RecordFacts, fate: { refusal?: Refusal; schedule?: Schedule }): StoredCall {
  const { tenant, request, target, agent, now } = facts;
  const { refusal, schedule } = fate;
  const at = now.toISOString();
  const teamFields =
    'team' in target
      ? { team: target.team, queue: request.maxWaitSec ? { maxWaitSec: request.maxWaitSec, since: null, until: null } : null }
      : {};
  return {
    callId: callIdFor(tenant.tenantId, facts.idempotencyKey),
    tenantId: tenant.tenantId,
    state: refusal ? 'rejected' : schedule ? 'scheduled' : 'dispatching',
    reason: refusal?.reason ?? null,
    agent: 'team' in target ? {} : { ...target, ...(agent ? { crmUserId: agent.crmUserId, extension: agent.extension } : {}) },
    crmUserId: agent?.crmUserId,
    ...teamFields,
    schedule: schedule ?? null,
    to: facts.normalized.to,
    legB: facts.number?.digits ?? null,
    prefix: request.prefix ?? null,
    lead: request.lead ? { id: request.lead.id, ...(request.lead.type ? { type: request.lead.type } : {}) } : null,
    customData: facts.normalized.customData,
    pbx: null,
    outcome: emptyOutcome(),
    events: [{ at, state: 'accepted' }, secondEvent(at, fate)],
    source: facts.source,
    idempotencyKey: facts.idempotencyKey,
    duplicate: false,
    createdAt: at,
    updatedAt: at,
    requestHash: facts.hash,
    attempt: refusal || schedule ? 0 : 1,
    reservedBy: facts.reservedBy,
    expiry: callExpiry(tenant.policy, now),
  };
}

function secondEvent(at: string, { refusal, schedule }: { refusal?: Refusal; schedule?: Schedule }): StoredCall['events'][number] {
  if (refusal) return { at, state: 'rejected', detail: refusal.reason };
  if (schedule) return { at, state: 'scheduled', detail: `${schedule.reason} ${schedule.notBefore}` };
  return { at, state: 'dispatching' };
}

/** The agent is busy or over its cap: the call is kept as not sent, so a retry with the key may dial. */
export function notSentCall(call: StoredCall, reason: string): StoredCall {
  return { ...call, state: 'not_sent', reason, events: [call.events[0]!, { at: call.createdAt, state: 'not_sent', detail: reason }] };
}

/** A team call with no member free that may wait: `queued` from its creation for its `maxWaitSec`. */
export function queuedCall(call: StoredCall & { queue: NonNullable<StoredCall['queue']> }, routing: Routing): StoredCall {
  const since = call.createdAt;
  const until = new Date(new Date(since).getTime() + call.queue.maxWaitSec * 1000).toISOString();
  return {
    ...call,
    state: 'queued',
    attempt: 0,
    queue: { ...call.queue, since, until },
    routing,
    events: [call.events[0]!, { at: since, state: 'queued', detail: `until ${until}` }],
  };
}

/** A team call reserved for the member the router took. */
export function routedCall(call: StoredCall, agent: CallAgent, routing: Routing): StoredCall {
  return {
    ...call,
    agent: { crmUserId: agent.crmUserId, extension: agent.extension },
    crmUserId: agent.crmUserId,
    routing,
    events: [call.events[0]!, { at: call.createdAt, state: 'dispatching', detail: `agent ${agent.crmUserId}` }],
  };
}
