import type { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { OutboundPolicy } from '../net/outbound';
import { CdrAddressRefusedError, searchCdrs, type CdrRecord, type CdrSearchSettings } from '../pbx/cdr-search';
import { classifyHangup, finalStateOf } from '../pbx/hangup';
import type { CallRepository, StoredCall } from '../store/calls';
import type { Tenant } from '../model/tenant';
import type { TenantRepository } from '../store/tenants';
import { systemClock, type Clock } from '../time/clock';

export interface ReconcileDeps {
  /** The pending list (`queries`), the settling transitions (`ledger`) and the unique_id links a CDR teaches (`links`). */
  calls: Pick<CallRepository, 'ledger' | 'links' | 'queries'>;
  tenants: TenantRepository;
  logger: Pick<PowertoolsLogger, 'info' | 'warn'>;
  /** Searches made before a call is given up on and flagged. */
  maxTries: number;
  /** A `dispatching` call younger than this may still be waiting for its GET: leave it alone. */
  minAgeSec: number;
  cdrTimeoutMs: number;
  /** Which CDR addresses may be reached; default: `ALLOW_PRIVATE_OUTBOUND` of the environment. */
  outbound?: OutboundPolicy;
  search?: (settings: CdrSearchSettings, filters: Record<string, string>) => Promise<CdrRecord[]>;
  now?: Clock;
}

export interface ReconcileReport {
  examined: number;
  settled: number;
  flagged: number;
  retryLater: number;
  skipped: number;
}

/**
 * Settles calls whose GET may have reached the PBX (`unknown`, or stuck in `dispatching`) by
 * asking the PBX's own CDRs, by unique_id when known, else by the call id we sent as custom data.
 * Only an exact match settles a call ({@link cdrBelongsTo}): never a CDR that merely fits by time,
 * agent or number. It never sends a Click2Call GET: a call that cannot be settled stays `unknown`, flagged.
 */
export class ReconcileCalls {
  constructor(private readonly deps: ReconcileDeps) {}

  async run(batchSize = 100): Promise<ReconcileReport> {
    const now = (this.deps.now ?? systemClock)();
    const report: ReconcileReport = { examined: 0, settled: 0, flagged: 0, retryLater: 0, skipped: 0 };
    const tenants = new Map<string, Promise<Tenant | undefined>>();
    const before = new Date(now.getTime() - this.deps.minAgeSec * 1000).toISOString();
    const pending = await this.deps.calls.queries.listPending({ limit: batchSize, before });
    for (const call of pending) {
      report.examined++;
      if (!tenants.has(call.tenantId)) tenants.set(call.tenantId, this.deps.tenants.get(call.tenantId));
      const tenant = await tenants.get(call.tenantId);
      const result = await this.settle(call, tenant, now);
      report[result]++;
    }
    if (report.examined > 0) this.deps.logger.info('Reconciliation run', { ...report });
    return report;
  }

  private async settle(call: StoredCall, tenant: Tenant | undefined, now: Date): Promise<'settled' | 'flagged' | 'retryLater' | 'skipped'> {
    const tries = (call.reconcile?.tries ?? 0) + 1;
    let cdr: CdrRecord | undefined;
    if (tenant?.pbx.cdrApiUrl) {
      const filters: Record<string, string> = call.pbx?.uniqueId ? { uniqueid: call.pbx.uniqueId } : { c2c_call_id: call.callId };
      try {
        const found = await (this.deps.search ?? searchCdrs)(
          {
            url: tenant.pbx.cdrApiUrl,
            apiKey: tenant.pbx.cdrApiKey,
            apiKeyHeader: tenant.pbx.cdrApiKeyHeader,
            timeoutMs: this.deps.cdrTimeoutMs,
            ...(this.deps.outbound ? { outbound: this.deps.outbound } : {}),
          },
          filters,
        );
        // A PBX may ignore a filter it does not know (custom fields not configured) and answer other calls: trust none of them.
        cdr = found.find((r) => cdrBelongsTo(r, call));
      } catch (error) {
        if (error instanceof CdrAddressRefusedError) {
          // A setting to fix, not a passing fault: counted as a try (below), so the call ends flagged for a human if it stays.
          this.deps.logger.warn('CDR search refused: the CDR URL leads to a forbidden address', {
            callId: call.callId,
            tenantId: call.tenantId,
            error: error.message,
          });
        } else {
          this.deps.logger.warn('CDR search failed', { callId: call.callId, tenantId: call.tenantId, error: error as Error });
          return 'skipped';
        }
      }
    }
    if (cdr) {
      const hangup = classifyHangup(cdr.hangup_cause, cdr.bill_duration);
      const state = finalStateOf(hangup);
      const settled = await this.deps.calls.ledger.transition(call.tenantId, call.callId, {
        from: ['dispatching', 'unknown'],
        to: state,
        changes: {
          reason: call.reason && state !== 'completed' ? call.reason : null,
          pbx: { uniqueId: cdr.uniqueid, message: call.pbx?.message ?? null, host: call.pbx?.host ?? null },
          outcome: {
            answeredAt: hangup === 'answered' && cdr.call_start ? new Date(cdr.call_start).toISOString() : null,
            endedAt: cdr.call_end ? new Date(cdr.call_end).toISOString() : null,
            durationSec: cdr.duration ?? null,
            billSec: cdr.bill_duration ?? null,
            hangupCause: cdr.hangup_cause ?? null,
            hangupClass: hangup,
            recordingUrl: cdr.recording_link || null,
          },
          reconcile: { tries, lastTriedAt: now.toISOString(), flagged: false },
        },
        detail: `reconciled from CDR (${cdr.hangup_cause ?? 'no cause'})`,
      });
      if (settled) {
        await this.deps.calls.links.linkPbxUniqueId(call.tenantId, cdr.uniqueid, call.callId);
        this.deps.logger.info('Call reconciled', { callId: call.callId, tenantId: call.tenantId, state });
      }
      return 'settled';
    }
    const reconcile = { tries, lastTriedAt: now.toISOString(), flagged: tries >= this.deps.maxTries };
    if (reconcile.flagged) {
      // Keep why the answer was lost (pbx_timeout...) when known; a call stuck in dispatching had none.
      await this.deps.calls.ledger.flagUnreconciled(call.tenantId, call.callId, reconcile, call.reason ?? 'unreconciled');
      this.deps.logger.warn('Call left unknown and flagged for a human', { callId: call.callId, tenantId: call.tenantId, tries });
      return 'flagged';
    }
    await this.deps.calls.ledger.patch(call.tenantId, call.callId, { reconcile });
    return 'retryLater';
  }
}

/**
 * Whether a CDR is this call's: it carries the call id we sent as custom data (`c2c_call_id`), or, when it
 * carries none, its `uniqueid` is the one the PBX gave this very call. Nothing else counts: a CDR with the
 * same agent, number and minute may be another call, and settling a call from it would report an outcome
 * (and a recording) that belongs to someone else.
 */
export function cdrBelongsTo(cdr: CdrRecord, call: Pick<StoredCall, 'callId' | 'pbx'>): boolean {
  const named = cdr.custom_fields?.c2c_call_id;
  if (named !== undefined && named !== null && named !== '') return named === call.callId;
  return Boolean(call.pbx?.uniqueId) && cdr.uniqueid === call.pbx?.uniqueId;
}
