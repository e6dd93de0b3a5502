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
export const agentLockSk = (crmUserId: string) => `AGENTLOCK#${crmUserId}`;

export const callSk = (callId: string) => `CALL#${callId}`;
/** Time-ordered sort key for the call indexes: ISO timestamps sort as strings. */
export const callTimeSk = (createdAt: string, callId: string) => `${createdAt}#${callId}`;
export const callsByTenantPk = (tenantId: string) => `TENANT#${tenantId}#CALLS`;
export const callsByLeadPk = (tenantId: string, leadId: string) => `TENANT#${tenantId}#LEAD#${leadId}`;
export const callsByAgentPk = (tenantId: string, crmUserId: string) => `TENANT#${tenantId}#AGENTCALLS#${crmUserId}`;
/** The reconciler's sparse index holds only calls whose outcome is not known yet. */
export const pendingCallsPk = () => 'PENDING_CALLS';
/** Calls the reconciler could not settle: for a human to look at. */
export const flaggedCallsPk = () => 'FLAGGED_CALLS';
export const pbxUniqueIdSk = (uniqueId: string) => `PBXUID#${uniqueId}`;

export const rateCounterPk = (tenantId: string) => `TENANT#${tenantId}#RATE`;
export const rateCounterSk = (scope: string, windowStart: number) => `${scope}#${windowStart}`;

export const INDEX = { gsi1: 'gsi1', gsi2: 'gsi2', gsi3: 'gsi3', gsi4: 'gsi4' } as const;
