import { CallDispatch } from '../calls/dispatch';
import { DispatchDue } from '../calls/dispatch-due';
import { logger } from '../observability/logger';
import { callMetrics } from '../observability/metrics';
import { Click2CallClient } from '../pbx/click2call';
import { CallCaps } from '../policy/caps';
import { AgentPresenceRepository } from '../store/agent-presence';
import { DoNotCallRepository } from '../store/do-not-call';
import { RateLimitRepository } from '../store/rate-limits';
import { perRoot } from './root';

export { runScheduler } from '../calls/scheduler-loop';
import { calls } from './call-store';
import { agents, outbound, table } from './readers';
import { tenants } from './secrets';

/** The scheduler: scheduled calls at their time, queued calls as agents free up, each dialled at most once. */
export const dispatchDueUseCase = perRoot((r) => {
  const sender = new CallDispatch({
    calls: calls(r),
    pbx: new Click2CallClient({ outbound: outbound(r) }),
    pbxTimeoutMs: r.config.PBX_TIMEOUT_MS,
    logger,
    metrics: callMetrics,
    now: r.clock,
  });
  return new DispatchDue({
    calls: calls(r),
    agents: agents(r),
    presence: new AgentPresenceRepository(table(r)),
    caps: new CallCaps(new RateLimitRepository(table(r)), () => r.clock().getTime()),
    sender,
    getTenant: (tenantId) => tenants(r).get(tenantId),
    dnc: new DoNotCallRepository(table(r), r.clock),
    pbxTimeoutMs: r.config.PBX_TIMEOUT_MS,
    logger,
    now: r.clock,
  });
});
