import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/**
 * The API Gateway v2 event of one call request, as the bench sends it to the handler in-process: call `i` goes to
 * agent `u-<i mod agents>` and carries its own Idempotency-Key (`<tag>-<i>`), so every request is a new call.
 */
export function callEvent(key: string, i: number, options: { agents: number; tag: string }): APIGatewayProxyEventV2 {
  const body = JSON.stringify({
    agent: { crmUserId: `u-${i % options.agents}` },
    to: `+44 7766 ${800000 + (i % 100000)}`,
    lead: { id: `lead-${i}` },
  });
  return {
    version: '2.0',
    routeKey: 'POST /v1/calls',
    rawPath: '/v1/calls',
    rawQueryString: '',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': `${options.tag}-${i}` },
    requestContext: { requestId: randomUUID() },
    body,
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEventV2;
}
