import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** An HTTP request to one of serverless.yml's routes, before API Gateway turns it into an event. */
export interface ApiRequest {
  method: string;
  /** The route as serverless.yml names it, e.g. `/v1/calls/{callId}`: `path` fills its parameters. */
  route: string;
  path?: Record<string, string>;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string;
}

/** The HTTP API (payload 2.0) event API Gateway hands a handler for `request`: what the tests and benches invoke with. */
export function apiGatewayEvent(request: ApiRequest): APIGatewayProxyEventV2 {
  const rawPath = request.route.replace(/\{(\w+)\}/g, (_, name: string) => request.path?.[name] ?? '');
  return {
    version: '2.0',
    routeKey: `${request.method} ${request.route}`,
    rawPath,
    rawQueryString: new URLSearchParams(request.query ?? {}).toString(),
    headers: { 'content-type': 'application/json', ...request.headers },
    queryStringParameters: request.query,
    pathParameters: request.path,
    requestContext: { requestId: randomUUID(), http: { method: request.method, path: rawPath } },
    body: request.body,
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEventV2;
}
