import { ProbePbx } from '../diagnostics/probe-pbx';
import { logger } from '../observability/logger';
import { Click2CallClient } from '../pbx/click2call';
import { loadProbeSettings } from '../pbx/probe';
import { RateLimitRepository } from '../store/rate-limits';
import { perRoot } from './root';
import { outbound, table } from './readers';
import { tenants } from './secrets';

// What functions/pbx-probe.ts reads besides the use case: the budget its 429 names.
export { PROBE_BUDGET } from '../pbx/probe';

/** POST /v1/diagnostics/pbx-probe: does the tenant's PBX answer this stage's egress IP? Rings nothing. */
export const probeUseCase = perRoot(
  (r) =>
    new ProbePbx({
      tenants: tenants(r),
      counter: new RateLimitRepository(table(r)),
      pbx: new Click2CallClient({ outbound: outbound(r) }),
      probe: loadProbeSettings(),
      pbxTimeoutMs: r.config.PBX_TIMEOUT_MS,
      egressIp: r.config.EGRESS_IP ?? null,
      logger,
      now: r.clock,
    }),
);
