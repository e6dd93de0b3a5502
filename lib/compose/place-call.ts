import { PlaceCall } from '../calls/place-call';
import { logger } from '../observability/logger';
import { callMetrics } from '../observability/metrics';
import { Click2CallClient } from '../pbx/click2call';
import { CallCaps } from '../policy/caps';
import { AgentPresenceRepository } from '../store/agent-presence';
import { DedupeWindowRepository } from '../store/dedupe-windows';
import { DoNotCallRepository } from '../store/do-not-call';
import { RateLimitRepository } from '../store/rate-limits';
import { perRoot } from './root';
import { callLedger } from './call-store';
import { agents, outbound, table } from './readers';

// What functions/calls-create.ts reads besides the use case: the request's schemas and the answer of API.md.
export { callRequestSchema, idempotencyKeySchema } from '../calls/request';
export { callOutcomeToHttp } from '../http/call-answers';

/** POST /v1/calls and every CRM webhook: the at-most-once ledger around one Click2Call GET. */
export const placeCallUseCase = perRoot(
  (r) =>
    new PlaceCall({
      calls: callLedger(r),
      agents: agents(r),
      caps: new CallCaps(new RateLimitRepository(table(r)), () => r.clock().getTime()),
      presence: new AgentPresenceRepository(table(r)),
      windows: new DedupeWindowRepository(table(r)),
      dnc: new DoNotCallRepository(table(r), r.clock),
      // One client per container: its keep-alive agents save a TLS handshake per call.
      pbx: new Click2CallClient({ outbound: outbound(r) }),
      pbxTimeoutMs: r.config.PBX_TIMEOUT_MS,
      logger,
      metrics: callMetrics,
      now: r.clock,
    }),
);
