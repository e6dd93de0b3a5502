import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { readBudget } from '../lib/compose/read-budget';
import { readerAuthenticator } from '../lib/compose/readers';
import {
  deliveriesQuerySchema,
  subscriptionInputSchema,
  subscriptionPatchSchema,
  subscriptionsUseCase,
} from '../lib/compose/subscriptions';
import { httpHandler, json, parseInput } from '../lib/http/handler';
import { subscriptionIdSchema } from '../lib/model/subscription';
import { DomainError } from '../lib/model/domain-error';

// The tenant is read without its secrets: this function opens only the subscriptions' own.
const auth = readerAuthenticator();
const subscriptions = subscriptionsUseCase();
// The listings are charged to the tenant's read budget what they read (docs/api.md, "Read budget").
const reads = readBudget();

/** The id of the path: one that cannot be a subscription's is not found, as another tenant's is. */
function idOf(path: Record<string, string>): string {
  const id = path.id ?? '';
  if (!subscriptionIdSchema.safeParse(id).success) throw new DomainError('not_found', 'No such subscription for this tenant.');
  return id;
}

const routes = {
  'POST /v1/subscriptions': httpHandler({ scope: 'subscriptions:write', authenticator: auth, jsonBody: true }, async (req) => {
    const input = parseInput(subscriptionInputSchema, req.body);
    const { subscription, secret } = await subscriptions.create(req.auth.tenant.tenantId, input);
    return json(201, { ...subscription, secret }, { location: `/v1/subscriptions/${subscription.id}` });
  }),
  'GET /v1/subscriptions': httpHandler({ scope: 'subscriptions:read', authenticator: auth }, async (req) => {
    // At most 20: one page, always.
    const list = await reads.metered(req.auth.tenant, () => subscriptions.list(req.auth.tenant.tenantId));
    return json(200, { subscriptions: list, nextCursor: null });
  }),
  'GET /v1/subscriptions/{id}': httpHandler({ scope: 'subscriptions:read', authenticator: auth }, async (req) =>
    json(200, await subscriptions.get(req.auth.tenant.tenantId, idOf(req.path))),
  ),
  'PATCH /v1/subscriptions/{id}': httpHandler({ scope: 'subscriptions:write', authenticator: auth, jsonBody: true }, async (req) => {
    const id = idOf(req.path);
    return json(200, await subscriptions.patch(req.auth.tenant.tenantId, id, parseInput(subscriptionPatchSchema, req.body)));
  }),
  'DELETE /v1/subscriptions/{id}': httpHandler({ scope: 'subscriptions:write', authenticator: auth }, async (req) => {
    await subscriptions.delete(req.auth.tenant.tenantId, idOf(req.path));
    return { status: 204 };
  }),
  'POST /v1/subscriptions/{id}/test': httpHandler({ scope: 'subscriptions:write', authenticator: auth }, async (req) =>
    json(200, await subscriptions.test(req.auth.tenant.tenantId, idOf(req.path))),
  ),
  'POST /v1/subscriptions/{id}/rotate-secret': httpHandler({ scope: 'subscriptions:write', authenticator: auth }, async (req) =>
    json(200, await subscriptions.rotateSecret(req.auth.tenant.tenantId, idOf(req.path))),
  ),
  'GET /v1/subscriptions/{id}/deliveries': httpHandler({ scope: 'subscriptions:read', authenticator: auth }, async (req) => {
    const id = idOf(req.path);
    const { limit } = parseInput(deliveriesQuerySchema, req.query, 'query');
    const deliveries = await reads.metered(req.auth.tenant, () => subscriptions.deliveries(req.auth.tenant.tenantId, id, limit));
    return json(200, { deliveries });
  }),
};

/** Webhook subscriptions (docs/api.md, "Subscriptions"): one function for their routes. */
export const handler = async (event: APIGatewayProxyEventV2, context: Context) => {
  const route = routes[event.routeKey as keyof typeof routes];
  if (!route) return { statusCode: 404, body: '' };
  return route(event, context);
};
