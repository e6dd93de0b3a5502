import { PROBE_BUDGET, probeUseCase } from '../lib/compose/probe';
import { authenticator } from '../lib/compose/secrets';
import { httpHandler, json } from '../lib/http/handler';
import { DomainError } from '../lib/model/domain-error';

const probe = probeUseCase();

/**
 * POST /v1/diagnostics/pbx-probe (scope `calls:write`): sends the allowlist probe (lib/pbx/probe.ts) to
 * the tenant's PBX from this stage's egress IP and answers what the PBX made of it (lib/diagnostics/probe-pbx.ts).
 * `c2c doctor` calls it. Past {@link PROBE_BUDGET} probes a minute for the tenant: 429 `probe_rate_limited` with
 * Retry-After, nothing sent.
 */
export const handler = httpHandler({ scope: 'calls:write', authenticator: authenticator() }, async (req) => {
  const outcome = await probe.execute(req.auth.tenant);
  if (outcome.kind === 'rate_limited') {
    throw new DomainError(
      'probe_rate_limited',
      `At most ${PROBE_BUDGET.max} PBX probes a minute per tenant (each is a real request from the shared egress IP); try again in ${outcome.retryAfterSec} s.`,
      { retryAfterSec: outcome.retryAfterSec },
    );
  }
  return json(200, outcome.report);
});
