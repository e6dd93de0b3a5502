import * as z from 'zod';
import { callSchema, emptyOutcome, isWaiting, PENDING_STATES, REFUSED_STATES, type CallEvent, type CallState } from '../../model/call';
import { CorruptItemError } from '../errors';
import { CALL_INDEX_ATTR, callIndexKeys, LEGACY_CALL_INDEX_ATTRS, type CallIndexMode } from '../call-index-keys';
import {
  callSk,
  DEFAULT_WORK_SHARDS,
  dueCallSk,
  dueCallsPk,
  notifyPendingPk,
  notifySk,
  pendingCallSk,
  pendingCallsPk,
  tenantPk,
  type WorkShards,
} from '../keys';

/** The retry state of one transport's delivery of a call's next event; absent while nothing fails. */
const retryStateSchema = z.object({
  attempts: z.number().int().min(0),
  /** First failure of the current run of failures: the max age counts from here. */
  since: z.string(),
  lastAttemptAt: z.string(),
  nextAttemptAt: z.string(),
  lastError: z.string(),
  deadLetteredAt: z.string().optional(),
});

/**
 * One transport's progress marker on a call (`deliveries.<name>`): `events[0..next)` are delivered or passed over,
 * the retry state of `events[next]`, the receiver's id of what it created (a CRM's activity), and the start of an
 * attempt whose outcome is not yet written (an attempt found started and never settled may have acted).
 */
export const deliverySlotSchema = z.object({
  next: z.number().int().min(0),
  retry: retryStateSchema.optional(),
  remoteId: z.string().optional(),
  startedAt: z.string().optional(),
});
export type DeliverySlotState = z.infer<typeof deliverySlotSchema>;

/** A call as the ledger keeps it: the call, and what only the ledger needs to guard and settle it. */
export const storedCallSchema = callSchema.extend({
  /** Hash of the normalized request: tells a replay (same hash) from a reused key (other hash). */
  requestHash: z.string(),
  /** How many times this call was dispatched: more than 1 only after `not_sent`. */
  attempt: z.number().int(),
  /**
   * A token of the invocation that wrote the reservation: lets it recognise its own put when the
   * SDK's retry of a put that landed is refused, and lets it give back only its own reservation.
   */
  reservedBy: z.string().optional(),
  crmUserId: z.string().optional(),
  reconcile: z.object({ tries: z.number().int(), lastTriedAt: z.string().optional(), flagged: z.boolean() }).optional(),
  /**
   * The outbox: `events[0..notified)` were delivered to the tenant's callback URL. Absent on calls
   * written before notifications existed, which counts as 0.
   */
  notified: z.number().int().min(0).optional(),
  /**
   * When the call expires, for either fate (lib/policy/retention.ts): the item's TTL attribute `expiresAt` is set
   * from it on every write of the state. Absent on calls written before retention existed: they never expire.
   */
  expiry: z.object({ full: z.number().int(), refused: z.number().int() }).optional(),
  /** Retry state of the delivery of `events[notified]`; absent while nothing fails. */
  notify: retryStateSchema.optional(),
  /**
   * The progress markers of the transports other than the webhook (a CRM's call logging), one per transport name
   * (lib/store/calls/deliveries.ts). Absent until one of them first writes.
   */
  deliveries: z.record(z.string(), deliverySlotSchema).optional(),
});
export type NotifyState = NonNullable<StoredCall['notify']>;
export type StoredCall = z.infer<typeof storedCallSchema>;

export type CallChanges = Partial<Pick<StoredCall, 'reason' | 'pbx' | 'outcome' | 'legB' | 'reconcile' | 'routing' | 'queue' | 'schedule'>>;

/** A call's keys, as the work lists' keys-only indexes give them back. */
export interface CallKeys {
  tenantId: string;
  callId: string;
}

/** When the scheduler should look at a waiting call: a scheduled call at its time, a queued call at once (every run). */
export function dueAtOf(call: Pick<StoredCall, 'state' | 'schedule' | 'updatedAt'>): string {
  return call.state === 'scheduled' && call.schedule ? call.schedule.notBefore : call.updatedAt;
}

export function eventOf(state: CallState, at: string, detail?: string): CallEvent {
  return detail ? { at, state, detail: clip(detail, MAX_STORED_TEXT) } : { at, state };
}

/**
 * The most characters of the PBX's free text (its answer's `message`, a refusal's event detail) a call keeps, and of
 * the host it names (a DNS name's limit). The call item is rewritten by every update and billed per KB started: with
 * the PBX's answer so bounded, the item after the dial answer stays under 1 KB for the answers CommPeak sends.
 */
export const MAX_STORED_TEXT = 160;
export const MAX_STORED_HOST = 253;

/** The first `max` characters (code points, never half a pair), the last one an ellipsis when cut. */
function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** The PBX's answer as a call keeps it: its id whole (events find the call by it), its text and host bounded. */
export function storedPbxAnswer(pbx: StoredCall['pbx']): StoredCall['pbx'] {
  if (!pbx) return pbx;
  return {
    uniqueId: pbx.uniqueId,
    message: pbx.message === null ? null : clip(pbx.message, MAX_STORED_TEXT),
    host: pbx.host === null ? null : clip(pbx.host, MAX_STORED_HOST),
  };
}

