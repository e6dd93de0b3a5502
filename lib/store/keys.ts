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
/** An extension's uniqueness item, under the tenant: which agent holds it (lib/store/agent-extensions.ts). */
export const agentExtensionSk = (extension: string) => `AGENTEXT#${extension}`;
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
/**
 * A small, stable number of a string (FNV-1a, 32 bits): the same on every container and every run, so a call's
 * work items always land in the same shard, and a tenant's directory marker in the same bucket.
 */
export function stableHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/**
 * The work lists (the scheduler's due calls, the reconciler's pending calls, the notification outbox) are partitioned
 * by tenant and by a shard of the call id: no partition key is written by every tenant, and one tenant's burst spreads
 * over several partitions (DynamoDB serves about 1,000 writes a second per partition key, an index's throttling
 * throttles the table's writes), so its own lists throttle at that many times the rate of one key; other tenants' never do.
 *
 * Readers always read {@link WORK_SHARD_SLOTS} shards of a tenant; writers place a call on one of the stage's
 * `WORK_SHARDS` (lib/config.ts: 4 or 8, at most the slots), so a stage moving from 4 to 8 writers has readers that
 * already read every shard a writer may use (docs/operations.md, "Work shards: from 4 to 8").
 */
export const WORK_SHARD_SLOTS = 8;
/** The shard counts a stage's writers may use: 4 (stages deployed before 8, during their upgrade) or 8. */
export const WORK_SHARD_COUNTS = [4, 8] as const;
export type WorkShards = (typeof WORK_SHARD_COUNTS)[number];
/** A new stage's writers' count, and every store's when not told otherwise. */
export const DEFAULT_WORK_SHARDS: WorkShards = 8;
/** The shard a writer with `shards` shards puts a call on: from the call id alone, so the same on every write. */
export const workShardOf = (callId: string, shards: WorkShards) => stableHash(callId) % shards;
/** Every shard a reader reads: all the slots, whatever count the writers use. */
export const shardNumbers = () => Array.from({ length: WORK_SHARD_SLOTS }, (_, n) => n);

/** The reconciler's sparse index (gsi4) holds only calls whose outcome is not known yet, per tenant and shard. */
export const pendingShardPk = (tenantId: string, shard: number) => `PENDING#${tenantId}#${shard}`;
export const pendingCallsPk = (tenantId: string, callId: string, shards: WorkShards) =>
  pendingShardPk(tenantId, workShardOf(callId, shards));
/** Oldest change first: ISO timestamps sort as strings. */
export const pendingCallSk = (changedAt: string, callId: string) => `${changedAt}#${callId}`;
/** The scheduler's sparse index (gsi4, beside the pending calls): `scheduled` and `queued` calls by due time. */
export const dueShardPk = (tenantId: string, shard: number) => `DUE#${tenantId}#${shard}`;
export const dueCallsPk = (tenantId: string, callId: string, shards: WorkShards) => dueShardPk(tenantId, workShardOf(callId, shards));
export const dueCallSk = (dueAt: string, callId: string) => `${dueAt}#${callId}`;
/** Calls the reconciler could not settle: for a human to look at. Rarely written: one partition per tenant. */
export const flaggedCallsPk = (tenantId: string) => `FLAGGED#${tenantId}`;
export const flaggedCallSk = (at: string, callId: string) => `${at}#${callId}`;
export const pbxUniqueIdSk = (uniqueId: string) => `PBXUID#${uniqueId}`;
/**
 * The PBX unique_id index (gsi6, keys only) of a call item: set in the same write that records the PBX's answer, so
 * the link costs no request of its own. Link items (`PBXUID#`) remain for ids learnt later (events, CDRs).
 */
export const callsByPbxUniqueIdPk = (tenantId: string, uniqueId: string) => `TENANT#${tenantId}#PBXUID#${uniqueId}`;
/** The keyless dedupe window of one subject (agent, number, lead): which idempotency key is in force. */
export const dedupeWindowSk = (subject: string) => `DEDUPE#${subject}`;

/** An entry of the tenant's do-not-call list: the number's keyed hash, never the number (lib/store/do-not-call.ts). */
export const dncSk = (hash: string) => `DNC#${hash}`;
export const dncPrefix = () => 'DNC#';

/** A tenant's settings for one inbound webhook source (secrets and field mapping). */
export const hookSourceSk = (source: string) => `HOOKSOURCE#${source}`;
/** One delivery of a webhook source and its verdict (the delivery log, kept 7 days): newest last within the source. */
export const hookDeliverySk = (source: string, at: string, n: string) => `HOOKLOG#${source}#${at}#${n}`;
export const hookDeliveriesPrefix = (source: string) => `HOOKLOG#${source}#`;

