import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { authenticator } from '../lib/compose/secrets';
import { tenantAdminUseCase } from '../lib/compose/tenant';
import { httpHandler, json } from '../lib/http/handler';

const auth = authenticator();
const admin = tenantAdminUseCase();

const routes = {
  'GET /v1/tenant': httpHandler({ scope: 'tenant:admin', authenticator: auth }, async (req) =>
    json(200, await admin.get(req.auth.tenant.tenantId)),
  ),
  // JSON Merge Patch (RFC 7396): application/merge-patch+json, or application/json.
  'PATCH /v1/tenant': httpHandler({ scope: 'tenant:admin', authenticator: auth, jsonBody: true }, async (req) =>
    json(200, await admin.patch(req.auth.tenant.tenantId, req.body)),
  ),
};

/** The tenant's own settings, for a CRM integration that configures itself (docs/api.md, "Tenant settings"). */
export const handler = async (event: APIGatewayProxyEventV2, context: Context) => {
  const route = routes[event.routeKey as keyof typeof routes];
  if (!route) return { statusCode: 404, body: '' };
  return route(event, context);
};
