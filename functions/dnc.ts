import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { dncLookupQuerySchema, doNotCallUseCase } from '../lib/compose/dnc';
import { READ_ITEMS, readBudget } from '../lib/compose/read-budget';
import { readerAuthenticator } from '../lib/compose/readers';
import { httpHandler, json, parseInput } from '../lib/http/handler';
import { DomainError, invalidRequest } from '../lib/model/domain-error';

const auth = readerAuthenticator();
const list = doNotCallUseCase();
const reads = readBudget();

/** The number as the path or the query gives it: present, of a length a phone number can have (its spelling is read later). */
function numberOf(value: string | undefined, field: string): string {
  if (value === undefined || value.trim() === '')
    throw invalidRequest(`Give the number (${field}).`, [{ path: field, message: 'required' }]);
  if (value.length > 40)
    throw invalidRequest('Not a valid phone number for its country.', [{ path: field, message: 'not a valid phone number' }]);
  return value;
}

// Nothing here logs the number: the logger carries the route's template, never its path.
const routes = {
  'PUT /v1/dnc/{number}': httpHandler({ scope: 'calls:write', authenticator: auth }, async (req) => {
    const { view, created } = await list.add(req.auth.tenant, numberOf(req.path.number, 'path.number'), `api:${req.auth.keyId}`);
    return json(created ? 201 : 200, view);
  }),
  'DELETE /v1/dnc/{number}': httpHandler({ scope: 'calls:write', authenticator: auth }, async (req) => {
    if (!(await list.remove(req.auth.tenant, numberOf(req.path.number, 'path.number')))) {
      throw new DomainError('not_found', 'The number is not on the do-not-call list.');
    }
    return { status: 204 };
  }),
  'GET /v1/dnc': httpHandler({ scope: 'calls:read', authenticator: auth }, async (req) => {
    const { number } = parseInput(dncLookupQuerySchema, req.query, 'query');
    const [view] = await Promise.all([list.lookup(req.auth.tenant, number, 'query.number'), reads.charge(req.auth.tenant, READ_ITEMS.dnc)]);
    return json(200, view);
  }),
};

/** The do-not-call list: one function for its three routes. */
export const handler = async (event: APIGatewayProxyEventV2, context: Context) => {
  const route = routes[event.routeKey as keyof typeof routes];
  if (!route) return { statusCode: 404, body: '' };
  return route(event, context);
};
