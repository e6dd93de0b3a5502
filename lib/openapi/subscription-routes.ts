/** The webhook subscriptions' routes (docs/api.md, "Subscriptions"), as the OpenAPI document describes them. */
import * as z from 'zod';
import {
  deliveryAttemptSchema,
  MAX_SUBSCRIPTIONS,
  SUBSCRIPTION_STATUSES,
  subscriptionFilterSchema,
  type SubscriptionResource,
} from '../model/subscription';
import { deliveriesQuerySchema, subscriptionInputSchema, subscriptionPatchSchema } from '../model/subscription-input';
import type { Route } from './route';
import { problems, problemSchema, readRateLimited } from './schemas';

/** The resource of docs/api.md ("Subscriptions"): no secret, no tenant. Only this document reads its schema. */
const subscriptionResourceSchema = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  filter: subscriptionFilterSchema.nullable(),
  description: z.string().nullable(),
  status: z.enum(SUBSCRIPTION_STATUSES),
  disabledReason: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
}) satisfies z.ZodType<SubscriptionResource>;

const idParam = { id: { description: "The subscription id (`sub_...`); another tenant's answers 404.", schema: z.string() } };

const example = {
  id: 'sub_3fK9xQ2mA7bC4dE5',
  url: 'https://hooks.zapier.com/hooks/standard/123/abc/',
  events: ['call.completed', 'call.no_answer'],
  filter: { team: 'sales' },
  description: 'Zap 123: calls ended',
  status: 'enabled',
  disabledReason: null,
  createdAt: '2026-11-26T10:00:00.000Z',
  updatedAt: '2026-11-26T10:00:00.000Z',
};

const limitProblem = {
  '409': {
    description: `The tenant has ${MAX_SUBSCRIPTIONS} subscriptions already (\`subscription_limit\`, with \`limit\`): nothing was written.`,
    schema: problemSchema,
    contentType: 'application/problem+json',
  },
};

