/**
 * The plan of a call request (lib/calls/place/plan.ts), computed with no I/O from the request, the tenant's policy,
 * who the request resolved to and the clock. Each row is one request; the executors that carry the plans out (and
 * the waiting limit, a conditional write) are covered on dynalite by the integration tests.
 */
import { describe, expect, it } from 'vitest';
import { MAX_SCHEDULE_AHEAD_DAYS, callIdFor, callRequestSchema, dedupeSubject, requestHash } from '../../../lib/calls/request';
import { namedRequest, readAsk } from '../../../lib/calls/place/ask';
import type { PlaceCallInput } from '../../../lib/calls/place/context';
import { planCall, type CallPlan } from '../../../lib/calls/place/plan';
import { agentOf, type Found } from '../../../lib/calls/place/resolve';
import { callPolicySchema } from '../../../lib/model/call-policy';
import { DomainError } from '../../../lib/model/domain-error';
import { tenantSchema, type Tenant } from '../../../lib/model/tenant';
import type { AgentAdmission, CapRefusal } from '../../../lib/policy/caps';

/** A Tuesday, 12:00 in London (UTC+0 in winter), the lead's zone for a +44 number. */
const NOON = new Date('2026-12-01T12:00:00Z');
/** The same Tuesday, 21:30 in London: after the calling hours of HOURS. */
const EVENING = new Date('2026-12-01T21:30:00Z');
const HOURS = { callingHours: { start: '09:00', end: '20:00', days: [1, 2, 3, 4, 5] } };
const MOBILE = '+44 7766 889900';

const AGENT = { crmUserId: 'u-17', extension: '1001' };
const MEMBERS = [
  { team: 'sales', crmUserId: 'u-17', extension: '1001' },
  { team: 'sales', crmUserId: 'u-18', extension: '1002' },
];

function tenantWith(policy: Record<string, unknown> = {}): Tenant {
  return tenantSchema.parse({
    tenantId: 'acme',
    name: 'Acme',
    crmId: '1',
    clientId: '2',
    defaultCountry: 'GB',
    pbx: { urlShape: 'click2call', baseUrl: 'https://pbx.example.com' },
    policy: callPolicySchema.parse(policy),
    createdAt: NOON.toISOString(),
    updatedAt: NOON.toISOString(),
  });
}

const nothing = () => Promise.resolve();
const take = (refusal?: CapRefusal): AgentAdmission =>
  refusal
    ? { refusal, why: refusal.code === 'agent_busy' ? 'placing_call' : 'rate_limited', release: nothing, giveBack: nothing }
    : { extension: '1001', release: nothing, giveBack: nothing };
const BUSY: CapRefusal = { code: 'agent_busy', detail: "The agent's previous call is still being placed.", retryAfterSec: 2 };
const OVER_CAP: CapRefusal = { code: 'agent_rate_limited', detail: 'At most 10 calls a minute per agent.', retryAfterSec: 31 };

interface Row {
  name: string;
  request?: Record<string, unknown>;
  policy?: Record<string, unknown>;
  /** Who the request resolved to; AGENT when left out. */
  found?: Found;
  taken?: AgentAdmission;
  now?: Date;
  outsideCallingHours?: 'refuse' | 'defer';
  key?: string;
}

function inputOf(row: Row): PlaceCallInput {
  const request = callRequestSchema.parse({ agent: { crmUserId: 'u-17' }, to: MOBILE, ...row.request });
  const key = 'key' in row ? row.key : 'k-1';
  return { tenant: tenantWith(row.policy), request, idempotencyKey: key, source: 'api', outsideCallingHours: row.outsideCallingHours };
}

function planOf(row: Row): CallPlan {
  const now = row.now ?? NOON;
  const input = inputOf(row);
  const ask = readAsk(input, now);
  const found = 'found' in row ? row.found : AGENT;
  const named = namedRequest(ask, agentOf(found), input.idempotencyKey);
  const idempotencyKey = input.idempotencyKey ?? `auto:${dedupeSubject(named)}:window`;
  return planCall({ input, ask, found, taken: row.taken, idempotencyKey, hash: requestHash(named), now, reservedBy: 'token-1' });
}

const inHours = (h: number) => new Date(NOON.getTime() + h * 3_600_000).toISOString();

