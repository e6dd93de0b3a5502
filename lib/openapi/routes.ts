/** Every route of the service, as the OpenAPI document describes it: a data table (lib/openapi/document.ts builds from it). */
import * as z from 'zod';
import { agentStatsQuerySchema } from '../stats/agent-stats';
import { agentInputSchema } from '../model/agent';
import { availabilityInputSchema, listAgentsQuerySchema, putAgentQuerySchema } from '../agents/directory';
import { doNotCallViewSchema, teamSummarySchema } from './agent-schemas';
import { pbxProbeReportSchema } from '../pbx/probe';
import { dncLookupQuerySchema } from '../model/do-not-call';
import { SOURCE_ADAPTERS, WEBHOOK_SOURCES } from '../crm/sources';
import { tenantPatchSchema, tenantViewSchema } from '../tenants/view';
import { hookDeliveriesQuerySchemaOf, hookDeliverySchema } from '../model/hook-delivery';
import type { Route } from './route';
import { CALL_ROUTES } from './call-routes';
import { SUBSCRIPTION_ROUTES } from './subscription-routes';
import {
  agentResourceSchema,
  agentStatsReportSchema,
  callResourceSchema,
  crmUserIdParam,
  dncNumberParam,
  healthSchema,
  pbxEventAnswerSchema,
  problemSchema,
  problems,
  readRateLimited,
} from './schemas';
/** Every route: the calls' first, then agents, the tenant, the do-not-call list, webhooks, diagnostics and pages, then subscriptions. */
export const ROUTES: Route[] = [
  ...CALL_ROUTES,
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
  ...SUBSCRIPTION_ROUTES,
];
