import { listCallsQuerySchema } from '../lib/calls/list-query';
import { container } from '../lib/container';
import { httpHandler, json, parseInput } from '../lib/http/handler';
import { toCallResource } from '../lib/store/calls';

const c = container();

/** GET /v1/calls?leadId=&agent=&state=&from=&to=&limit=&cursor= : newest first. */
export const handler = httpHandler({ scope: 'calls:read', authenticator: c.authenticator }, async (req) => {
  const q = parseInput(listCallsQuerySchema, req.query, 'query');
  const page = await c.calls.list(
    req.auth!.tenant.tenantId,
    { leadId: q.leadId, crmUserId: q.agent, state: q.state, from: q.from, to: q.to },
    { limit: q.limit, cursor: q.cursor },
  );
  return json(200, { calls: page.items.map((call) => toCallResource(call)), nextCursor: page.nextCursor ?? null });
});
