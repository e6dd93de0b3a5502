import { container } from '../lib/container';
import { RateLimitedError } from '../lib/http/errors';
import { httpHandler, json } from '../lib/http/handler';
import { logger } from '../lib/http/logger';
import { Click2CallClient, type PbxSettings } from '../lib/pbx/click2call';
import { loadProbeSettings, PROBE_BUDGET, probePbx, takeProbeSlot } from '../lib/pbx/probe';
import { RateLimitRepository } from '../lib/store/rate-limits';
import type { Tenant } from '../lib/store/tenants';

const c = container();
const probe = loadProbeSettings();
const pbx = new Click2CallClient({ outbound: c.outbound });
const counters = new RateLimitRepository(c.table);

/**
 * POST /v1/diagnostics/pbx-probe (scope `calls:write`): sends the allowlist probe (lib/pbx/probe.ts) to
 * the tenant's PBX from this stage's egress IP and answers what the PBX made of it. Rings nothing and
 * writes nothing but its budget counter: a probe is logged, never recorded as a call. `c2c doctor` calls it.
 * Past {@link PROBE_BUDGET} probes a minute for the tenant: 429 `probe_rate_limited` with Retry-After, nothing sent.
 */
export const handler = httpHandler({ scope: 'calls:write', authenticator: c.authenticator }, async (req) => {
  const tenantId = req.auth!.tenant.tenantId;
  const slot = await takeProbeSlot(counters, tenantId);
  if (!slot.admitted) {
    throw new RateLimitedError(
      'probe_rate_limited',
      `At most ${PROBE_BUDGET.max} PBX probes a minute per tenant (each is a real request from the shared egress IP); try again in ${slot.retryAfterSec} s.`,
      slot.retryAfterSec,
    );
  }
  // Read afresh: the authenticator's copy may be 30 s old, and an operator who just fixed the PBX URL probes again at once.
  const tenant = (await c.tenants.get(tenantId)) ?? req.auth!.tenant;
  const report = await probePbx({ pbx }, pbxSettingsOf(tenant, c.config.PBX_TIMEOUT_MS), probe, c.config.EGRESS_IP ?? null);
  const fields = {
    probeId: report.probeId,
    verdict: report.verdict,
    pbxHost: report.pbx.host,
    egressIp: report.egressIp,
    answer: report.answer.kind,
    httpStatus: report.answer.httpStatus,
    code: report.answer.code,
    latencyMs: report.answer.latencyMs,
  };
  if (report.verdict === 'accepted') logger.error('PBX probe: the PBX accepted a call to an extension that cannot exist', { ...fields, uniqueId: report.answer.uniqueId });
  else logger.info('PBX probe', fields);
  return json(200, report);
});

function pbxSettingsOf(tenant: Tenant, defaultTimeoutMs: number): PbxSettings {
  return {
    urlShape: tenant.pbx.urlShape,
    baseUrl: tenant.pbx.baseUrl,
    crmId: tenant.crmId,
    clientId: tenant.clientId,
    basicAuth: tenant.pbx.basicAuth,
    timeoutMs: tenant.pbx.timeoutMs ?? defaultTimeoutMs,
  };
}
