import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import * as z from 'zod';
import { agents, authenticator } from '../lib/compose/shared';
import { NotFoundError } from '../lib/http/errors';
import { httpHandler, json, parseInput } from '../lib/http/handler';
import { agentInputSchema, crmUserIdSchema, type Agent } from '../lib/model/agent';

const auth = authenticator();
const directory = agents();

const agentResource = ({ tenantId: _t, ...agent }: Agent) => agent;
const crmUserIdOf = (path: Record<string, string>) => parseInput(crmUserIdSchema, path.crmUserId, 'path.crmUserId');
const listQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(2048).optional(),
});

const routes = {
  'PUT /v1/agents/{crmUserId}': httpHandler({ scope: 'agents:write', authenticator: auth, jsonBody: true }, async (req) => {
    const crmUserId = crmUserIdOf(req.path);
    const input = parseInput(agentInputSchema, req.body);
    const { agent, created } = await directory.put(req.auth.tenant.tenantId, crmUserId, input);
    return json(created ? 201 : 200, agentResource(agent));
  }),
  'GET /v1/agents/{crmUserId}': httpHandler({ scope: 'agents:read', authenticator: auth }, async (req) => {
    const crmUserId = crmUserIdOf(req.path);
    const agent = await directory.get(req.auth.tenant.tenantId, crmUserId);
    if (!agent) throw new NotFoundError(`No agent ${crmUserId} for this tenant.`);
    return json(200, agentResource(agent));
  }),
  'DELETE /v1/agents/{crmUserId}': httpHandler({ scope: 'agents:write', authenticator: auth }, async (req) => {
    const crmUserId = crmUserIdOf(req.path);
    if (!(await directory.delete(req.auth.tenant.tenantId, crmUserId))) throw new NotFoundError(`No agent ${crmUserId} for this tenant.`);
    return { status: 204 };
  }),
  'GET /v1/agents': httpHandler({ scope: 'agents:read', authenticator: auth }, async (req) => {
    const q = parseInput(listQuerySchema, req.query, 'query');
    const page = await directory.list(req.auth.tenant.tenantId, q);
    return json(200, { agents: page.items.map(agentResource), nextCursor: page.nextCursor ?? null });
  }),
};

/** The agents API: one function for the four routes of one concern. */
export const handler = async (event: APIGatewayProxyEventV2, context: Context) => {
  const route = routes[event.routeKey as keyof typeof routes];
  if (!route) return { statusCode: 404, body: '' };
  return route(event, context);
};