/** A webhook subscription of the tenant (lib/store/subscriptions.ts): one item each, under the tenant. */
export const subscriptionSk = (id: string) => `SUB#${id}`;
export const subscriptionsPrefix = () => 'SUB#';
/** The tenant's subscription slots: which ids hold one of its MAX_SUBSCRIPTIONS, kept by conditional writes. */
export const subscriptionSlotsSk = () => 'SUBSLOTS';
/** One attempt of a subscription's delivery log (kept 7 days): newest last within the subscription. */
export const subscriptionDeliverySk = (id: string, at: string, n: string) => `SUBLOG#${id}#${at}#${n}`;
export const subscriptionDeliveriesPrefix = (id: string) => `SUBLOG#${id}#`;

export const rateCounterPk = (tenantId: string) => `TENANT#${tenantId}#RATE`;
export const rateCounterSk = (scope: string, windowStart: number) => `${scope}#${windowStart}`;
/** A delivery pace's counter (lib/store/pace-counters.ts): per pace key (a transport and a tenant's connection) and window. */
export const pacePk = (key: string) => `PACE#${key}`;
export const paceSk = (windowStart: number) => `WINDOW#${windowStart}`;

/** A raw PBX Stats event, kept under its call (one item each; `n` tells apart events of the same millisecond). */
export const pbxEventSk = (callId: string, receivedAt: string, n: string) => `CALL#${callId}#PBXEVENT#${receivedAt}#${n}`;
/** A PBX Stats event that matched no call: kept under the tenant for an operator to see. */
export const pbxOrphanSk = (receivedAt: string, n: string) => `PBXORPHAN#${receivedAt}#${n}`;
/** The outbox index (gsi5): calls with state changes not yet delivered to the tenant's callback URL, per tenant and shard. */
export const notifyShardPk = (tenantId: string, shard: number) => `NOTIFY#${tenantId}#${shard}`;
export const notifyPendingPk = (tenantId: string, callId: string, shards: WorkShards) =>
  notifyShardPk(tenantId, workShardOf(callId, shards));
/** The beginning every outbox shard key of the tenant shares (and its dead key, `NOTIFYDEAD#`, does not). */
export const notifyShardsPrefix = (tenantId: string) => `NOTIFY#${tenantId}#`;
/** Calls whose notifications were dead-lettered: they wait for a redrive. Rarely written: one partition per tenant. */
export const notifyDeadPk = (tenantId: string) => `NOTIFYDEAD#${tenantId}`;
/** gsi5 sort key: when the call is due (or was given up on), then which call. */
export const notifySk = (dueAt: string, callId: string) => `${dueAt}#${callId}`;
/** The dead-letter log of undeliverable notifications (the local and in-table dead-letter sink), per tenant. */
export const deadLetterPk = (tenantId: string) => `DLQ#${tenantId}`;
/** `transport`: two transports giving up on one call at the same instant keep a letter each (the webhook's keeps the old key). */
export const deadLetterSk = (at: string, callId: string, transport?: string) =>
  transport === undefined || transport === 'webhook' ? `${at}#${callId}` : `${at}#${callId}#${transport}`;

/**
 * The work directory (lib/store/work-directory.ts): which tenants have work of a kind, so that readers query only
 * their shards. One marker item per tenant and kind, under the tenant, indexed (gsi4) in one of WORK_BUCKETS
 * partitions by a hash of the tenant id: 16, so no bucket is written by every tenant, and a reader lists a kind in
 * 16 small queries. A writer refreshes a marker at most once per 30 s per container (docs/design.md, "Work lists").
 */
export const WORK_KINDS = ['due', 'pending', 'notify', 'flagged', 'dead', 'dlq'] as const;
export type WorkKind = (typeof WORK_KINDS)[number];
export const WORK_BUCKETS = 16;
export const workMarkerSk = (kind: WorkKind) => `WORK#${kind}`;
/**
 * The slots given back to a tenant's waiting counter since they were last applied to its due marker
 * (lib/store/work-directory.ts): an item of its own, with no index keys, so a give-back writes one item and no copy.
 */
export const waitingReturnedSk = () => `${workMarkerSk('due')}#returned`;
export const workBucketOf = (tenantId: string) => stableHash(tenantId) % WORK_BUCKETS;
export const workBucketPk = (kind: WorkKind, bucket: number) => `WORK#${kind}#${bucket}`;

/** An audit record of an operator's action on a tenant (an erasure): `at` first, so they sort by time. */
export const auditSk = (at: string, id: string) => `AUDIT#${at}#${id}`;

export const INDEX = { gsi1: 'gsi1', gsi2: 'gsi2', gsi3: 'gsi3', gsi4: 'gsi4', gsi5: 'gsi5', gsi6: 'gsi6' } as const;