describe('the plan of a call request', () => {
  it.each<Row & { plan: CallPlan['kind']; call: Record<string, unknown> }>([
    // Who dials.
    {
      name: 'an agent by id, dialled now',
      plan: 'dial_agent',
      call: { state: 'dispatching', reason: null, attempt: 1, agent: AGENT, crmUserId: 'u-17', legB: '447766889900', schedule: null },
    },
    {
      name: 'an agent by e-mail, resolved: the call names it as sent and as found',
      request: { agent: { email: 'Ann@Example.com' } },
      plan: 'dial_agent',
      call: { state: 'dispatching', agent: { email: 'ann@example.com', ...AGENT }, crmUserId: 'u-17' },
    },
    {
      name: 'an agent by extension, resolved',
      request: { agent: { extension: '1001' } },
      plan: 'dial_agent',
      call: { state: 'dispatching', agent: { extension: '1001', crmUserId: 'u-17' } },
    },
    {
      name: 'a team with members, dialled now, no wait allowed',
      request: { agent: undefined, team: 'sales' },
      found: MEMBERS,
      plan: 'dial_team',
      call: { state: 'dispatching', team: 'sales', queue: null, agent: {}, crmUserId: undefined, attempt: 1 },
    },
    {
      name: 'a team with maxWaitSec: its wait is recorded, not started',
      request: { agent: undefined, team: 'sales', maxWaitSec: 120 },
      found: MEMBERS,
      plan: 'dial_team',
      call: { state: 'dispatching', team: 'sales', queue: { maxWaitSec: 120, since: null, until: null } },
    },
    // Caps taken with the agent in the first stage.
    { name: 'the agent taken beside the tenant cap', taken: take(), plan: 'dial_agent', call: { state: 'dispatching', attempt: 1 } },
    {
      name: 'the agent busy: kept not_sent, so a retry may dial',
      taken: take(BUSY),
      plan: 'keep_not_sent',
      call: {
        state: 'not_sent',
        reason: 'agent_busy',
        attempt: 1,
        events: [{ state: 'accepted' }, { state: 'not_sent', detail: 'agent_busy' }],
      },
    },
    {
      name: 'the agent over its per-minute cap',
      taken: take(OVER_CAP),
      plan: 'keep_not_sent',
      call: { state: 'not_sent', reason: 'agent_rate_limited' },
    },
    // Who is not there.
    {
      name: 'no agent matches',
      found: undefined,
      plan: 'refuse',
      call: { state: 'rejected', reason: 'agent_not_found', crmUserId: undefined, attempt: 0 },
    },
    {
      name: 'an agent whose record fails its schema',
      found: 'incomplete',
      plan: 'refuse',
      call: { state: 'rejected', reason: 'agent_not_found' },
    },
    {
      name: 'a team without members',
      request: { agent: undefined, team: 'ghosts' },
      found: [],
      plan: 'refuse',
      call: { reason: 'team_not_found', team: 'ghosts' },
    },
    {
      name: 'no agent and an invalid number: the agent speaks first',
      found: undefined,
      request: { to: '12' },
      plan: 'refuse',
      call: { reason: 'agent_not_found' },
    },
    // The number.
    {
      name: 'an invalid number',
      request: { to: ' 12 ' },
      plan: 'refuse',
      call: { state: 'rejected', reason: 'invalid_number', to: '12', legB: null },
    },
    {
      name: 'a country the tenant may not call',
      request: { to: '+1 212 555 0100' },
      plan: 'refuse',
      call: { reason: 'destination_not_allowed', to: '+12125550100' },
    },
    { name: 'a deny-listed prefix', policy: { denyPrefixes: ['447766'] }, plan: 'refuse', call: { reason: 'destination_not_allowed' } },
    {
      name: 'another country the policy allows',
      policy: { allowedCountries: ['GB', 'FR'] },
      request: { to: '+33 6 12 34 56 78' },
      plan: 'dial_agent',
      call: { to: '+33612345678' },
    },
    {
      name: 'an invalid number with a time asked for: refused, not scheduled',
      request: { to: 'x', notBefore: inHours(2) },
      plan: 'refuse',
      call: { reason: 'invalid_number', schedule: null },
    },
    // The time asked for.
    {
      name: 'notBefore in the future',
      request: { notBefore: inHours(2) },
      plan: 'schedule',
      call: {
        state: 'scheduled',
        attempt: 0,
        schedule: { notBefore: inHours(2), reason: 'requested' },
        events: [{ state: 'accepted' }, { state: 'scheduled', detail: `requested ${inHours(2)}` }],
      },
    },
    {
      name: 'notBefore in the past: dialled now',
      request: { notBefore: inHours(-1) },
      plan: 'dial_agent',
      call: { state: 'dispatching', schedule: null },
    },
    { name: 'notBefore now: dialled now', request: { notBefore: NOON.toISOString() }, plan: 'dial_agent', call: { schedule: null } },
    {
      name: `notBefore exactly ${MAX_SCHEDULE_AHEAD_DAYS} days ahead`,
      request: { notBefore: inHours(MAX_SCHEDULE_AHEAD_DAYS * 24) },
      plan: 'schedule',
      call: { schedule: { notBefore: inHours(MAX_SCHEDULE_AHEAD_DAYS * 24), reason: 'requested' } },
    },
    {
      name: 'a team call asked for later',
      request: { agent: undefined, team: 'sales', maxWaitSec: 60, notBefore: inHours(1) },
      found: MEMBERS,
      plan: 'schedule',
      call: { state: 'scheduled', team: 'sales', queue: { maxWaitSec: 60, since: null, until: null } },
    },
    // Calling hours.
    { name: 'inside the calling hours', policy: HOURS, plan: 'dial_agent', call: { state: 'dispatching' } },
    {
      name: 'outside the calling hours, the policy refuses',
      policy: HOURS,
      now: EVENING,
      plan: 'refuse',
      call: { reason: 'outside_calling_hours' },
    },
    {
      name: 'outside the calling hours, the policy defers: the next opening',
      policy: { ...HOURS, outsideCallingHours: 'defer' },
      now: EVENING,
      plan: 'schedule',
      call: { state: 'scheduled', schedule: { notBefore: '2026-12-02T09:00:00.000Z', reason: 'calling_hours' } },
    },
    {
      name: 'the source defers where the policy refuses',
      policy: HOURS,
      outsideCallingHours: 'defer',
      now: EVENING,
      plan: 'schedule',
      call: { schedule: { notBefore: '2026-12-02T09:00:00.000Z', reason: 'calling_hours' } },
    },
    {
      name: 'the source refuses where the policy defers',
      policy: { ...HOURS, outsideCallingHours: 'defer' },
      outsideCallingHours: 'refuse',
      now: EVENING,
      plan: 'refuse',
      call: { reason: 'outside_calling_hours' },
    },
    {
      name: 'hours that never open, deferred: refused',
      policy: { callingHours: { start: '09:00', end: '20:00', days: [] }, outsideCallingHours: 'defer' },
      plan: 'refuse',
      call: { reason: 'outside_calling_hours' },
    },
    {
      name: 'a time asked for inside the hours, asked in the evening',
      policy: HOURS,
      now: EVENING,
      request: { notBefore: '2026-12-02T10:00:00Z' },
      plan: 'schedule',
      call: { schedule: { notBefore: '2026-12-02T10:00:00.000Z', reason: 'requested' } },
    },
    {
      name: 'a time asked for outside the hours, deferred: the opening after it',
      policy: { ...HOURS, outsideCallingHours: 'defer' },
      request: { notBefore: '2026-12-04T22:00:00Z' },
      plan: 'schedule',
      call: { schedule: { notBefore: '2026-12-07T09:00:00.000Z', reason: 'calling_hours' } },
    },
    {
      name: 'a time asked for outside the hours, refused',
      policy: HOURS,
      request: { notBefore: '2026-12-04T22:00:00Z' },
      plan: 'refuse',
      call: { reason: 'outside_calling_hours' },
    },
    {
      name: 'a team outside the hours: refused before any member is taken',
      policy: HOURS,
      now: EVENING,
      request: { agent: undefined, team: 'sales' },
      found: MEMBERS,
      plan: 'refuse',
      call: { reason: 'outside_calling_hours', team: 'sales' },
    },
  ])('$name: $plan', (row) => {
    const plan = planOf(row);
    expect(plan.kind).toBe(row.plan);
    expect(plan.call).toMatchObject(row.call);
  });

  it('writes the reservation from the facts alone: the call id of the key, the token, the expiry of the policy', () => {
    const plan = planOf({ name: 'facts', policy: { retentionDays: 10, refusedRetentionDays: 2 } });
    expect(plan.call.callId).toBe(callIdFor('acme', 'k-1'));
    expect(plan.call).toMatchObject({
      tenantId: 'acme',
      idempotencyKey: 'k-1',
      reservedBy: 'token-1',
      source: 'api',
      createdAt: NOON.toISOString(),
      updatedAt: NOON.toISOString(),
      expiry: { full: NOON.getTime() / 1000 + 10 * 86_400, refused: NOON.getTime() / 1000 + 2 * 86_400 },
    });
    expect(planOf({ name: 'again', policy: { retentionDays: 10, refusedRetentionDays: 2 } })).toEqual(plan);
  });

  it('a refusal carries the words of its answer', () => {
    const refusalOf = (row: Row) => {
      const plan = planOf(row);
      return plan.kind === 'refuse' ? `${plan.refusal.reason}: ${plan.refusal.detail}` : plan.kind;
    };
    expect(refusalOf({ name: 'incomplete', found: 'incomplete' })).toMatch(/^agent_not_found: The agent's record is incomplete/);
    expect(refusalOf({ name: 'ghosts', request: { agent: undefined, team: 'ghosts' }, found: [] })).toMatch(
      /^team_not_found: The team ghosts has no agent/,
    );
    const never = { callingHours: { ...HOURS.callingHours, days: [] }, outsideCallingHours: 'defer' };
    expect(refusalOf({ name: 'never', policy: never })).toMatch(/^outside_calling_hours: .*do not open within the next 8 days\.$/);
  });

  it('a dial carries what its executor needs: the agent and its take, or the members; and the replay basis', () => {
    const taken = take();
    const agent = planOf({ name: 'agent', taken });
    expect(agent).toMatchObject({
      kind: 'dial_agent',
      agent: AGENT,
      number: { digits: '447766889900' },
      basis: { agent: AGENT, hash: requestHash(namedRequest(readAsk(inputOf({ name: 'agent' }), NOON), AGENT, 'k-1')) },
    });
    expect(agent.kind === 'dial_agent' && agent.taken).toBe(taken);
    const team = planOf({ name: 'team', request: { agent: undefined, team: 'sales' }, found: MEMBERS });
    expect(team).toMatchObject({ kind: 'dial_team', members: MEMBERS, basis: { agent: undefined, number: { digits: '447766889900' } } });
    expect(planOf({ name: 'invalid', request: { to: '12' } }).basis.number).toBeUndefined();
  });
});

describe('a request as read before any I/O', () => {
  it.each([
    { notBefore: inHours(MAX_SCHEDULE_AHEAD_DAYS * 24 + 1), throws: true },
    { notBefore: inHours(-24 * 365), throws: false },
    { notBefore: inHours(MAX_SCHEDULE_AHEAD_DAYS * 24), throws: false },
  ])('notBefore $notBefore: refused as invalid_request naming it: $throws', ({ notBefore, throws }) => {
    const read = () => readAsk(inputOf({ name: 'ahead', request: { notBefore } }), NOON);
    if (!throws) return expect(read).not.toThrow();
    expect(read).toThrow(DomainError);
    try {
      read();
    } catch (error) {
      expect(error).toMatchObject({ code: 'invalid_request', errors: [{ path: 'notBefore' }] });
    }
  });

  it.each([
    { name: 'valid, now', row: {}, verdict: 'now' },
    { name: 'later', row: { request: { notBefore: inHours(1) } }, verdict: 'schedule' },
    { name: 'invalid', row: { request: { to: 'nope' } }, verdict: 'refuse' },
    { name: 'closed hours', row: { policy: HOURS, now: EVENING }, verdict: 'refuse' },
  ])("the number's verdict, $name: $verdict (only `now` takes the agent beside the tenant's cap)", ({ row, verdict }) => {
    expect(readAsk(inputOf({ name: '', ...row }), (row as Row).now ?? NOON).verdict.kind).toBe(verdict);
  });

  it("counts copies once: the key, or the keyless subject, is the request's identity", () => {
    expect(readAsk(inputOf({ name: 'key', key: 'k-9' }), NOON).identity).toBe('k-9');
    const keyless = readAsk(inputOf({ name: 'keyless', key: undefined }), NOON);
    expect(keyless.identity).toBe(`auto:${keyless.subject}`);
  });

  it('names a keyless request by the agent it resolved to, so every spelling of one agent is one subject', () => {
    const spellings = [{ crmUserId: 'u-17' }, { email: 'ann@example.com' }, { extension: '1001' }].map((agent) => {
      const ask = readAsk(inputOf({ name: 'spelt', key: undefined, request: { agent } }), NOON);
      return dedupeSubject(namedRequest(ask, AGENT, undefined));
    });
    expect(new Set(spellings).size).toBe(1);
    // With a key, the request stays as spelt: a copy spelt otherwise is another request for that key.
    const keyed = readAsk(inputOf({ name: 'keyed', request: { agent: { email: 'ann@example.com' } } }), NOON);
    expect(namedRequest(keyed, AGENT, 'k-1').agent).toEqual({ email: 'ann@example.com' });
  });
});
