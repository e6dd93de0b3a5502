import type { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { pbxSettingsOf } from '../calls/dial-url';
import type { Tenant } from '../model/tenant';
import { probePbx, takeProbeSlot, type PbxProbeReport, type ProbeCounter, type ProbeDeps, type ProbeSettings } from '../pbx/probe';
import type { TenantRepository } from '../store/tenants';
import { systemClock, type Clock } from '../time/clock';

export interface ProbePbxDeps {
  tenants: Pick<TenantRepository, 'get'>;
  /** The probe budget's counter (lib/store/rate-limits.ts). */
  counter: ProbeCounter;
  pbx: ProbeDeps['pbx'];
  probe: ProbeSettings;
  /** The stage's timeout where a tenant sets none. */
  pbxTimeoutMs: number;
  egressIp: string | null;
  logger: Pick<PowertoolsLogger, 'info' | 'error'>;
  now?: Clock;
}

export type ProbePbxOutcome = { kind: 'report'; report: PbxProbeReport } | { kind: 'rate_limited'; retryAfterSec: number };

/**
 * The allowlist probe (lib/pbx/probe.ts) for one tenant, from this stage's egress IP: takes one probe from the
 * tenant's budget first, then asks the PBX what it makes of a call to an extension that cannot exist. Rings
 * nothing and writes nothing but its budget counter: a probe is logged, never recorded as a call.
 */
export class ProbePbx {
  private readonly now: Clock;

  constructor(private readonly deps: ProbePbxDeps) {
    this.now = deps.now ?? systemClock;
  }

  /** `tenant` is the authenticated one: its settings are read afresh, it is the fallback if that read finds nothing. */
  async execute(tenant: Tenant): Promise<ProbePbxOutcome> {
    const { deps } = this;
    const slot = await takeProbeSlot(deps.counter, tenant.tenantId, this.now().getTime());
    if (!slot.admitted) return { kind: 'rate_limited', retryAfterSec: slot.retryAfterSec };
    // Read afresh: the authenticator's copy may be 30 s old, and an operator who just fixed the PBX URL probes again at once.
    const current = (await deps.tenants.get(tenant.tenantId)) ?? tenant;
    const report = await probePbx({ pbx: deps.pbx, now: this.now }, pbxSettingsOf(current, deps.pbxTimeoutMs), deps.probe, deps.egressIp);
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
    if (report.verdict === 'accepted')
      deps.logger.error('PBX probe: the PBX accepted a call to an extension that cannot exist', {
        ...fields,
        uniqueId: report.answer.uniqueId,
      });
    else deps.logger.info('PBX probe', fields);
    return { kind: 'report', report };
  }
}