/** A change of a call as written: the PBX's answer bounded (`storedPbxAnswer`). */
export function storedChanges(changes: CallChanges): CallChanges {
  return changes.pbx === undefined ? changes : { ...changes, pbx: storedPbxAnswer(changes.pbx) };
}

/** Attributes of a call item that are its keys and index keys, not fields of the call. */
const STRIP = new Set<string>([
  'gsi6pk',
  'pk',
  'sk',
  'type',
  ...LEGACY_CALL_INDEX_ATTRS,
  ...Object.values(CALL_INDEX_ATTR),
  'gsi4pk',
  'gsi4sk',
  'gsi5pk',
  'gsi5sk',
]);

/**
 * The call item of a new call: the call, its index keys (the listings' by tenant, agent and lead, in `mode`: see
 * lib/store/call-index-keys.ts; the work lists and the outbox, on one of `shards` shards) and its TTL.
 */
export function toCallItem(
  call: StoredCall,
  mode: CallIndexMode = 'narrow',
  shards: WorkShards = DEFAULT_WORK_SHARDS,
): Record<string, unknown> {
  return {
    pk: tenantPk(call.tenantId),
    sk: callSk(call.callId),
    type: 'call',
    ...callIndexKeys(
      { tenantId: call.tenantId, callId: call.callId, createdAt: call.createdAt, crmUserId: call.crmUserId, leadId: call.lead?.id },
      mode,
    ),
    ...(PENDING_STATES.includes(call.state)
      ? { gsi4pk: pendingCallsPk(call.tenantId, call.callId, shards), gsi4sk: pendingCallSk(call.updatedAt, call.callId) }
      : {}),
    ...(isWaiting(call.state)
      ? { gsi4pk: dueCallsPk(call.tenantId, call.callId, shards), gsi4sk: dueCallSk(dueAtOf(call), call.callId) }
      : {}),
    gsi5pk: notifyPendingPk(call.tenantId, call.callId, shards),
    gsi5sk: notifySk(call.updatedAt, call.callId),
    ...(call.expiry
      ? { expiresAt: (REFUSED_STATES as readonly CallState[]).includes(call.state) ? call.expiry.refused : call.expiry.full }
      : {}),
    ...slim(call),
  };
}

/**
 * Fields the call item leaves out while they hold their default, and the reader puts back (parseCallItem): every
 * byte of the item is written twice per call (the reservation and the PBX's answer), and indexed up to five times.
 */
const DEFAULTS: Partial<StoredCall> = {
  reason: null,
  prefix: null,
  lead: null,
  pbx: null,
  customData: {},
  duplicate: false,
  notified: 0,
  team: null,
  routing: null,
  schedule: null,
  queue: null,
};

function slim(call: StoredCall): Record<string, unknown> {
  const item: Record<string, unknown> = {};
  for (const [name, value] of Object.entries({ ...call, pbx: storedPbxAnswer(call.pbx) })) {
    if (value === undefined) continue;
    if (name in DEFAULTS && JSON.stringify(value) === JSON.stringify(DEFAULTS[name as keyof StoredCall])) continue;
    item[name] = value;
  }
  // The outcome map stays (the PBX's events set its fields one by one), holding only what is known.
  item.outcome = Object.fromEntries(Object.entries(call.outcome).filter(([, v]) => v !== null && v !== undefined));
  // duplicate is an answer's property, never the ledger's: a stored call is the original. The call and tenant
  // ids are in the keys already (the reader takes them from there).
  delete item.duplicate;
  delete item.callId;
  delete item.tenantId;
  return item;
}

/** A call item's id: from its sort key (`CALL#<id>`), or the attribute items written before the keys carried it alone. */
export function callIdOfItem(item: Record<string, unknown>): string | undefined {
  if (typeof item.sk === 'string' && item.sk.startsWith(callSk(''))) return item.sk.slice(callSk('').length);
  return typeof item.callId === 'string' ? item.callId : undefined;
}

/** The tenant and call of an index entry, from the call item's own keys (the outbox index holds keys only). */
export function callKeysOf(item: Record<string, unknown>): CallKeys[] {
  const tenantId = typeof item.pk === 'string' && item.pk.startsWith(tenantPk('')) ? item.pk.slice(tenantPk('').length) : undefined;
  const callId = callIdOfItem(item);
  return tenantId && callId ? [{ tenantId, callId }] : [];
}

export function parseCallItem(item: Record<string, unknown>): StoredCall {
  const fields: Record<string, unknown> = Object.fromEntries(Object.entries(item).filter(([k]) => !STRIP.has(k)));
  for (const [name, value] of Object.entries(DEFAULTS)) if (!(name in fields)) fields[name] = value;
  fields.callId ??= callIdOfItem(item);
  if (fields.tenantId === undefined && typeof item.pk === 'string' && item.pk.startsWith(tenantPk('')))
    fields.tenantId = item.pk.slice(tenantPk('').length);
  fields.outcome = { ...emptyOutcome(), ...(fields.outcome as Record<string, unknown> | undefined) };
  const parsed = storedCallSchema.safeParse(fields);
  if (!parsed.success) throw new CorruptItemError('call', { cause: parsed.error });
  return parsed.data;
}
