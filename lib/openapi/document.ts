import * as z from 'zod';
import { listCallsQuerySchema } from '../model/call-query';
import { callResourceSchema as callShape, CALL_STATES, PASS_REASONS, type Call } from '../model/call';
import { callRequestSchema, idempotencyKeySchema, MAX_SCHEDULE_AHEAD_DAYS, MAX_WAIT_SEC } from '../calls/request';
import { agentStatsQuerySchema } from '../stats/agent-stats';
import { agentInputSchema, agentSchema } from '../model/agent';
import {
  agentAvailabilitySchema,
  availabilityInputSchema,
  listAgentsQuerySchema,
  putAgentQuerySchema,
  teamSummarySchema,
} from '../agents/directory';
import { pbxProbeReportSchema } from '../pbx/probe';
import { dncLookupQuerySchema, doNotCallViewSchema } from '../model/do-not-call';
import { SOURCE_ADAPTERS, WEBHOOK_SOURCES } from '../crm/sources';
import { SCOPES } from '../model/scope';
import { tenantPatchSchema, tenantViewSchema } from '../tenants/view';
import { hookDeliveriesQuerySchemaOf, hookDeliverySchema } from '../model/hook-delivery';

/**
 * The OpenAPI 3.1 document of the service. Request parts are the very zod schemas the handlers
 * validate with (converted by zod's own JSON Schema output), so the document cannot drift from
 * what the service accepts; responses are zod schemas too.
 */

/** The call resource (lib/model/call.ts): every field in every state, null where absent (docs/api.md, "The call resource"). */
const callResourceSchema = callShape
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

const problemSchema = z
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

const agentResourceSchema = agentSchema.omit({ tenantId: true }).extend({ availability: agentAvailabilitySchema }).meta({ id: 'Agent' });

const agentDaySchema = z.object({
  crmUserId: z.string(),
  date: z.iso.date(),
  calls: z.number().int(),
  answered: z.number().int(),
  answerRate: z.number(),
  talkTimeSec: z.number(),
  notPlaced: z.number().int(),
});
const agentStatsReportSchema = z
  .object({
    from: z.iso.date(),
    to: z.iso.date(),
    tz: z.string(),
    days: z.array(agentDaySchema),
    agents: z.array(agentDaySchema.omit({ date: true })),
  })
  .meta({ id: 'AgentStatsReport' });

const healthSchema = z
  .object({
    status: z.literal('ok'),
    stage: z.string(),
    egressIp: z.string().nullable().meta({ description: 'The address each PBX customer must allowlist.' }),
    time: z.iso.datetime(),
  })
  .meta({ id: 'Health' });

const notificationSchema = z
  .object({
    type: z.enum(CALL_STATES.map((s) => `call.${s}` as const) as [string, ...string[]]),
    timestamp: z.iso.datetime(),
    data: z.object({ event: callShape.shape.events.element.extend({ sequence: z.number().int() }), call: callResourceSchema }),
  })
  .meta({ id: 'CallNotification' });

const pbxEventAnswerSchema = z
  .object({ status: z.string(), callId: z.string().optional(), state: z.enum(CALL_STATES).optional(), detail: z.string().optional() })
  .loose();

type Auth = 'apiKey' | 'webhook' | 'pathToken' | 'none';

interface Route {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  auth: Auth;
  scope?: (typeof SCOPES)[number];
  tags: string[];
  query?: z.ZodObject;
  pathParams?: Record<string, { description: string; schema?: z.ZodType }>;
  headers?: Record<string, { description: string; schema: z.ZodType; required?: boolean }>;
  body?: {
    schema: z.ZodType;
    /** One example, or several by name (OpenAPI allows one of the two). */
    example?: unknown;
    examples?: Record<string, { summary: string; value: unknown }>;
    contentTypes?: string[];
    /** JSON Schema merged over the generated one: what a refinement checks in code, which zod cannot express. */
    rules?: JsonSchema;
  };
  responses: Record<
    string,
    {
      description: string;
      schema?: z.ZodType;
      contentType?: string;
      example?: unknown;
      examples?: Record<string, { summary: string; value: unknown }>;
    }
  >;
}

