import { RecordPbxEvent } from '../calls/pbx-events';
import { logger } from '../observability/logger';
import { AgentPresenceRepository } from '../store/agent-presence';
import { PbxEventRepository } from '../store/pbx-events';
import { cachedTenants } from '../tenants/tenant-cache';
import { perRoot } from './root';
import { calls } from './call-store';
import { table } from './readers';
import { tenants } from './secrets';

// What functions/pbx-events.ts reads besides the use case: the event as the PBX sent it (query, form or JSON).
export { readPbxEventRequest } from '../pbx/stats-event';

/** GET|POST /v1/pbx-events/{tenantId}/{token}: a PBX Stats webhook moves its call on. */
export const recordPbxEventUseCase = perRoot((r) => {
  const tenantRepository = tenants(r);
  const getTenant = cachedTenants(tenantRepository, r.config.AUTH_CACHE_TTL_MS, () => r.clock().getTime());
  return new RecordPbxEvent({
    calls: calls(r),
    pbxEvents: new PbxEventRepository(table(r)),
    getTenant,
    presence: new AgentPresenceRepository(table(r)),
    logger,
    now: r.clock,
  });
});
