/**
 * The call listings' index keys (issue 22, "Cost per call"). The listings by tenant, agent and lead read three
 * keys-only indexes: an update of a call changes none of their keys, so it writes no index copy (the whole-item
 * indexes gsi1-gsi3 took a copy of every update). One short sort key, the creation instant, serves all three.
 *
 * A table deployed before them has the call items in gsi1 (lead), gsi2 (agent) and gsi3 (tenant); docs/operations.md
 * ("Narrowing the call indexes") moves it: new indexes beside the old, a backfill, the switch, the drop. The mode
 * (`CALL_INDEXES`, lib/config.ts) says which keys a call write carries and which indexes the listings read.
 */
import { callsByAgentPk, callsByLeadPk, callsByTenantPk, callTimeSk, INDEX } from './keys';

export const CALL_INDEX = { byTenant: 'callsByTenant', byAgent: 'callsByAgent', byLead: 'callsByLead' } as const;
export type CallIndexName = (typeof CALL_INDEX)[keyof typeof CALL_INDEX];

/** Short attribute names: they are stored on every call item and counted in its size. */
export const CALL_INDEX_ATTR = { tenant: 'ct', agent: 'ca', lead: 'cl', time: 'cs' } as const;

/** The old whole-item indexes' key attributes on a call item (agents and API keys keep gsi1 and gsi2 for themselves). */
export const LEGACY_CALL_INDEX_ATTRS = ['gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'gsi3pk', 'gsi3sk'] as const;

/**
 * `migrating`: writes carry both key sets, listings read the old indexes (while the new ones are added and backfilled);
 * `switched`: both key sets, listings read the new indexes (the old ones still complete: a switch back loses nothing);
 * `narrow`: the new keys only.
 */
export const CALL_INDEX_MODES = ['narrow', 'migrating', 'switched'] as const;
export type CallIndexMode = (typeof CALL_INDEX_MODES)[number];
export const writesLegacyKeys = (mode: CallIndexMode) => mode !== 'narrow';
export const readsNarrowIndexes = (mode: CallIndexMode) => mode !== 'migrating';

export interface CallIndexSubject {
  tenantId: string;
  callId: string;
  createdAt: string;
  crmUserId?: string | null;
  leadId?: string | null;
}

/** The keys-only indexes' partition keys: the tenant's id first, so no query reaches another tenant's calls. */
export const narrowTenantPk = (tenantId: string) => tenantId;
export const narrowAgentPk = (tenantId: string, crmUserId: string) => `${tenantId}#${crmUserId}`;
export const narrowLeadPk = (tenantId: string, leadId: string) => `${tenantId}#${leadId}`;

/** The new indexes' keys of a call: tenant and time always, agent and lead when the call has them. */
export function narrowCallIndexKeys(call: CallIndexSubject): Record<string, string> {
  return {
    [CALL_INDEX_ATTR.tenant]: narrowTenantPk(call.tenantId),
    [CALL_INDEX_ATTR.time]: call.createdAt,
    ...(call.crmUserId ? { [CALL_INDEX_ATTR.agent]: narrowAgentPk(call.tenantId, call.crmUserId) } : {}),
    ...(call.leadId ? { [CALL_INDEX_ATTR.lead]: narrowLeadPk(call.tenantId, call.leadId) } : {}),
  };
}

/** The old indexes' keys of a call, as calls were written before the narrow indexes. */
export function legacyCallIndexKeys(call: CallIndexSubject): Record<string, string> {
  const timeSk = callTimeSk(call.createdAt, call.callId);
  return {
    ...(call.leadId ? { gsi1pk: callsByLeadPk(call.tenantId, call.leadId), gsi1sk: timeSk } : {}),
    ...(call.crmUserId ? { gsi2pk: callsByAgentPk(call.tenantId, call.crmUserId), gsi2sk: timeSk } : {}),
    gsi3pk: callsByTenantPk(call.tenantId),
    gsi3sk: timeSk,
  };
}

/** The listing keys a call write carries in `mode`. */
export function callIndexKeys(call: CallIndexSubject, mode: CallIndexMode): Record<string, string> {
  return writesLegacyKeys(mode) ? { ...legacyCallIndexKeys(call), ...narrowCallIndexKeys(call) } : narrowCallIndexKeys(call);
}

/** The attributes a listing's index is keyed on: its partition key and its time-ordered sort key. */
export interface CallListingIndex {
  indexName: string;
  hashAttr: string;
  rangeAttr: string;
  /** The partition the listing reads. */
  pk: string;
  /** Keys-only (the items are read by key after the query, lib/store/hydrate.ts) and sorted by `createdAt` alone. */
  narrow: boolean;
}

/**
 * The index a listing of the tenant's calls reads in `mode`: by lead when it names one, else by agent when it names
 * one, else the tenant's. `migrating` reads the old whole-item indexes exactly as before the narrow ones existed.
 */
export function callListingIndex(mode: CallIndexMode, tenantId: string, by: { leadId?: string; crmUserId?: string }): CallListingIndex {
  if (readsNarrowIndexes(mode)) {
    const [indexName, hashAttr, pk] = by.leadId
      ? [CALL_INDEX.byLead, CALL_INDEX_ATTR.lead, narrowLeadPk(tenantId, by.leadId)]
      : by.crmUserId
        ? [CALL_INDEX.byAgent, CALL_INDEX_ATTR.agent, narrowAgentPk(tenantId, by.crmUserId)]
        : [CALL_INDEX.byTenant, CALL_INDEX_ATTR.tenant, narrowTenantPk(tenantId)];
    return { indexName, hashAttr, rangeAttr: CALL_INDEX_ATTR.time, pk, narrow: true };
  }
  const [indexName, pk] = by.leadId
    ? [INDEX.gsi1, callsByLeadPk(tenantId, by.leadId)]
    : by.crmUserId
      ? [INDEX.gsi2, callsByAgentPk(tenantId, by.crmUserId)]
      : [INDEX.gsi3, callsByTenantPk(tenantId)];
  return { indexName, hashAttr: `${indexName}pk`, rangeAttr: `${indexName}sk`, pk, narrow: false };
}

/**
 * The update of a team call's agent, which the call joins only when one is chosen (the scheduler's claim, a redispatch):
 * the SET clauses and their values for the agent's listing keys in `mode`. The time key is already on the item.
 */
export function agentIndexSet(
  mode: CallIndexMode,
  call: { tenantId: string; callId: string; createdAt: string; crmUserId: string },
): { set: string[]; values: Record<string, string> } {
  const set = [`${CALL_INDEX_ATTR.agent} = :narrowAgentPk`];
  const values: Record<string, string> = { ':narrowAgentPk': narrowAgentPk(call.tenantId, call.crmUserId) };
  if (writesLegacyKeys(mode)) {
    set.push('gsi2pk = :agentPk', 'gsi2sk = :timeSk');
    values[':agentPk'] = callsByAgentPk(call.tenantId, call.crmUserId);
    values[':timeSk'] = callTimeSk(call.createdAt, call.callId);
  }
  return { set, values };
}