const dncNumberParam = {
  number: { description: "The number: E.164 (URL-encoded '+' as %2B), or national in the tenant's default country." },
};

const problems = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((s) => [
      String(s),
      { description: PROBLEM_TEXT[s] ?? 'Problem', schema: problemSchema, contentType: 'application/problem+json' },
    ]),
  );

const PROBLEM_TEXT: Record<number, string> = {
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
const readRateLimited = {
  '429': {
    description:
      "The tenant's read budget is spent (`read_rate_limited`): `readsPerSecond` in its policy (default 50), counted over 10-second windows; a request is charged what it read (one read per started 100 items), a listing or report one read before it reads and the rest after, so a big report may overdraw the window. Nothing more was read; see Retry-After.",
    schema: problemSchema,
    contentType: 'application/problem+json',
  },
};

const callExample: Call = {
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
  lead: { id: '1234' },
  customData: { domain: 'anothertest' },
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
const queuedExample: Call = {
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
const scheduledExample: Call = {
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
const cancelledExample: Call = {
  ...scheduledExample,
  state: 'cancelled',
  events: [...scheduledExample.events, { at: '2026-11-26T10:05:00.000Z', state: 'cancelled', detail: 'by key k_Qm3xT9aZ' }],
  updatedAt: '2026-11-26T10:05:00.000Z',
};

/** Where a call waits: see docs/api.md, "Scheduled and queued calls". */
const WAITING_TEXT =
  'The call waits for the scheduler (`scheduled` until `schedule.notBefore`; `queued` for a free member until `queue.until`), dialled at most once when it is due; cancel it with DELETE /v1/calls/{callId} until then.';

const crmUserIdParam = { crmUserId: { description: "The agent's user id in the CRM." } };

export const ROUTES: Route[] = [
  {
    method: 'post',
    path: '/v1/calls',
    operationId: 'placeCall',
    summary: 'Place a call: ring the agent, then dial the lead',
    description:
      'At most one Click2Call GET per idempotency key. Without an Idempotency-Key, a key is derived from agent (or team), number and lead over a short window (60 s by default), so a double click dials once. Exactly one of `agent` and `team`: a team call goes to the free member idle longest (docs/api.md, "Calling a team"). `notBefore` in the future, or calling hours closed with the policy `outsideCallingHours: defer`, answers 202 `scheduled`; a team call with `maxWaitSec` and no member free answers 202 `queued`. A tenant has at most `maxWaitingCalls` (its call policy, default 1000) calls scheduled or queued at once: past it, 429 `waiting_limit` with nothing recorded.',
    auth: 'apiKey',
    scope: 'calls:write',
    tags: ['calls'],
    headers: {
      'Idempotency-Key': { description: 'Recommended: 1-255 printable ASCII characters, no spaces.', schema: idempotencyKeySchema },
    },
    body: {
      schema: callRequestSchema,
      examples: {
        agent: {
          summary: 'Ring an agent now',
          value: {
            agent: { crmUserId: 'u-17' },
            to: '+44 7766 889900',
            defaultCountry: 'GB',
            prefix: '*',
            lead: { id: '1234' },
            customData: { domain: 'anothertest' },
          },
        },
        team: {
          summary: 'Ring a free member of a team, waiting up to 2 minutes for one, not before 14:30 Paris time',
          value: { team: 'sales', maxWaitSec: 120, notBefore: '2026-11-26T14:30:00+01:00', to: '+44 7766 889900', lead: { id: '1234' } },
        },
      },
      // The request schema's refinement, which its JSON Schema cannot show: exactly one of agent and team,
      // maxWaitSec only with team (both answered 400 naming the field).
      rules: {
        oneOf: [{ required: ['agent'] }, { required: ['team'] }],
        dependentRequired: { maxWaitSec: ['team'] },
        properties: {
          agent: { description: 'The agent to ring: exactly one of `agent` and `team`.' },
          team: { description: 'Ring a free member of this team instead of a named agent: exactly one of `agent` and `team`.' },
          maxWaitSec: {
            description: `Team calls only: with no member free, wait this long (1-${MAX_WAIT_SEC} s), queued, for one instead of a 429 no_agent_available.`,
          },
          notBefore: {
            description: `The earliest time to dial (RFC 3339 with an offset), at most ${MAX_SCHEDULE_AHEAD_DAYS} days ahead: in the future, the call is scheduled (202); in the past, it dials now.`,
          },
        },
      },
    },
    responses: {
      '201': {
        description: 'The PBX accepted the call: state `dialing`. A team call carries the member chosen in `agent`, and `routing`.',
        schema: callResourceSchema,
        example: callExample,
      },
      '200': {
        description: 'Replay of an earlier request with the same key and body: the stored call, `duplicate: true`.',
        schema: callResourceSchema,
      },
      '202': {
        description: `Not dialled yet, or dialled and its outcome not known: never sent twice. ${WAITING_TEXT} Or sent, but the PBX's answer never came (\`unknown\`, reconciled later, never re-sent), or the first delivery is still in flight; a replay of a waiting call's key answers the same, \`duplicate: true\`.`,
        schema: callResourceSchema,
        examples: {
          scheduled: { summary: 'Scheduled for the time asked for', value: scheduledExample },
          queued: { summary: 'A team call waiting for a free member', value: queuedExample },
        },
      },
      ...problems(400, 401, 403, 409, 422, 429, 503),
    },
  },
  {
    method: 'get',
    path: '/v1/calls',
    operationId: 'listCalls',
    summary: 'List calls, newest first',
    auth: 'apiKey',
    scope: 'calls:read',
    tags: ['calls'],
    query: listCallsQuerySchema,
    responses: {
      '200': {
        description: 'A page of calls; pass `nextCursor` as `cursor` for the next one.',
        schema: z.object({ calls: z.array(callResourceSchema), nextCursor: z.string().nullable() }),
      },
      ...problems(400, 401, 403),
      ...readRateLimited,
    },
  },
  {
    method: 'get',
    path: '/v1/calls/{callId}',
    operationId: 'getCall',
    summary: 'Read one call, with its timeline and outcome',
    auth: 'apiKey',
    scope: 'calls:read',
    tags: ['calls'],
    pathParams: { callId: { description: 'The call id (c_ followed by 26 characters).' } },
    responses: {
      '200': { description: 'The call.', schema: callResourceSchema, example: callExample },
      ...problems(401, 403, 404),
      ...readRateLimited,
    },
  },
  {
    method: 'delete',
    path: '/v1/calls/{callId}',
    operationId: 'cancelCall',
    summary: 'Cancel a scheduled or queued call before it is dialled',
    description:
      "One conditional update from the waiting states, the scheduler's claim's own condition: of a cancel and a claim racing, exactly one holds, so a call is either cancelled and never dialled, or dialled and its cancel answered 409 already_dispatched.",
    auth: 'apiKey',
    scope: 'calls:write',
    tags: ['calls'],
    pathParams: { callId: { description: 'The call id (c_ followed by 26 characters).' } },
    responses: {
      '200': {
        description: 'The call, `cancelled`: it will never be dialled. The same answer when it was cancelled already.',
        schema: callResourceSchema,
        example: cancelledExample,
      },
      ...problems(401, 403, 404),
      '409': {
        description:
          'The call is no longer waiting, with the call in `call`: `already_dispatched` (it left the waiting states towards the PBX and may be ringing), or `not_cancellable` (it ended `rejected` or `not_sent` without being sent: nothing to cancel).',
        schema: problemSchema,
        contentType: 'application/problem+json',
      },
    },
  },
  {
    method: 'get',
    path: '/v1/stats/agents',
    operationId: 'agentStats',
    summary: 'Per agent and day: calls, answered, answer rate, talk time',
    auth: 'apiKey',
    scope: 'calls:read',
    tags: ['calls'],
    query: agentStatsQuerySchema,
    responses: {
      '200': { description: 'The report.', schema: agentStatsReportSchema },
      ...problems(400, 401, 403),
      '422': {
        description:
          'The range holds more than 10,000 calls, the most one report reads (`range_too_large`): ask for fewer days, or one agent.',
        schema: problemSchema,
        contentType: 'application/problem+json',
      },
      ...readRateLimited,
    },
  },
  {
    method: 'get',
    path: '/v1/agents',
    operationId: 'listAgents',
    summary: 'List agents, or the members of a team, with their availability',
    description:
      "`team` lists that team's members; `available=true|false` keeps the agents that are (or are not) available now. Filters apply to each page as read: a page may be short while more follow.",
    auth: 'apiKey',
    scope: 'agents:read',
    tags: ['agents'],
    query: listAgentsQuerySchema,
    responses: {
      '200': {
        description: 'A page of agents.',
        schema: z.object({ agents: z.array(agentResourceSchema), nextCursor: z.string().nullable() }),
      },
      ...problems(400, 401, 403),
      ...readRateLimited,
    },
  },
  {
    method: 'get',
    path: '/v1/agents/{crmUserId}',
    operationId: 'getAgent',
    summary: 'Read an agent',
    auth: 'apiKey',
    scope: 'agents:read',
    tags: ['agents'],
    pathParams: crmUserIdParam,
    responses: { '200': { description: 'The agent.', schema: agentResourceSchema }, ...problems(400, 401, 403, 404), ...readRateLimited },
  },
  {
    method: 'put',
    path: '/v1/agents/{crmUserId}',
    operationId: 'putAgent',
    summary: 'Create or replace an agent',
    auth: 'apiKey',
    scope: 'agents:write',
    tags: ['agents'],
    pathParams: crmUserIdParam,
    body: { schema: agentInputSchema, example: { extension: '1000', email: 'alice@acme.example', name: 'Alice', teams: ['sales'] } },
    query: putAgentQuerySchema,
    responses: {
      '201': { description: 'Created.', schema: agentResourceSchema },
      '200': { description: 'Replaced.', schema: agentResourceSchema },
      ...problems(400, 401, 403),
      '409': {
        description:
          'Another agent of the tenant holds the extension (`extension_taken`, `heldBy` names it); nothing was written. `force=true` moves it: that agent is removed, and the answer adds `displaced`.',
        schema: problemSchema,
        contentType: 'application/problem+json',
      },
    },
  },
  {
    method: 'delete',
    path: '/v1/agents/{crmUserId}',
    operationId: 'deleteAgent',
    summary: 'Delete an agent',
    auth: 'apiKey',
    scope: 'agents:write',
    tags: ['agents'],
    pathParams: crmUserIdParam,
    responses: { '204': { description: 'Deleted.' }, ...problems(400, 401, 403, 404) },
  },
  {
    method: 'put',
    path: '/v1/agents/{crmUserId}/availability',
    operationId: 'setAgentAvailability',
    summary: "Set an agent's away toggle",
    description:
      'available:false is away from now until `until` (or until set back); available:true is available now and, with `until`, away from then on. A team call passes over an away agent.',
    auth: 'apiKey',
    scope: 'agents:write',
    tags: ['agents'],
    pathParams: crmUserIdParam,
    body: { schema: availabilityInputSchema, example: { available: false, until: '2026-11-26T18:00:00+01:00' } },
    responses: {
      '200': { description: 'The agent, with its availability.', schema: agentResourceSchema },
      ...problems(400, 401, 403, 404),
    },
  },
  {
    method: 'get',
    path: '/v1/teams',
    operationId: 'listTeams',
    summary: 'Every team, its members counted by availability now',
    description: 'A team is the agents whose `teams` name it: one nobody is in is not listed.',
    auth: 'apiKey',
    scope: 'agents:read',
    tags: ['agents'],
    responses: {
      '200': { description: 'Every team of the tenant, by name.', schema: z.object({ teams: z.array(teamSummarySchema) }) },
      ...problems(401, 403),
      '422': {
        description:
          'The teams hold more than 2,000 memberships, the most one answer reads (`too_many_memberships`): list each team with GET /v1/agents?team=<name>.',
        schema: problemSchema,
        contentType: 'application/problem+json',
      },
      ...readRateLimited,
    },
  },
  {
    method: 'get',
    path: '/v1/tenant',
    operationId: 'getTenant',
    summary: "The tenant's settings: PBX, countries, calling hours, caps, retention (no secret)",
    description:
      'Every setting of the key\'s tenant, the call policy with its defaults filled in (docs/api.md, "Tenant settings"). Secrets are left out: `pbx.basicAuth` shows the user only, `pbx.cdrApiKeySet` whether a CDR key is set, callback secrets and PBX events tokens their ids only.',
    auth: 'apiKey',
    scope: 'tenant:admin',
    tags: ['tenant'],
    responses: { '200': { description: 'The tenant.', schema: tenantViewSchema }, ...problems(401, 403) },
  },
  {
    method: 'patch',
    path: '/v1/tenant',
    operationId: 'patchTenant',
    summary: "Change the tenant's settings with a JSON Merge Patch (RFC 7396)",
    description:
      'Members sent replace the current ones, objects merge, arrays replace, and `null` removes a member: a setting with a default is back at its default. The result is validated whole, as on create (real ISO 3166-1 country codes, well-formed calling hours, positive caps): a refused patch answers 400 naming each field and changes nothing. Secrets, the tenant id and its status are not set here (the CLI sets them, sealed). Changes reach requests within the key cache (30 s).',
    auth: 'apiKey',
    scope: 'tenant:admin',
    tags: ['tenant'],
    body: {
      schema: tenantPatchSchema,
      contentTypes: ['application/merge-patch+json', 'application/json'],
      example: {
        defaultCountry: 'FR',
        policy: {
          callingHours: {
            windows: [
              { days: [1, 2, 3, 4, 5], start: '10:00', end: '13:00' },
              { days: [1, 2, 3, 4, 5], start: '14:00', end: '20:00' },
            ],
          },
          outsideCallingHours: 'defer',
          caps: { perAgentPerMinute: 6 },
          denyPrefixes: null,
        },
      },
    },
    responses: { '200': { description: 'The tenant as changed.', schema: tenantViewSchema }, ...problems(400, 401, 403) },
  },
  {
    method: 'put',
    path: '/v1/dnc/{number}',
    operationId: 'addDoNotCall',
    summary: "Put a number on the tenant's do-not-call list",
    description:
      'Calls to it are then refused (422 do_not_call) from the API, the webhooks and the scheduler, nothing dialled. The list keeps a keyed hash of the number, never the number; an erasure of the number leaves it listed.',
    auth: 'apiKey',
    scope: 'calls:write',
    tags: ['calls'],
    pathParams: dncNumberParam,
    responses: {
      '201': { description: 'Listed.', schema: doNotCallViewSchema },
      '200': { description: 'Listed already (the first listing is kept).', schema: doNotCallViewSchema },
      ...problems(400, 401, 403),
    },
  },
  {
    method: 'delete',
    path: '/v1/dnc/{number}',
    operationId: 'removeDoNotCall',
    summary: "Take a number off the tenant's do-not-call list",
    auth: 'apiKey',
    scope: 'calls:write',
    tags: ['calls'],
    pathParams: dncNumberParam,
    responses: { '204': { description: 'Taken off.' }, ...problems(400, 401, 403, 404) },
  },
  {
    method: 'get',
    path: '/v1/dnc',
    operationId: 'lookUpDoNotCall',
    summary: "Whether a number is on the tenant's do-not-call list",
    description: 'A lookup, not a listing: the list keeps no number to list.',
    auth: 'apiKey',
    scope: 'calls:read',
    tags: ['calls'],
    query: dncLookupQuerySchema,
    responses: {
      '200': { description: 'The number, listed or not.', schema: doNotCallViewSchema },
      ...problems(400, 401, 403),
      ...readRateLimited,
    },
  },
  {
    method: 'post',
    path: '/v1/hooks/{source}/{tenantId}',
    operationId: 'receiveCrmWebhook',
    summary: "A CRM's or automation tool's own webhook places a call",
    description:
      `Authenticated by the source's own scheme on the raw body (see docs/webhooks.md): ${WEBHOOK_SOURCES.map((s) => `\`${s}\` (${SOURCE_ADAPTERS[s].scheme})`).join(', ')}. ` +
      "The payload is the vendor's own, mapped to a call request by the tenant's field mapping; the sender's delivery id is the idempotency key. Answers as POST /v1/calls, except that permanent refusals are answered 200 to senders that would otherwise retry for days.",
    auth: 'webhook',
    tags: ['webhooks'],
    pathParams: {
      source: {
        description: `${WEBHOOK_SOURCES.slice(0, -1).join(', ')} or ${WEBHOOK_SOURCES.at(-1)}.`,
        schema: z.enum(WEBHOOK_SOURCES),
      },
      tenantId: { description: 'The tenant the webhook belongs to.' },
    },
    body: {
      schema: z.record(z.string(), z.unknown()).meta({ description: "The sender's own payload." }),
      contentTypes: ['application/json', 'application/x-www-form-urlencoded'],
    },
    responses: {
      '201': { description: 'The call was placed.', schema: callResourceSchema },
      '200': {
        description:
          'A replay, or a permanent refusal answered so that the sender stops retrying (the rejected call, header X-C2C-Refusal).',
        schema: callResourceSchema,
      },
      '202': { description: 'Sent, outcome unknown, or still in flight.', schema: callResourceSchema },
      ...problems(400, 401, 404, 409, 422, 429, 503),
    },
  },
  ...(['get', 'post'] as const).map((method): Route => ({
    method,
    path: '/v1/pbx-events/{tenantId}/{token}',
    operationId: method === 'get' ? 'pbxEventQuery' : 'pbxEventPost',
    summary: 'PBX Stats webhook: Call Start, Call Answer, Call End',
    description:
      'As a query string (GET), a form or a JSON body (POST). Correlated to the call by `c2c_call_id` (sent to the PBX as custom data) or by `unique_id`. Unknown fields and hangup causes are kept. A repeated or late event changes nothing.',
    auth: 'pathToken',
    tags: ['pbx'],
    pathParams: {
      tenantId: { description: 'The tenant.' },
      token: { description: "The tenant's PBX events token: the URL is the credential." },
    },
    ...(method === 'post'
      ? { body: { schema: z.record(z.string(), z.unknown()), contentTypes: ['application/json', 'application/x-www-form-urlencoded'] } }
      : {}),
    responses: {
      '200': { description: 'Applied, or already applied.', schema: pbxEventAnswerSchema },
      '202': { description: 'Kept but not applied: no call matches (orphan), or an unknown event type.', schema: pbxEventAnswerSchema },
      ...problems(400, 401),
    },
  })),
  {
    method: 'post',
    path: '/v1/diagnostics/pbx-probe',
    operationId: 'probePbxAllowlist',
    summary: 'Ask the PBX, from the egress IP, whether it answers this service: without ringing any phone',
    description:
      'Sends one Click2Call GET to an extension that cannot exist (longer than any extension or E.164 number) and reads the answer: success:false means the PBX answered us (allowlisted), 404 means the egress IP is not on its allowlist. Nothing is recorded as a call. Used by `c2c doctor`.',
    auth: 'apiKey',
    scope: 'calls:write',
    tags: ['operations'],
    responses: {
      '200': { description: 'What the PBX made of the probe.', schema: pbxProbeReportSchema },
      ...problems(401, 403),
      '429': {
        description:
          'More than 5 probes this minute for the tenant (`probe_rate_limited`): each is a real GET from the shared egress IP. Nothing was sent; see Retry-After.',
        schema: problemSchema,
        contentType: 'application/problem+json',
      },
    },
  },
  {
    method: 'get',
    path: '/v1/health',
    operationId: 'health',
    summary: 'Liveness, and the egress IP each PBX customer must allowlist',
    auth: 'none',
    tags: ['operations'],
    responses: { '200': { description: 'Up.', schema: healthSchema } },
  },
  {
    method: 'get',
    path: '/console',
    operationId: 'console',
    summary: 'The operator console: recent calls and their timelines, agents, daily figures, the egress IP',
    description:
      'One HTML page holding no data: the operator pastes a tenant API key, kept in the browser session only, and the page reads the API with it (docs/console.md).',
    auth: 'none',
    tags: ['operations'],
    responses: { '200': { description: 'The console page.', schema: z.string(), contentType: 'text/html' } },
  },
  {
    method: 'get',
    path: '/v1/hooks/deliveries',
    operationId: 'hookDeliveries',
    summary: "A webhook source's last deliveries (7 days): verdict, why, and the call each made",
    description:
      'Newest first. `verdict`: accepted, rejected (the call refused), refused (not authenticated; `reason` says why), malformed, failed. Nothing of the payload, number, headers or secrets is kept.',
    auth: 'apiKey',
    scope: 'calls:read',
    tags: ['calls'],
    query: hookDeliveriesQuerySchemaOf(WEBHOOK_SOURCES),
    responses: {
      '200': {
        description: 'The deliveries.',
        schema: z.object({ source: z.string(), deliveries: z.array(hookDeliverySchema) }),
      },
      ...problems(400, 401, 403),
      ...readRateLimited,
    },
  },
  {
    method: 'get',
    path: '/docs/api.md',
    operationId: 'contract',
    summary: "The contract (docs/api.md) as HTML: where every problem's `type` points",
    auth: 'none',
    tags: ['operations'],
    responses: {
      '200': {
        description: 'The contract, each problem code under the element `problem-<code>`.',
        schema: z.string(),
        contentType: 'text/html',
      },
    },
  },
  {
    method: 'get',
    path: '/v1/openapi.json',
    operationId: 'openapi',
    summary: 'This document',
    auth: 'none',
    tags: ['operations'],
    responses: { '200': { description: 'The OpenAPI 3.1 document.', schema: z.record(z.string(), z.unknown()) } },
  },
];

const SECURITY: Record<Auth, Array<Record<string, string[]>>> = {
  apiKey: [],
  webhook: [],
  pathToken: [],
  none: [],
};

type JsonSchema = Record<string, unknown>;

/** JSON Schema (2020-12, what OpenAPI 3.1 uses) of a zod schema; named schemas become $refs into components. */
function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output', components: Record<string, JsonSchema>): JsonSchema {
  const out = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  // Schemas named with .meta({ id }) come out as $defs: they become shared components.
  const text = JSON.stringify(out).replaceAll('"#/$defs/', '"#/components/schemas/');
  const { $schema: _s, $defs, ...rest } = JSON.parse(text) as JsonSchema & { $defs?: Record<string, JsonSchema> };
  for (const [id, def] of Object.entries($defs ?? {})) components[id] = def;
  const { id: _id, ...schemaOnly } = rest;
  // A schema that is itself named is referenced, not inlined.
  if (typeof _id === 'string') {
    components[_id] = schemaOnly;
    return { $ref: `#/components/schemas/${_id}` };
  }
  return rest;
}

/** `rules` over a generated schema: its keywords added, and each of its `properties` merged into the property's own. */
function withRules(schema: JsonSchema, rules: JsonSchema): JsonSchema {
  const { properties: ruleProperties, ...keywords } = rules as JsonSchema & { properties?: Record<string, JsonSchema> };
  const properties = { ...(schema.properties as Record<string, JsonSchema> | undefined) };
  for (const [name, extra] of Object.entries(ruleProperties ?? {})) {
    if (!properties[name]) throw new Error(`OpenAPI rules describe ${name}, which the schema does not have`);
    properties[name] = { ...properties[name], ...extra };
  }
  return { ...schema, ...keywords, properties };
}

export interface OpenApiOptions {
  serverUrl?: string;
}

/** Builds the document; cheap enough to do once per container. */
export function buildOpenApiDocument(options: OpenApiOptions = {}): Record<string, unknown> {
  const components: Record<string, JsonSchema> = {};
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    const parameters: unknown[] = [];
    for (const [name, p] of Object.entries(route.pathParams ?? {})) {
      parameters.push({
        name,
        in: 'path',
        required: true,
        description: p.description,
        schema: jsonSchemaOf(p.schema ?? z.string(), 'input', components),
      });
    }
    for (const [name, field] of Object.entries(route.query?.shape ?? {})) {
      const schema = field as z.ZodType;
      parameters.push({
        name,
        in: 'query',
        required: !schema.safeParse(undefined).success,
        schema: jsonSchemaOf(schema, 'input', components),
      });
    }
    for (const [name, h] of Object.entries(route.headers ?? {})) {
      parameters.push({
        name,
        in: 'header',
        required: h.required ?? false,
        description: h.description,
        schema: jsonSchemaOf(h.schema, 'input', components),
      });
    }
    const operation: Record<string, unknown> = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: route.tags,
      ...(parameters.length ? { parameters } : {}),
      security: route.auth === 'apiKey' ? [{ apiKey: route.scope ? [route.scope] : [] }] : SECURITY[route.auth],
      ...(route.scope ? { 'x-required-scope': route.scope } : {}),
    };
    if (route.body) {
      const schema = jsonSchemaOf(route.body.schema, 'input', components);
      operation.requestBody = {
        required: true,
        content: Object.fromEntries(
          (route.body.contentTypes ?? ['application/json']).map((type) => [
            type,
            {
              schema: route.body!.rules ? withRules(schema, route.body!.rules) : schema,
              ...(route.body!.example ? { example: route.body!.example } : {}),
              ...(route.body!.examples ? { examples: route.body!.examples } : {}),
            },
          ]),
        ),
      };
    }
    operation.responses = Object.fromEntries(
      Object.entries(route.responses).map(([status, r]) => [
        status,
        {
          description: r.description,
          ...(r.schema
            ? {
                content: {
                  [r.contentType ?? 'application/json']: {
                    schema: jsonSchemaOf(r.schema, 'output', components),
                    ...(r.example ? { example: r.example } : {}),
                    ...(r.examples ? { examples: r.examples } : {}),
                  },
                },
              }
            : {}),
        },
      ]),
    );
    (paths[route.path] ??= {})[route.method] = operation;
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'c2c: click-to-call for CRMs through CommPeak',
      version: '1.0.0',
      description:
        "Places calls through the customer's CommPeak PBX at most once per request, and reports their outcomes. Errors are RFC 9457 problem details whose type points at the code's section of docs/api.md, the full contract. See docs/webhooks.md and docs/outcomes.md for webhooks and outcome notifications.",
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    tags: [
      { name: 'calls', description: 'Place and read calls.' },
      { name: 'agents', description: 'Agents, their PBX extensions, teams and availability.' },
      { name: 'tenant', description: "The tenant's own settings (scope tenant:admin)." },
      { name: 'webhooks', description: 'CRM and automation webhooks that place calls.' },
      { name: 'pbx', description: 'Webhooks from PBX Stats (outcomes).' },
      { name: 'operations', description: 'Health and this document.' },
    ],
    paths,
    webhooks: {
      callState: {
        post: {
          summary: "A state change of a call, sent to the tenant's callback URL",
          description:
            'One per state change, `type` `call.<state>` (also `call.scheduled`, `call.queued` and `call.cancelled` for waiting calls). Standard Webhooks-signed (webhook-id `<callId>.<sequence>`, webhook-timestamp, webhook-signature `v1,<base64 HMAC-SHA256>`), at least once, in order per call. Dedupe on webhook-id. Answer 2xx. See docs/outcomes.md.',
          requestBody: { content: { 'application/json': { schema: jsonSchemaOf(notificationSchema, 'output', components) } } },
          responses: { '200': { description: 'Received.' } },
        },
      },
    },
    components: {
      schemas: components,
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description: `A tenant API key: Authorization: Bearer c2c_<tenant>_<secret>. Scopes: ${SCOPES.join(', ')}.`,
        },
      },
    },
  };
}
