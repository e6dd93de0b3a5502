/** The response schemas, shared parameters and examples the routes of the OpenAPI document name. */
import * as z from 'zod';
import { CALL_STATES, PASS_REASONS } from '../model/call';
import { callResourceSchema as callShape, type Call } from '../model/call-resource';
import { agentSchema } from '../model/agent';
import { agentAvailabilitySchema } from './agent-schemas';

/** The call resource (lib/model/call.ts): every field in every state, null where absent (docs/api.md, "The call resource"). */
export const callResourceSchema = callShape
  .extend({
    state: callShape.shape.state.meta({
      description:
        'See docs/api.md, "Call states". `scheduled` and `queued` wait for the scheduler; `cancelled` was cancelled while waiting.',
    }),
    agent: callShape.shape.agent.meta({
      description:
        'The agent the call rings: as the request named it (`email` null unless named by email), with its crmUserId and extension once resolved. Null while a team call has no member yet.',
    }),
    team: callShape.shape.team.meta({
      description: 'The team the request named instead of an agent; null on calls that named an agent.',
    }),
    routing: callShape.shape.routing.meta({
      description: `How a team call chose its agent: \`chosen\` (null while none was free), when, and every other member in \`passedOver\` with why: ${PASS_REASONS.join(', ')}. Null on calls that named an agent.`,
    }),
    schedule: callShape.shape.schedule.meta({
      description:
        "A scheduled call: the earliest time it may dial, and why it waits (`requested`: the request's notBefore; `calling_hours`: deferred to the next opening of the lead's calling hours). Null on a call that was never scheduled.",
    }),
    queue: callShape.shape.queue.meta({
      description:
        'A team call that may wait (`maxWaitSec`): `since` and `until` are null until the call queues; past `until` it ends `not_sent`, reason `no_agent_available`. Null on other calls.',
    }),
  })
  .meta({ id: 'Call' });

