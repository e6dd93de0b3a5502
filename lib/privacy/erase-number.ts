import { parsePbxStatsEvent, PbxEventFormatError } from '../pbx/stats-event';
import { normalizeNumber, type NormalizedNumber } from '../policy/phone';
import type { AuditRepository } from '../store/audit';
import type { CallLedger, CallQueries, PbxLinks } from '../store/calls';
import type { PbxEventRepository, StoredPbxEvent } from '../store/pbx-events';
import type { Tenant } from '../model/tenant';
import { systemClock, type Clock } from '../time/clock';

export interface EraseNumberDeps {
  calls: { queries: Pick<CallQueries, 'findCallsTo'>; links: Pick<PbxLinks, 'unlinkPbxUniqueId'>; ledger: Pick<CallLedger, 'delete'> };
  pbxEvents: Pick<PbxEventRepository, 'listForCall' | 'deleteForCall' | 'deleteOrphans'>;
  audit: Pick<AuditRepository, 'put'>;
  now?: Clock;
}

/** What an erasure removed; the same figures go into its audit record. */
export interface ErasureCounts {
  calls: number;
  pbxEvents: number;
  orphanPbxEvents: number;
  pbxLinks: number;
}

/**
 * A data subject's erasure request: every call of the tenant to one number, the call's raw PBX events and
 * unique_id links, and the orphan PBX events that carry the number, are deleted; an audit record says who did it,
 * when and how many items went, and nothing that identifies the person (not the number, not a hash of it: a
 * phone number's hash is reversed by trying every number).
 *
 * Idempotent: a second run finds nothing and records that it found nothing. Each call's own items go before the
 * call, so a run that stops half way leaves calls that a second run still finds, never items it cannot reach.
 */
export class EraseNumber {
  private readonly now: Clock;

  constructor(private readonly deps: EraseNumberDeps) {
    this.now = deps.now ?? systemClock;
  }

  async execute(input: { tenant: Tenant; number: NormalizedNumber; by: string }): Promise<ErasureCounts> {
    const { tenant, number } = input;
    const counts: ErasureCounts = { calls: 0, pbxEvents: 0, orphanPbxEvents: 0, pbxLinks: 0 };
    const calls = await this.deps.calls.queries.findCallsTo(tenant.tenantId, number);
    for (const call of calls) {
      const events = await this.deps.pbxEvents.listForCall(tenant.tenantId, call.callId);
      const uniqueIds = new Set([call.pbx?.uniqueId, ...events.map(uniqueIdOf)].filter((id): id is string => !!id));
      for (const uniqueId of uniqueIds) {
        if (await this.deps.calls.links.unlinkPbxUniqueId(tenant.tenantId, uniqueId, call.callId)) counts.pbxLinks++;
      }
      counts.pbxEvents += await this.deps.pbxEvents.deleteForCall(tenant.tenantId, call.callId);
      if (await this.deps.calls.ledger.delete(tenant.tenantId, call.callId)) counts.calls++;
    }
    counts.orphanPbxEvents = await this.deps.pbxEvents.deleteOrphans(tenant.tenantId, (event) =>
      carriesNumber(event, number, tenant.defaultCountry),
    );
    await this.deps.audit.put({
      tenantId: tenant.tenantId,
      action: 'calls.erase',
      by: input.by,
      at: this.now().toISOString(),
      counts: { ...counts },
    });
    return counts;
  }
}

/** The PBX's unique_id of a raw event, if it has one that parses. */
function uniqueIdOf(event: StoredPbxEvent): string | undefined {
  try {
    return parsePbxStatsEvent(event.fields, {}).uniqueId;
  } catch (error) {
    if (error instanceof PbxEventFormatError) return undefined;
    throw error;
  }
}

/**
 * Whether any field of a raw event is the number, in any of the forms a PBX writes one: E.164 with or without
 * the '+', with a 00 prefix, or national (read in the tenant's country).
 */
export function carriesNumber(event: Pick<StoredPbxEvent, 'fields'>, number: NormalizedNumber, defaultCountry: string): boolean {
  return Object.values(event.fields).some((value) => {
    const digits = value.replace(/\D/g, '');
    if (digits.length < 6) return false;
    if (digits === number.digits || digits === `00${number.digits}`) return true;
    return normalizeNumber(value, defaultCountry)?.e164 === number.e164;
  });
}
