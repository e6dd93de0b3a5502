import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import {
  agentDirectoryUseCase,
  availabilityInputSchema,
  listAgentsQuerySchema,
  MAX_TEAM_MEMBERSHIPS,
  putAgentQuerySchema,
} from '../lib/compose/agents';
import { READ_ITEMS, readBudget } from '../lib/compose/read-budget';
import { readerAuthenticator } from '../lib/compose/readers';
import { httpHandler, json, parseInput } from '../lib/http/handler';
import { agentInputSchema, crmUserIdSchema } from '../lib/model/agent';
import { DomainError, invalidRequest } from '../lib/model/domain-error';

const auth = readerAuthenticator();
const directory = agentDirectoryUseCase();
// GET routes are charged to the tenant's read budget: alongside a read by id; a listing and the teams what they read.
const reads = readBudget();

const crmUserIdOf = (path: Record<string, string>) => parseInput(crmUserIdSchema, path.crmUserId, 'path.crmUserId');
const notFound = (crmUserId: string) => new DomainError('not_found', `No agent ${crmUserId} for this tenant.`);

const routes = {
  'PUT /v1/agents/{crmUserId}': httpHandler({ scope: 'agents:write', authenticator: auth, jsonBody: true }, async (req) => {
    const crmUserId = crmUserIdOf(req.path);
    const input = parseInput(agentInputSchema, req.body);
    const { force } = parseInput(putAgentQuerySchema, req.query, 'query');
    const { agent, created, displaced } = await directory.put(req.auth.tenant.tenantId, crmUserId, input, { force });
    // With force, the agents the extension was moved from (removed): the caller learns whom its PUT displaced.
    return json(created ? 201 : 200, force ? { ...agent, displaced } : agent);
  }),
  'GET /v1/agents/{crmUserId}': httpHandler({ scope: 'agents:read', authenticator: auth }, async (req) => {
    const crmUserId = crmUserIdOf(req.path);
    const [agent] = await Promise.all([
      directory.get(req.auth.tenant.tenantId, crmUserId),
      reads.charge(req.auth.tenant, READ_ITEMS.agent),
    ]);
    if (!agent) throw notFound(crmUserId);
    return json(200, agent);
  }),
  'DELETE /v1/agents/{crmUserId}': httpHandler({ scope: 'agents:write', authenticator: auth }, async (req) => {
    const crmUserId = crmUserIdOf(req.path);
    if (!(await directory.delete(req.auth.tenant.tenantId, crmUserId))) throw notFound(crmUserId);
    return { status: 204 };
  }),
  'GET /v1/agents': httpHandler({ scope: 'agents:read', authenticator: auth }, async (req) => {
    const q = parseInput(listAgentsQuerySchema, req.query, 'query');
    const page = await reads.metered(req.auth.tenant, () => directory.list(req.auth.tenant.tenantId, q));
    return json(200, { agents: page.items, nextCursor: page.nextCursor ?? null });
  }),
  'PUT /v1/agents/{crmUserId}/availability': httpHandler({ scope: 'agents:write', authenticator: auth, jsonBody: true }, async (req) => {
    const crmUserId = crmUserIdOf(req.path);
    const input = parseInput(availabilityInputSchema, req.body);
    const result = await directory.setAvailability(req.auth.tenant.tenantId, crmUserId, input);
    switch (result.kind) {
      case 'not_found':
        throw notFound(crmUserId);
      case 'invalid':
        throw invalidRequest(`The body is not valid: ${result.field} ${result.message}.`, [
          { path: result.field, message: result.message },
        ]);
      case 'updated':
        return json(200, result.agent);
    }
  }),
  'GET /v1/teams': httpHandler({ scope: 'agents:read', authenticator: auth }, async (req) => {
    const teams = await reads.metered(req.auth.tenant, () =>
      directory.teams(req.auth.tenant.tenantId, { maxMemberships: MAX_TEAM_MEMBERSHIPS }),
    );
    return json(200, { teams });
  }),
};

/** The agents API: one function for the routes of one concern (agents, their teams, their availability). */
export const handler = async (event: APIGatewayProxyEventV2, context: Context) => {
  const route = routes[event.routeKey as keyof typeof routes];
  if (!route) return { statusCode: 404, body: '' };
  return route(event, context);
};