export const problemSchema = z
  .object({
    // A root-relative reference into docs/api.md (`/docs/api.md#problem-<code>`), not an absolute URL.
    type: z.string().meta({
      format: 'uri-reference',
      description: "Where the code is documented: /docs/api.md#problem-<code>, relative to the API's origin.",
    }),
    title: z.string(),
    status: z.number().int(),
    code: z.string().meta({ description: 'Stable machine-readable code, e.g. invalid_request, agent_not_found, pbx_not_allowlisted.' }),
    detail: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    call: callResourceSchema.optional().meta({ description: 'The call record kept for a refused call (422, 429, 503).' }),
    requestId: z.string(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details (application/problem+json).' });

export const agentResourceSchema = agentSchema
  .omit({ tenantId: true })
  .extend({ availability: agentAvailabilitySchema })
  .meta({ id: 'Agent' });

export const agentDaySchema = z.object({
  crmUserId: z.string(),
  date: z.iso.date(),
  calls: z.number().int(),
  answered: z.number().int(),
  answerRate: z.number(),
  talkTimeSec: z.number(),
  notPlaced: z.number().int(),
});
export const agentStatsReportSchema = z
  .object({
    from: z.iso.date(),
    to: z.iso.date(),
    tz: z.string(),
    days: z.array(agentDaySchema),
    agents: z.array(agentDaySchema.omit({ date: true })),
  })
  .meta({ id: 'AgentStatsReport' });

export const healthSchema = z
  .object({
    status: z.literal('ok'),
    stage: z.string(),
    egressIp: z.string().nullable().meta({ description: 'The address each PBX customer must allowlist.' }),
    time: z.iso.datetime(),
  })
  .meta({ id: 'Health' });

export const notificationSchema = z
  .object({
    type: z.enum(CALL_STATES.map((s) => `call.${s}` as const) as [string, ...string[]]),
    timestamp: z.iso.datetime(),
    data: z.object({ event: callShape.shape.events.element.extend({ sequence: z.number().int() }), call: callResourceSchema }),
  })
  .meta({ id: 'CallNotification' });

export const pbxEventAnswerSchema = z
  .object({ status: z.string(), callId: z.string().optional(), state: z.enum(CALL_STATES).optional(), detail: z.string().optional() })
  .loose();

export const dncNumberParam = {
  number: { description: "The number: E.164 (URL-encoded '+' as %2B), or national in the tenant's default country." },
};

export const problems = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((s) => [
      String(s),
      { description: PROBLEM_TEXT[s] ?? 'Problem', schema: problemSchema, contentType: 'application/problem+json' },
    ]),
  );

export const PROBLEM_TEXT: Record<number, string> = {
  400: 'The body, a header or a parameter is invalid (each field named in `errors`); nothing was done.',
  401: 'Missing, unknown or revoked credentials.',
  403: 'The key lacks the scope, or the tenant is suspended.',
  404: "Not found (or another tenant's).",
  409: 'The same Idempotency-Key with a different body (`idempotency_key_reused`).',
  422: "Refused for good: agent_not_found, team_not_found, invalid_number, destination_not_allowed, outside_calling_hours, pbx_rejected, pbx_not_allowlisted. The rejected call is kept and returned in `call`. do_not_call: the number is on the tenant's do-not-call list; nothing dialled, no call kept.",
  429: 'A cap was hit (destination_rate_limited, agent_rate_limited, agent_busy, tenant_rate_limited), or no member of the team is free and the request set no maxWaitSec (no_agent_available, nothing recorded), or the call would wait and the tenant has its policy maxWaitingCalls (default 1000) scheduled or queued calls already (waiting_limit, nothing recorded); see Retry-After.',
  503: 'Nothing was sent: the PBX could not be reached (pbx_unreachable), or our database failed before the GET (store_unavailable); a retry with the same key may dial, once. See Retry-After.',
};

/** The 429 of every read route: the tenant's read budget (docs/api.md, "Read budget"). */
export const readRateLimited = {
  '429': {
    description:
      "The tenant's read budget is spent (`read_rate_limited`): `readsPerSecond` in its policy (default 50), counted over 10-second windows; a request is charged what it read (one read per started 100 items), a listing or report one read before it reads and the rest after, so a big report may overdraw the window. Nothing more was read; see Retry-After.",
    schema: problemSchema,
    contentType: 'application/problem+json',
  },
};

export const callExample: Call = {
  callId: 'c_HEDR0N6K5378QF7K0WDNP161P2',
  tenantId: 'acme',
  state: 'dialing',
  reason: null,
  agent: { crmUserId: 'u-17', email: null, extension: '1000' },
  team: null,
  routing: null,
  schedule: null,
  queue: null,
  to: '+447766889900',
  legB: '447766889900',
  prefix: '*',
  lead: { id: '1234', type: 'contact' },
  customData: { domain: 'anothertest' },
  logged: [],
  pbx: { uniqueId: '10000000.1000', message: 'OK', host: 'subdomain.pbx.commpeak.com' },
  outcome: { answeredAt: null, endedAt: null, durationSec: null, billSec: null, hangupCause: null, hangupClass: null, recordingUrl: null },
  events: [
    { at: '2026-11-26T10:00:00.000Z', state: 'accepted', detail: null },
    { at: '2026-11-26T10:00:00.000Z', state: 'dispatching', detail: null },
    { at: '2026-11-26T10:00:00.310Z', state: 'dialing', detail: null },
  ],
  source: 'api',
  idempotencyKey: 'crm-click-8f14e45f',
  duplicate: false,
  createdAt: '2026-11-26T10:00:00.000Z',
  updatedAt: '2026-11-26T10:00:00.310Z',
};

/** A team call that found nobody free: it waits, queued, for a member (202). */
export const queuedExample: Call = {
  ...callExample,
  callId: 'c_7Q2M4VJ0XW9K3D8T1R6B5N0ZHA',
  state: 'queued',
  agent: null,
  team: 'sales',
  queue: { maxWaitSec: 120, since: '2026-11-26T10:00:00.000Z', until: '2026-11-26T10:02:00.000Z' },
  schedule: null,
  routing: {
    team: 'sales',
    chosen: null,
    decidedAt: null,
    passedOver: [
      { crmUserId: 'u-17', reason: 'on_call' },
      { crmUserId: 'u-18', reason: 'away' },
    ],
    attempts: 1,
  },
  prefix: null,
  customData: {},
  pbx: null,
  events: [
    { at: '2026-11-26T10:00:00.000Z', state: 'accepted', detail: null },
    { at: '2026-11-26T10:00:00.000Z', state: 'queued', detail: 'until 2026-11-26T10:02:00.000Z' },
  ],
  idempotencyKey: 'crm-click-a87ff679',
  updatedAt: '2026-11-26T10:00:00.000Z',
};

/** A call asked for a later time (202); cancelled, the same call answers DELETE (200). */
export const scheduledExample: Call = {
  ...callExample,
  callId: 'c_3F9K1P7T0B6W2N8R4D5X0M9QZE',
  state: 'scheduled',
  schedule: { notBefore: '2026-11-26T13:30:00.000Z', reason: 'requested' },
  prefix: null,
  customData: {},
  pbx: null,
  events: [
    { at: '2026-11-26T10:00:00.000Z', state: 'accepted', detail: null },
    { at: '2026-11-26T10:00:00.000Z', state: 'scheduled', detail: 'requested 2026-11-26T13:30:00.000Z' },
  ],
  idempotencyKey: 'crm-click-e4da3b7f',
  updatedAt: '2026-11-26T10:00:00.000Z',
};
export const cancelledExample: Call = {
  ...scheduledExample,
  state: 'cancelled',
  events: [...scheduledExample.events, { at: '2026-11-26T10:05:00.000Z', state: 'cancelled', detail: 'by key k_Qm3xT9aZ' }],
  updatedAt: '2026-11-26T10:05:00.000Z',
};

/** Where a call waits: see docs/api.md, "Scheduled and queued calls". */
export const WAITING_TEXT =
  'The call waits for the scheduler (`scheduled` until `schedule.notBefore`; `queued` for a free member until `queue.until`), dialled at most once when it is due; cancel it with DELETE /v1/calls/{callId} until then.';

export const crmUserIdParam = { crmUserId: { description: "The agent's user id in the CRM." } };
