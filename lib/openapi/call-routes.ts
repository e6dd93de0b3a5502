/** The call routes of the OpenAPI document: a data table (lib/openapi/routes.ts lists it first). */
import * as z from 'zod';
import { listCallsQuerySchema } from '../model/call-query';
import { callRequestSchema, idempotencyKeySchema, MAX_SCHEDULE_AHEAD_DAYS, MAX_WAIT_SEC } from '../calls/request';
import type { Route } from './route';
import {
  WAITING_TEXT,
  callExample,
  callResourceSchema,
  cancelledExample,
  problemSchema,
  problems,
  queuedExample,
  readRateLimited,
  scheduledExample,
} from './schemas';
/** Placing, reading and cancelling calls (docs/api.md, "Place a call", "Read calls", "Cancel a call"). */
export const CALL_ROUTES: Route[] = [
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
            lead: { id: '1234', type: 'contact' },
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
];