export const SUBSCRIPTION_ROUTES: Route[] = [
  {
    method: 'post',
    path: '/v1/subscriptions',
    operationId: 'createSubscription',
    summary: 'Subscribe an endpoint to call events, with its own signing secret (shown once)',
    description: `Events: \`call.<state>\` of any call state, or \`["*"]\` alone. \`filter\` (each member optional, all must hold): \`agent\` (crmUserId), \`team\`, \`source\`, \`states\`. \`url\`: https (http only to localhost), no credentials, not leading to a loopback, private, link-local or metadata address (checked now and at every send). At most ${MAX_SUBSCRIPTIONS} per tenant. Deliveries are Standard Webhooks-signed with the subscription's secret (\`whsec_...\`, answered once here).`,
    auth: 'apiKey',
    scope: 'subscriptions:write',
    tags: ['subscriptions'],
    body: {
      schema: subscriptionInputSchema,
      example: { url: example.url, events: example.events, filter: { team: 'sales' }, description: example.description },
    },
    responses: {
      '201': {
        description: 'The subscription, and its signing secret: the only time it is shown.',
        schema: subscriptionResourceSchema.extend({ secret: z.string() }),
        example: { ...example, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
      },
      ...problems(400, 401, 403),
      ...limitProblem,
    },
  },
  {
    method: 'get',
    path: '/v1/subscriptions',
    operationId: 'listSubscriptions',
    summary: "The tenant's subscriptions (one page: at most 20)",
    auth: 'apiKey',
    scope: 'subscriptions:read',
    tags: ['subscriptions'],
    responses: {
      '200': {
        description: 'Every subscription, oldest first; `nextCursor` is always null.',
        schema: z.object({ subscriptions: z.array(subscriptionResourceSchema), nextCursor: z.null() }),
      },
      ...problems(401, 403),
      ...readRateLimited,
    },
  },
  {
    method: 'get',
    path: '/v1/subscriptions/{id}',
    operationId: 'getSubscription',
    summary: 'One subscription (no secret)',
    auth: 'apiKey',
    scope: 'subscriptions:read',
    tags: ['subscriptions'],
    pathParams: idParam,
    responses: { '200': { description: 'The subscription.', schema: subscriptionResourceSchema, example }, ...problems(401, 403, 404) },
  },
  {
    method: 'patch',
    path: '/v1/subscriptions/{id}',
    operationId: 'updateSubscription',
    summary: 'Change a subscription; `status: "enabled"` re-enables one disabled for failing',
    description:
      'Members sent replace the current ones; `filter: null` and `description: null` remove them. `status: "enabled"` re-enables the subscription and clears its failure run; `"disabled"` pauses it. A refused field changes nothing.',
    auth: 'apiKey',
    scope: 'subscriptions:write',
    tags: ['subscriptions'],
    pathParams: idParam,
    body: { schema: subscriptionPatchSchema, example: { events: ['*'], filter: null, status: 'enabled' } },
    responses: {
      '200': { description: 'The subscription as changed.', schema: subscriptionResourceSchema },
      ...problems(400, 401, 403, 404),
    },
  },
  {
    method: 'delete',
    path: '/v1/subscriptions/{id}',
    operationId: 'deleteSubscription',
    summary: 'Delete a subscription: nothing more is sent to it',
    auth: 'apiKey',
    scope: 'subscriptions:write',
    tags: ['subscriptions'],
    pathParams: idParam,
    responses: { '204': { description: 'Deleted.' }, ...problems(401, 403, 404) },
  },
  {
    method: 'post',
    path: '/v1/subscriptions/{id}/test',
    operationId: 'testSubscription',
    summary: "Send a signed `ping` to the subscription's URL now, and say how it went",
    description:
      'Body `{"type": "ping", "timestamp", "data": {"subscriptionId"}}`, signed as every delivery (every live secret). Recorded in the delivery log. An endpoint that fails is a 200 with `delivered: false`.',
    auth: 'apiKey',
    scope: 'subscriptions:write',
    tags: ['subscriptions'],
    pathParams: idParam,
    responses: {
      '200': {
        description: 'How the ping went.',
        schema: z.object({
          delivered: z.boolean(),
          responseCode: z.number().int().nullable(),
          latencyMs: z.number().int(),
          error: z.string().nullable(),
        }),
        example: { delivered: true, responseCode: 200, latencyMs: 42, error: null },
      },
      ...problems(401, 403, 404),
    },
  },
  {
    method: 'post',
    path: '/v1/subscriptions/{id}/rotate-secret',
    operationId: 'rotateSubscriptionSecret',
    summary: 'A new signing secret; the previous one keeps signing for 24 hours',
    description:
      'Until `previousSecretExpiresAt` every delivery carries a signature of each secret (space-separated `v1,` entries in `webhook-signature`): the endpoint changes over without missing one.',
    auth: 'apiKey',
    scope: 'subscriptions:write',
    tags: ['subscriptions'],
    pathParams: idParam,
    responses: {
      '200': {
        description: 'The new secret (shown once), and when the previous one stops signing.',
        schema: z.object({ secret: z.string(), previousSecretExpiresAt: z.string() }),
      },
      ...problems(401, 403, 404),
    },
  },
  {
    method: 'get',
    path: '/v1/subscriptions/{id}/deliveries',
    operationId: 'subscriptionDeliveries',
    summary: "A subscription's recent delivery attempts (7 days), newest first",
    description:
      '`status`: delivered, failed (retried at `nextAttemptAt`), pending, dead (given up on). `responseCode` is null when no answer came (timeout, connection, refused address). Nothing of the payload, headers or secrets is kept.',
    auth: 'apiKey',
    scope: 'subscriptions:read',
    tags: ['subscriptions'],
    pathParams: idParam,
    query: deliveriesQuerySchema,
    responses: {
      '200': { description: 'The attempts.', schema: z.object({ deliveries: z.array(deliveryAttemptSchema) }) },
      ...problems(400, 401, 403, 404),
      ...readRateLimited,
    },
  },
];
