/**
 * Key builders for the single table. Every item of a tenant lives under keys that begin with
 * the tenant's id, so no query can reach another tenant's items.
 */

export const tenantPk = (tenantId: string) => `TENANT#${tenantId}`;
export const tenantSk = () => 'TENANT';

export const apiKeyPk = (keyHash: string) => `APIKEY#${keyHash}`;
export const apiKeySk = () => 'APIKEY';
export const apiKeysByTenantPk = (tenantId: string) => `TENANT#${tenantId}#APIKEYS`;
export const apiKeysByTenantSk = (keyId: string) => `APIKEY#${keyId}`;

export const agentSk = (crmUserId: string) => `AGENT#${crmUserId}`;
export const agentByEmailPk = (tenantId: string, email: string) => `TENANT#${tenantId}#AGENTEMAIL#${email.toLowerCase()}`;
export const agentByExtensionPk = (tenantId: string, extension: string) => `TENANT#${tenantId}#AGENTEXT#${extension}`;
/** The agent's presence: the lock of a call being placed, the call it is on, the away toggle (lib/store/agent-presence.ts). */
export const agentLockSk = (crmUserId: string) => `AGENTLOCK#${crmUserId}`;
/** A team's member, under the tenant: one query lists a team. */
export const teamMemberSk = (team: string, crmUserId: string) => `TEAM#${team}#AGENT#${crmUserId}`;
export const teamMembersPrefix = (team?: string) => (team === undefined ? 'TEAM#' : `TEAM#${team}#AGENT#`);

export const callSk = (callId: string) => `CALL#${callId}`;
/** Time-ordered sort key for the call indexes: ISO timestamps sort as strings. */
export const callTimeSk = (createdAt: string, callId: string) => `${createdAt}#${callId}`;
export const callsByTenantPk = (tenantId: string) => `TENANT#${tenantId}#CALLS`;
export const callsByLeadPk = (tenantId: string, leadId: string) => `TENANT#${tenantId}#LEAD#${leadId}`;
export const callsByAgentPk = (tenantId: string, crmUserId: string) => `TENANT#${tenantId}#AGENTCALLS#${crmUserId}`;
/** The reconciler's sparse index holds only calls whose outcome is not known yet. */
export const pendingCallsPk = () => 'PENDING_CALLS';
/** The scheduler's sparse index (gsi4, beside the pending calls): `scheduled` and `queued` calls by due time. */
export const dueCallsPk = () => 'DUE_CALLS';
export const dueCallSk = (dueAt: string, tenantId: string, callId: string) => `${dueAt}#${tenantId}#${callId}`;
/** Calls the reconciler could not settle: for a human to look at. */
export const flaggedCallsPk = () => 'FLAGGED_CALLS';
export const pbxUniqueIdSk = (uniqueId: string) => `PBXUID#${uniqueId}`;
/**
 * The PBX unique_id index (gsi6, keys only) of a call item: set in the same write that records the PBX's answer, so
 * the link costs no request of its own. Link items (`PBXUID#`) remain for ids learnt later (events, CDRs).
 */
export const callsByPbxUniqueIdPk = (tenantId: string, uniqueId: string) => `TENANT#${tenantId}#PBXUID#${uniqueId}`;
/** The keyless dedupe window of one subject (agent, number, lead): which idempotency key is in force. */
export const dedupeWindowSk = (subject: string) => `DEDUPE#${subject}`;

/** A tenant's settings for one inbound webhook source (secrets and field mapping). */
export const hookSourceSk = (source: string) => `HOOKSOURCE#${source}`;

export const rateCounterPk = (tenantId: string) => `TENANT#${tenantId}#RATE`;
export const rateCounterSk = (scope: string, windowStart: number) => `${scope}#${windowStart}`;

/** A raw PBX Stats event, kept under its call (one item each; `n` tells apart events of the same millisecond). */
export const pbxEventSk = (callId: string, receivedAt: string, n: string) => `CALL#${callId}#PBXEVENT#${receivedAt}#${n}`;
/** A PBX Stats event that matched no call: kept under the tenant for an operator to see. */
export const pbxOrphanSk = (receivedAt: string, n: string) => `PBXORPHAN#${receivedAt}#${n}`;
/** The outbox index (gsi5): calls with state changes not yet delivered to the tenant's callback URL. */
export const notifyPendingPk = () => 'NOTIFY_PENDING';
/** Calls whose notifications were dead-lettered: they wait for a redrive. */
export const notifyDeadPk = () => 'NOTIFY_DEAD';
/** gsi5 sort key: when the call is due, then who it is (so it sorts by due time across tenants). */
export const notifySk = (dueAt: string, tenantId: string, callId: string) => `${dueAt}#${tenantId}#${callId}`;
/** The dead-letter log of undeliverable notifications (the local and in-table dead-letter sink). */
export const deadLetterPk = () => 'DLQ';
export const deadLetterSk = (at: string, tenantId: string, callId: string) => `${at}#${tenantId}#${callId}`;

/** An audit record of an operator's action on a tenant (an erasure): `at` first, so they sort by time. */
export const auditSk = (at: string, id: string) => `AUDIT#${at}#${id}`;

export const INDEX = { gsi1: 'gsi1', gsi2: 'gsi2', gsi3: 'gsi3', gsi4: 'gsi4', gsi5: 'gsi5', gsi6: 'gsi6' } as const;
