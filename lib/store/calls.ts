import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import {
  callSchema,
  emptyOutcome,
  isWaiting,
  PENDING_STATES,
  REFUSED_STATES,
  WAITING_STATES,
  type CallEvent,
  type CallOutcome,
  type CallState,
  type Routing,
  type Schedule,
  type WaitingState,
} from '../model/call';
import { systemClock, type Clock } from '../time/clock';
import type { Table } from './client';
import { conditionFailureItem, CorruptItemError, isConditionalCheckFailed } from './errors';
import {
  callsByAgentPk,
  callsByLeadPk,
  callsByTenantPk,
  callSk,
  callTimeSk,
  callsByPbxUniqueIdPk,
  dueCallSk,
  dueCallsPk,
  flaggedCallSk,
  flaggedCallsPk,
  INDEX,
  notifyDeadPk,
  notifyPendingPk,
  notifySk,
  pbxUniqueIdSk,
  pendingCallSk,
  pendingCallsPk,
  tenantPk,
  type WorkKind,
} from './keys';
import { callsListing } from './listings';
import { processCursorCodec, type CursorCodec, type Page } from './pagination';
import { WorkDirectory } from './work-directory';
import { WorkQueues, type FairBounds } from './work-queues';

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
  notify: z
    .object({
      attempts: z.number().int().min(0),
      /** First failure of the current run of failures: the max age counts from here. */
      since: z.string(),
      lastAttemptAt: z.string(),
      nextAttemptAt: z.string(),
      lastError: z.string(),
      deadLetteredAt: z.string().optional(),
    })
    .optional(),
});
export type NotifyState = NonNullable<StoredCall['notify']>;
export type StoredCall = z.infer<typeof storedCallSchema>;

export type CallChanges = Partial<Pick<StoredCall, 'reason' | 'pbx' | 'outcome' | 'legB' | 'reconcile' | 'routing' | 'queue' | 'schedule'>>;

/** When the scheduler should look at a waiting call: a scheduled call at its time, a queued call at once (every run). */
export function dueAtOf(call: Pick<StoredCall, 'state' | 'schedule' | 'updatedAt'>): string {
  return call.state === 'scheduled' && call.schedule ? call.schedule.notBefore : call.updatedAt;
}

export interface ListCallsFilter {
  leadId?: string;
  crmUserId?: string;
  state?: CallState;
  /** ISO timestamps, inclusive. */
  from?: string;
  to?: string;
}

const STRIP = new Set([
  'gsi6pk',
  'pk',
  'sk',
  'type',
  'gsi1pk',
  'gsi1sk',
  'gsi2pk',
  'gsi2sk',
  'gsi3pk',
  'gsi3sk',
  'gsi4pk',
  'gsi4sk',
  'gsi5pk',
  'gsi5sk',
]);

/**
 * Every write that appends an event also puts the call in the outbox index (gsi5), unless it is
 * there already: a call in backoff keeps its due time, a dead-lettered call stays dead until redriven.
 */
const OUTBOX_SET = 'gsi5pk = if_not_exists(gsi5pk, :outboxPk), gsi5sk = if_not_exists(gsi5sk, :outboxSk)';
const outboxValues = (now: string, tenantId: string, callId: string) => ({
  ':outboxPk': notifyPendingPk(tenantId, callId),
  ':outboxSk': notifySk(now, callId),
});

/**
 * The bounds of a fair read of `limit` items in all (the reconciler's and the deliverer's runs): each tenant's share of
 * `limit`, and no more tenants than items (the next run starts with the tenants this one left).
 */
const fairShare = (limit: number): FairBounds => ({ total: limit, perTenant: { min: 1, max: limit }, maxTenants: limit });

/** The work lists a call item in `state` is on, besides the outbox (which every write of an event may put it on). */
const workOf = (state: CallState): WorkKind[] => (PENDING_STATES.includes(state) ? ['pending'] : isWaiting(state) ? ['due'] : []);

/**
 * The TTL of the state being written, taken from the call's own `expiry` in the same write: the refused retention
 * for `rejected`/`not_sent`, the full one for any other state (so leaving `not_sent` restores it). A call without
 * `expiry` gets NULL, which DynamoDB's TTL ignores: it is kept, as before.
 */
function expirySet(to: CallState): { set: string; names: Record<string, string>; values: Record<string, unknown> } {
  const fate = (REFUSED_STATES as readonly CallState[]).includes(to) ? 'refused' : 'full';
  return {
    set: `expiresAt = if_not_exists(#expiry.#fate, :noExpiry)`,
    names: { '#expiry': 'expiry', '#fate': fate },
    values: { ':noExpiry': null },
  };
}

/** The condition that `notified` is still `n` (absent counts as 0, for calls older than the outbox). */
function notifiedIs(n: number): string {
  return n === 0 ? '(attribute_not_exists(notified) OR notified = :notified)' : 'notified = :notified';
}

/** Queries one filtered page of GET /v1/calls may take at most (the read budget charges for them: lib/compose/read-budget.ts). */
export const MAX_LIST_READS = 10;

/**
 * The call ledger's storage: one item per call, keyed by a call id derived from the idempotency
 * key, so the conditional put that creates it is also the reservation of that key.
 */
export class CallRepository {
  /**
   * Which tenants have work of each kind (lib/store/work-directory.ts). Every write below that puts a call on a work
   * list makes sure first that its tenant's marker is there: cached per container, so a warm container sends nothing.
   */
  readonly work: WorkDirectory;
  private readonly queues: WorkQueues;

  constructor(
    private readonly table: Table,
    private readonly clock: Clock = systemClock,
    /** Signs and checks the cursors of `list`: a stage's own (lib/compose/shared.ts); this process's by default. */
    private readonly cursors: CursorCodec = processCursorCodec(),
  ) {
    this.work = new WorkDirectory(table, clock);
    this.queues = new WorkQueues(table, this.work, clock);
  }

  /** Conditional put: `reserved` is true for exactly one of any number of concurrent callers. */
  async reserve(call: StoredCall): Promise<{ reserved: true } | { reserved: false; existing: StoredCall }> {
    await this.work.touch(call.tenantId, ['notify', ...workOf(call.state)]);
    try {
      await this.table.doc.send(
        new PutCommand({
          TableName: this.table.name,
          Item: toItem(call),
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { reserved: true };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      // DynamoDB returns the winner's item with the refusal; servers that do not get one more read.
      const returned = conditionFailureItem(error);
      const existing = returned ? parseCallItem(returned) : await this.get(call.tenantId, call.callId);
      if (!existing) throw new Error('Reservation refused but no call item found', { cause: error });
      // Our own put landed, its answer was lost, and the SDK's retry was refused: still ours.
      if (call.reservedBy !== undefined && existing.reservedBy === call.reservedBy) return { reserved: true };
      return { reserved: false, existing };
    }
  }

  async get(tenantId: string, callId: string): Promise<StoredCall | undefined> {
    const out = await this.table.doc.send(
      new GetCommand({
        TableName: this.table.name,
        Key: { pk: tenantPk(tenantId), sk: callSk(callId) },
        ConsistentRead: true,
      }),
    );
    return out.Item ? parseCallItem(out.Item) : undefined;
  }

  /**
   * Moves a call to `to` if, and only if, it is in one of `from` (and at `attempt`, when given).
   * Returns the updated call, or undefined when the condition did not hold: someone else moved it.
   */
  async transition(
    tenantId: string,
    callId: string,
    transition: {
      from: readonly CallState[];
      to: CallState;
      attempt?: number;
      /** Only the reservation written by this token (see `reservedBy`). */
      reservedBy?: string;
      changes?: CallChanges;
      /** Fields of `outcome` to set one by one, leaving the others as they are (e.g. an answer time set earlier). */
      outcome?: Partial<CallOutcome>;
      detail?: string;
      at?: string;
    },
  ): Promise<StoredCall | undefined> {
    const now = transition.at ?? this.clock().toISOString();
    const expiry = expirySet(transition.to);
    const names: Record<string, string> = { '#state': 'state', ...expiry.names };
    const values: Record<string, unknown> = {
      ':to': transition.to,
      ':now': now,
      ':event': [eventOf(transition.to, now, transition.detail)],
      ...outboxValues(now, tenantId, callId),
      ...expiry.values,
    };
    const sets = ['#state = :to', 'updatedAt = :now', 'events = list_append(events, :event)', OUTBOX_SET, expiry.set];
    const removes: string[] = [];
    for (const [field, value] of Object.entries(transition.changes ?? {})) {
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      sets.push(`#${field} = :${field}`);
    }
    const uniqueId = transition.changes?.pbx?.uniqueId;
    if (uniqueId) {
      // The PBX's unique_id, indexed on the call item itself (gsi6): its events find the call without a link item.
      sets.push('gsi6pk = :uidPk');
      values[':uidPk'] = callsByPbxUniqueIdPk(tenantId, uniqueId);
    }
    if (transition.outcome && !transition.changes?.outcome) {
      names['#outcome'] = 'outcome';
      for (const [field, value] of Object.entries(transition.outcome)) {
        if (value === undefined) continue;
        names[`#o_${field}`] = field;
        values[`:o_${field}`] = value;
        sets.push(`#outcome.#o_${field} = :o_${field}`);
      }
    }
    if (PENDING_STATES.includes(transition.to)) {
      sets.push('gsi4pk = :pending', 'gsi4sk = :pendingSk');
      values[':pending'] = pendingCallsPk(tenantId, callId);
      values[':pendingSk'] = pendingCallSk(now, callId);
    } else if (transition.to === 'queued') {
      // A queued call is due at once: every run of the scheduler looks for a free agent for it.
      sets.push('gsi4pk = :due', 'gsi4sk = :dueSk');
      values[':due'] = dueCallsPk(tenantId, callId);
      values[':dueSk'] = dueCallSk(now, callId);
    } else {
      removes.push('gsi4pk', 'gsi4sk');
    }
    const fromList = transition.from.map((state, i) => {
      values[`:from${i}`] = state;
      return `:from${i}`;
    });
    let condition = `#state IN (${fromList.join(', ')})`;
    if (transition.attempt !== undefined) {
      condition += ' AND attempt = :attempt';
      values[':attempt'] = transition.attempt;
    }
    if (transition.reservedBy !== undefined) {
      condition += ' AND reservedBy = :reservedBy';
      values[':reservedBy'] = transition.reservedBy;
    }
    await this.work.touch(tenantId, ['notify', ...workOf(transition.to)]);
    const moved = await this.updateIf(tenantId, callId, {
      expression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
      condition,
      names,
      values,
    });
    // Out of the waiting states (cancelled, ended without a GET): the tenant's waiting slot is free again.
    if (moved && transition.from.every(isWaiting) && !isWaiting(transition.to)) await this.leftWaiting(tenantId);
    return moved;
  }

  /**
   * A waiting call of the tenant left the waiting states (the scheduler's claim says so beside its GET; a transition
   * out of them says so itself). Best effort: a slot not given back is a drift the scheduler's recount corrects.
   */
  async leftWaiting(tenantId: string): Promise<void> {
    await this.work.giveWaitingSlotBack(tenantId).catch(() => undefined);
  }

  /**
   * Takes a `not_sent` call back to `dispatching` for one more attempt, only for a request with
   * the same hash. The attempt counter makes the later outcome write belong to this attempt only.
   */
  async redispatch(
    tenantId: string,
    callId: string,
    requestHash: string,
    attempt: number,
    /** A team call's agent for this attempt (the router chose it again). */
    assign?: { agent: StoredCall['agent']; crmUserId: string; routing: Routing; createdAt: string },
  ): Promise<StoredCall | undefined> {
    const now = this.clock().toISOString();
    // Out of `not_sent`: the call may reach the PBX now, so it gets its full retention back.
    const expiry = expirySet('dispatching');
    const assigned = assign
      ? {
          set: ', #agent = :agent, crmUserId = :crmUserId, #routing = :routing, gsi2pk = :agentPk, gsi2sk = :timeSk',
          values: {
            ':agent': assign.agent,
            ':crmUserId': assign.crmUserId,
            ':routing': assign.routing,
            ':agentPk': callsByAgentPk(tenantId, assign.crmUserId),
            ':timeSk': callTimeSk(assign.createdAt, callId),
          },
        }
      : { set: '', values: {} };
    await this.work.touch(tenantId, ['notify', 'pending']);
    return this.updateIf(tenantId, callId, {
      expression: `SET #state = :dispatching, attempt = :next, reason = :null, updatedAt = :now, events = list_append(events, :event), gsi4pk = :pending, gsi4sk = :pendingSk, ${OUTBOX_SET}, ${expiry.set}${assigned.set}`,
      condition: '#state = :notSent AND requestHash = :hash AND attempt = :attempt',
      names: { '#state': 'state', ...expiry.names, ...(assign ? { '#agent': 'agent', '#routing': 'routing' } : {}) },
      values: {
        ...expiry.values,
        ':dispatching': 'dispatching',
        ':notSent': 'not_sent',
        ':hash': requestHash,
        ':attempt': attempt,
        ':next': attempt + 1,
        ':null': null,
        ':now': now,
        ':event': [eventOf('dispatching', now, `attempt ${attempt + 1}`)],
        ':pending': pendingCallsPk(tenantId, callId),
        ':pendingSk': pendingCallSk(now, callId),
        ...outboxValues(now, tenantId, callId),
        ...assigned.values,
      },
    });
  }

  /** Sets fields of a call without touching its state (e.g. the PBX's unique_id after a webhook already moved it on). */
  async patch(tenantId: string, callId: string, changes: CallChanges): Promise<void> {
    const entries = Object.entries(changes);
    if (entries.length === 0) return;
    const uniqueId = changes.pbx?.uniqueId;
    await this.table.doc.send(
      new UpdateCommand({
        TableName: this.table.name,
        Key: { pk: tenantPk(tenantId), sk: callSk(callId) },
        UpdateExpression: `SET ${entries.map(([k]) => `#${k} = :${k}`).join(', ')}, updatedAt = :now${uniqueId ? ', gsi6pk = :uidPk' : ''}`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: Object.fromEntries(entries.map(([k]) => [`#${k}`, k])),
        ExpressionAttributeValues: {
          ...Object.fromEntries(entries.map(([k, v]) => [`:${k}`, v])),
          ':now': this.clock().toISOString(),
          ...(uniqueId ? { ':uidPk': callsByPbxUniqueIdPk(tenantId, uniqueId) } : {}),
        },
      }),
    );
  }

  /**
   * Records the PBX's unique_id on a call that has none yet (its Click2Call answer was lost), without
   * touching a `pbx` block that the dial wrote meanwhile.
   */
  async setPbxUniqueIdIfMissing(tenantId: string, callId: string, uniqueId: string): Promise<boolean> {
    return this.conditionalUpdate(tenantId, callId, {
      UpdateExpression: 'SET pbx = :pbx',
      ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(pbx) OR pbx = :null)',
      ExpressionAttributeValues: { ':pbx': { uniqueId, message: null, host: null }, ':null': null },
    });
  }

  /**
   * Remembers which call a PBX unique_id belongs to, for the PBX's outcome webhooks. `expiresAt` (epoch seconds):
   * the call's own full expiry (`call.expiry?.full`), so the link goes with the call.
   */
  async linkPbxUniqueId(tenantId: string, uniqueId: string, callId: string, expiresAt?: number): Promise<void> {
    await this.table.doc.send(
      new PutCommand({
        TableName: this.table.name,
        Item: { pk: tenantPk(tenantId), sk: pbxUniqueIdSk(uniqueId), type: 'pbxUniqueId', callId, ...(expiresAt ? { expiresAt } : {}) },
      }),
    );
  }

  /** Deletes the unique_id link, if it still points at this call (a unique_id is never reused, but be sure). */
  async unlinkPbxUniqueId(tenantId: string, uniqueId: string, callId: string): Promise<boolean> {
    try {
      await this.table.doc.send(
        new DeleteCommand({
          TableName: this.table.name,
          Key: { pk: tenantPk(tenantId), sk: pbxUniqueIdSk(uniqueId) },
          ConditionExpression: 'callId = :callId',
          ExpressionAttributeValues: { ':callId': callId },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /**
   * Every call of the tenant to one number (its E.164 `to`, or its leg B digits), for an erasure request.
   * There is no index by number: this reads the tenant's whole time index with a filter, so it costs one read
   * of every call the tenant keeps (about 0.5 RCU per 4 KB; a tenant with 400 days of 1,000 calls a day reads
   * some 800 MB in a minute or two). Rare and run by an operator, that is cheaper than a sixth index that
   * every call write would pay for.
   */
  async findCallsTo(tenantId: string, number: { e164: string; digits: string }): Promise<Array<Pick<StoredCall, 'callId' | 'pbx'>>> {
    const found: Array<Pick<StoredCall, 'callId' | 'pbx'>> = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.table.doc.send(
        new QueryCommand({
          TableName: this.table.name,
          IndexName: INDEX.gsi3,
          KeyConditionExpression: 'gsi3pk = :pk',
          FilterExpression: '#to = :e164 OR legB = :digits',
          ProjectionExpression: 'sk, callId, pbx',
          ExpressionAttributeNames: { '#to': 'to' },
          ExpressionAttributeValues: { ':pk': callsByTenantPk(tenantId), ':e164': number.e164, ':digits': number.digits },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) {
        const callId = callIdOfItem(item);
        if (!callId) continue;
        const pbx = item.pbx as StoredCall['pbx'] | undefined;
        found.push({ callId, pbx: pbx ?? null });
      }
      start = out.LastEvaluatedKey;
    } while (start);
    return found;
  }

  /** Deletes a call item (an erasure); true if there was one. */
  async delete(tenantId: string, callId: string): Promise<boolean> {
    const out = await this.table.doc.send(
      new DeleteCommand({ TableName: this.table.name, Key: { pk: tenantPk(tenantId), sk: callSk(callId) }, ReturnValues: 'ALL_OLD' }),
    );
    return out.Attributes !== undefined;
  }

  async findByPbxUniqueId(tenantId: string, uniqueId: string): Promise<StoredCall | undefined> {
    const indexed = await this.table.doc.send(
      new QueryCommand({
        TableName: this.table.name,
        IndexName: INDEX.gsi6,
        KeyConditionExpression: 'gsi6pk = :pk',
        ExpressionAttributeValues: { ':pk': callsByPbxUniqueIdPk(tenantId, uniqueId) },
        Limit: 1,
      }),
    );
    const item = indexed.Items?.[0];
    let callId = item ? callIdOfItem(item) : undefined;
    if (!callId) {
      // Ids learnt after the dial (an event, a CDR) and calls dialled before the index existed have a link item.
      const linked = await this.table.doc.send(
        new GetCommand({ TableName: this.table.name, Key: { pk: tenantPk(tenantId), sk: pbxUniqueIdSk(uniqueId) } }),
      );
      callId = typeof linked.Item?.callId === 'string' ? linked.Item.callId : undefined;
    }
    return callId ? this.get(tenantId, callId) : undefined;
  }

  /** Newest first, through the index that fits the filter; the state filter is applied page by page. */
  async list(tenantId: string, filter: ListCallsFilter, options: { limit: number; cursor?: string }): Promise<Page<StoredCall>> {
    const [indexName, pk] = filter.leadId
      ? [INDEX.gsi1, callsByLeadPk(tenantId, filter.leadId)]
      : filter.crmUserId
        ? [INDEX.gsi2, callsByAgentPk(tenantId, filter.crmUserId)]
        : [INDEX.gsi3, callsByTenantPk(tenantId)];
    const names: Record<string, string> = { '#pk': `${indexName}pk` };
    const values: Record<string, unknown> = { ':pk': pk };
    if (filter.from || filter.to) names['#sk'] = `${indexName}sk`;
    let keyCondition = '#pk = :pk';
    if (filter.from && filter.to) {
      keyCondition += ' AND #sk BETWEEN :from AND :to';
      Object.assign(values, { ':from': filter.from, ':to': `${filter.to}~` });
    } else if (filter.from) {
      keyCondition += ' AND #sk >= :from';
      values[':from'] = filter.from;
    } else if (filter.to) {
      keyCondition += ' AND #sk <= :to';
      values[':to'] = `${filter.to}~`;
    }
    const filters: string[] = [];
    if (filter.state) {
      names['#state'] = 'state';
      values[':state'] = filter.state;
      filters.push('#state = :state');
    }
    // Both the lead and the agent indexes can hold the other's filter only as a filter expression.
    if (filter.leadId && filter.crmUserId) {
      values[':agent'] = filter.crmUserId;
      filters.push('crmUserId = :agent');
    }
    const items: StoredCall[] = [];
    const listing = callsListing({ tenantId, indexName, pk, filter });
    let start: Record<string, unknown> | undefined = this.cursors.decode(listing, options.cursor);
    // A filter can empty a page; read on until the page is full or the index is exhausted.
    for (let reads = 0; reads < MAX_LIST_READS; reads++) {
      const out = await this.table.doc.send(
        new QueryCommand({
          TableName: this.table.name,
          IndexName: indexName,
          KeyConditionExpression: keyCondition,
          FilterExpression: filters.length ? filters.join(' AND ') : undefined,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ScanIndexForward: false,
          Limit: options.limit - items.length,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(out.Items ?? []).map(parseCallItem));
      start = out.LastEvaluatedKey;
      if (!start || items.length >= options.limit) break;
    }
    return { items, nextCursor: this.cursors.encode(listing, start) };
  }

  /**
   * Calls created in [fromIso, toIso) — of one agent, or of the whole tenant — page by page, with
   * only the fields a report needs. Stops (and answers false) after `maxItems`.
   */
  async forEachCreatedBetween(
    tenantId: string,
    range: { fromIso: string; toIso: string; crmUserId?: string; maxItems: number },
    onPage: (calls: Array<Pick<StoredCall, 'crmUserId' | 'state' | 'createdAt' | 'outcome'>>) => void,
  ): Promise<boolean> {
    const [indexName, pk] = range.crmUserId
      ? [INDEX.gsi2, callsByAgentPk(tenantId, range.crmUserId)]
      : [INDEX.gsi3, callsByTenantPk(tenantId)];
    let seen = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.table.doc.send(
        new QueryCommand({
          TableName: this.table.name,
          IndexName: indexName,
          // Sort keys are `<createdAt>#<callId>`: BETWEEN the two instants takes [from, to).
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
          ProjectionExpression: 'crmUserId, #state, createdAt, outcome',
          ExpressionAttributeNames: { '#pk': `${indexName}pk`, '#sk': `${indexName}sk`, '#state': 'state' },
          ExpressionAttributeValues: { ':pk': pk, ':from': range.fromIso, ':to': range.toIso },
          // One item past the bound says the range holds more, without reading a page beyond it.
          Limit: range.maxItems + 1 - seen,
          ExclusiveStartKey: start,
        }),
      );
      const items = (out.Items ?? []) as Array<Pick<StoredCall, 'crmUserId' | 'state' | 'createdAt' | 'outcome'>>;
      seen += items.length;
      onPage(items);
      start = out.LastEvaluatedKey;
      if (seen > range.maxItems) return false;
    } while (start);
    return true;
  }

  /**
   * Gives up reconciling a call: it stays `unknown`, leaves the reconciler's work list and joins
   * the list of calls flagged for a human (`flaggedCallsPk`).
   */
  async flagUnreconciled(
    tenantId: string,
    callId: string,
    reconcile: NonNullable<StoredCall['reconcile']>,
    reason: string,
  ): Promise<StoredCall | undefined> {
    const now = this.clock().toISOString();
    await this.work.touch(tenantId, ['notify', 'flagged']);
    return this.updateIf(tenantId, callId, {
      expression: `SET #state = :unknown, reason = :reason, reconcile = :reconcile, updatedAt = :now, events = list_append(events, :event), gsi4pk = :flagged, gsi4sk = :flaggedSk, ${OUTBOX_SET}`,
      condition: '#state IN (:dispatching, :unknown)',
      names: { '#state': 'state' },
      values: {
        ':unknown': 'unknown',
        ':dispatching': 'dispatching',
        ':reason': reason,
        ':reconcile': reconcile,
        ':now': now,
        ':event': [eventOf('unknown', now, 'flagged: no CDR found')],
        ':flagged': flaggedCallsPk(tenantId),
        ':flaggedSk': flaggedCallSk(now, callId),
        ...outboxValues(now, tenantId, callId),
      },
    });
  }

  /**
   * Calls the reconciler gave up on, newest first: for the operator. Of one tenant, or of every tenant the work
   * directory lists with flagged calls.
   */
  async listFlagged(limit: number, tenantId?: string): Promise<StoredCall[]> {
    const tenants = tenantId !== undefined ? [tenantId] : (await this.work.list('flagged')).map((m) => m.tenantId);
    const items = await Promise.all(tenants.map((t) => this.newest(INDEX.gsi4, flaggedCallsPk(t), limit)));
    return items
      .flat()
      .sort((a, b) => String(b.gsi4sk).localeCompare(String(a.gsi4sk)))
      .slice(0, limit)
      .map(parseCallItem);
  }

  /** Calls whose outcome is not known yet, changed before `before`: the reconciler's work list, fairly across tenants. */
  async listPending(options: { limit: number; before: string }): Promise<StoredCall[]> {
    return (await this.queues.fairly('pending', options.before, fairShare(options.limit))).map(parseCallItem);
  }

  /**
   * Waiting calls due by `now` (ISO), each tenant's earliest first, interleaved tenant by tenant: the scheduler's work
   * list. The index holds whole items, so one query per shard is all the scheduler reads of a call before its claim.
   */
  async listDue(now: string, bounds: FairBounds): Promise<StoredCall[]> {
    // Every due key of `now` sorts before this: `now`, then '#' and the call id, and '~' is above '#'.
    return (await this.queues.fairly('due', `${now}~`, bounds)).map(parseCallItem);
  }

  /** One tenant's waiting calls due by `now`, earliest first (at most `limit`). */
  async listDueOf(tenantId: string, now: string, limit: number): Promise<StoredCall[]> {
    return (await this.queues.oldest('due', tenantId, `${now}~`, limit, true)).map(parseCallItem);
  }

  /** The tenant's waiting calls (`scheduled`, `queued`) counted exactly: what its waiting counter should hold. */
  async countWaiting(tenantId: string): Promise<number> {
    return this.queues.count('due', tenantId);
  }

  /**
   * The scheduler's claim: a waiting call goes to `dispatching` for the agent it was given, if, and only if, it is
   * still in `from` at `attempt`. Exactly one of any number of concurrent claims (two scheduler runs, a cancel)
   * holds, so only its holder may send the GET: the reservation argument of the ledger for waiting calls.
   */
  async claimWaiting(
    tenantId: string,
    callId: string,
    claim: {
      from: WaitingState;
      attempt: number;
      reservedBy: string;
      agent: StoredCall['agent'];
      crmUserId: string;
      routing: Routing | null;
      /** The call's creation time: its place in the agent's index, which a team call joins only now. */
      createdAt: string;
    },
  ): Promise<StoredCall | undefined> {
    const now = this.clock().toISOString();
    const expiry = expirySet('dispatching');
    const timeSk = callTimeSk(claim.createdAt, callId);
    await this.work.touch(tenantId, ['notify', 'pending']);
    return this.updateIf(tenantId, callId, {
      expression: [
        'SET #state = :dispatching, attempt = :next, reservedBy = :token, #agent = :agent, crmUserId = :crmUserId, #routing = :routing',
        'updatedAt = :now, events = list_append(events, :event), gsi4pk = :pending, gsi4sk = :pendingSk',
        'gsi2pk = :agentPk, gsi2sk = :timeSk',
        OUTBOX_SET,
        expiry.set,
      ].join(', '),
      condition: '#state = :from AND attempt = :attempt',
      names: { '#state': 'state', '#agent': 'agent', '#routing': 'routing', ...expiry.names },
      values: {
        ...expiry.values,
        ':dispatching': 'dispatching',
        ':from': claim.from,
        ':attempt': claim.attempt,
        ':next': claim.attempt + 1,
        ':token': claim.reservedBy,
        ':agent': claim.agent,
        ':crmUserId': claim.crmUserId,
        ':routing': claim.routing,
        ':now': now,
        ':event': [eventOf('dispatching', now, `agent ${claim.crmUserId}`)],
        ':pending': pendingCallsPk(tenantId, callId),
        ':pendingSk': pendingCallSk(now, callId),
        ':agentPk': callsByAgentPk(tenantId, claim.crmUserId),
        ':timeSk': timeSk,
        ...outboxValues(now, tenantId, callId),
      },
    });
  }

  /** Moves a scheduled call to a later time (the lead's hours closed meanwhile), if it is still scheduled at `attempt`. */
  async reschedule(tenantId: string, callId: string, attempt: number, schedule: Schedule): Promise<StoredCall | undefined> {
    const now = this.clock().toISOString();
    return this.updateIf(tenantId, callId, {
      expression: 'SET #schedule = :schedule, updatedAt = :now, gsi4sk = :dueSk',
      condition: '#state = :scheduled AND attempt = :attempt',
      names: { '#state': 'state', '#schedule': 'schedule' },
      values: {
        ':schedule': schedule,
        ':now': now,
        ':scheduled': 'scheduled',
        ':attempt': attempt,
        ':dueSk': dueCallSk(schedule.notBefore, callId),
      },
    });
  }

  /** Cancels a waiting call: the call, now `cancelled`, or undefined when it was no longer waiting. */
  async cancel(tenantId: string, callId: string, detail?: string): Promise<StoredCall | undefined> {
    return this.transition(tenantId, callId, { from: WAITING_STATES, to: 'cancelled', detail });
  }

  /**
   * Records that `events[from]` was delivered: `notified` goes from `from` to `from + 1`, and the
   * retry state is cleared. When that was the last event, the call also leaves the outbox index, on
   * condition that no event was appended meanwhile. Returns false when the condition did not hold
   * (another deliverer advanced it, or a new event came): re-read and go on.
   */
  async advanceNotified(tenantId: string, callId: string, from: number, last: boolean): Promise<boolean> {
    return this.conditionalUpdate(tenantId, callId, {
      UpdateExpression: `SET notified = :next REMOVE #notify${last ? ', gsi5pk, gsi5sk' : ''}`,
      ConditionExpression: `${notifiedIs(from)}${last ? ' AND size(events) = :next' : ''}`,
      ExpressionAttributeNames: { '#notify': 'notify' },
      ExpressionAttributeValues: { ':notified': from, ':next': from + 1 },
    });
  }

  /** Marks every event delivered without sending anything (a tenant with no callback URL). */
  async skipNotifications(tenantId: string, callId: string, from: number, eventCount: number): Promise<boolean> {
    return this.conditionalUpdate(tenantId, callId, {
      UpdateExpression: 'SET notified = :count REMOVE #notify, gsi5pk, gsi5sk',
      ConditionExpression: `${notifiedIs(from)} AND size(events) = :count`,
      ExpressionAttributeNames: { '#notify': 'notify' },
      ExpressionAttributeValues: { ':notified': from, ':count': eventCount },
    });
  }

  /** A failed delivery of `events[notified]`: the retry state, and the call's new due time in the outbox index. */
  async recordNotifyFailure(tenantId: string, callId: string, notified: number, notify: NotifyState): Promise<boolean> {
    await this.work.touch(tenantId, ['notify']);
    return this.parkOutbox(tenantId, callId, notified, notify, notifyPendingPk(tenantId, callId), notify.nextAttemptAt);
  }

  /** Gives up delivering: the call moves to the dead index, where it waits for a redrive. */
  async markNotifyDead(
    tenantId: string,
    callId: string,
    notified: number,
    notify: NotifyState & { deadLetteredAt: string },
  ): Promise<boolean> {
    await this.work.touch(tenantId, ['dead']);
    return this.parkOutbox(tenantId, callId, notified, notify, notifyDeadPk(tenantId), notify.deadLetteredAt);
  }

  /**
   * Stores the retry state of a call still in the outbox (and still at `notified`) and files it under `indexPk`
   * at `at`: the pending index by due time, or the dead index by the time it was given up.
   */
  private parkOutbox(
    tenantId: string,
    callId: string,
    notified: number,
    notify: NotifyState,
    indexPk: string,
    at: string,
  ): Promise<boolean> {
    return this.conditionalUpdate(tenantId, callId, {
      UpdateExpression: 'SET #notify = :notify, gsi5pk = :indexPk, gsi5sk = :indexSk',
      ConditionExpression: `${notifiedIs(notified)} AND gsi5pk = :pendingPk`,
      ExpressionAttributeNames: { '#notify': 'notify' },
      ExpressionAttributeValues: {
        ':notified': notified,
        ':notify': notify,
        ':pendingPk': notifyPendingPk(tenantId, callId),
        ':indexPk': indexPk,
        ':indexSk': notifySk(at, callId),
      },
    });
  }

  /** Puts a dead-lettered call back in the outbox, due now, with a fresh retry budget. */
  async redriveNotifications(tenantId: string, callId: string, now = this.clock().toISOString()): Promise<boolean> {
    await this.work.touch(tenantId, ['notify']);
    return this.conditionalUpdate(tenantId, callId, {
      UpdateExpression: 'SET gsi5pk = :pendingPk, gsi5sk = :dueSk REMOVE #notify',
      ConditionExpression: 'gsi5pk = :deadPk',
      ExpressionAttributeNames: { '#notify': 'notify' },
      ExpressionAttributeValues: {
        ':pendingPk': notifyPendingPk(tenantId, callId),
        ':deadPk': notifyDeadPk(tenantId),
        ':dueSk': notifySk(now, callId),
      },
    });
  }

  /** Calls with notifications due at or before `now`, fairly across tenants, each tenant's most overdue first. */
  async listNotifyDue(now: string, limit: number): Promise<Array<{ tenantId: string; callId: string }>> {
    return (await this.queues.fairly('notify', `${now}~`, fairShare(limit))).flatMap(callKeysOf);
  }

  /**
   * Dead-lettered calls, newest first (the index holds keys only: read each call for details). Of one tenant, or of
   * every tenant the work directory lists with dead-lettered calls.
   */
  async listNotifyDead(limit: number, tenantId?: string): Promise<Array<{ tenantId: string; callId: string }>> {
    const tenants = tenantId !== undefined ? [tenantId] : (await this.work.list('dead')).map((m) => m.tenantId);
    const items = await Promise.all(tenants.map((t) => this.newest(INDEX.gsi5, notifyDeadPk(t), limit)));
    return items
      .flat()
      .sort((a, b) => String(b.gsi5sk).localeCompare(String(a.gsi5sk)))
      .slice(0, limit)
      .flatMap(callKeysOf);
  }

  /** The `limit` newest items of one partition of an index, paged. */
  private async newest(index: string, pk: string, limit: number): Promise<Array<Record<string, unknown>>> {
    const found: Array<Record<string, unknown>> = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.table.doc.send(
        new QueryCommand({
          TableName: this.table.name,
          IndexName: index,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': `${index}pk` },
          ExpressionAttributeValues: { ':pk': pk },
          ScanIndexForward: false,
          Limit: limit - found.length,
          ExclusiveStartKey: start,
        }),
      );
      found.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start && found.length < limit);
    return found;
  }

  private async conditionalUpdate(
    tenantId: string,
    callId: string,
    update: Pick<
      ConstructorParameters<typeof UpdateCommand>[0],
      'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
    >,
  ): Promise<boolean> {
    try {
      await this.table.doc.send(
        new UpdateCommand({ TableName: this.table.name, Key: { pk: tenantPk(tenantId), sk: callSk(callId) }, ...update }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /**
   * One conditional update of a call item that returns the call as it now is, or undefined when the
   * condition did not hold (someone else moved the call): the shape of every ledger transition.
   */
  private async updateIf(
    tenantId: string,
    callId: string,
    update: { expression: string; condition: string; names: Record<string, string>; values: Record<string, unknown> },
  ): Promise<StoredCall | undefined> {
    try {
      const out = await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: { pk: tenantPk(tenantId), sk: callSk(callId) },
          UpdateExpression: update.expression,
          ConditionExpression: update.condition,
          ExpressionAttributeNames: update.names,
          ExpressionAttributeValues: update.values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return parseCallItem(out.Attributes ?? {});
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
  }
}

/** The tenant and call of an index entry, from the call item's own keys (the outbox index holds keys only). */
function callKeysOf(item: Record<string, unknown>): Array<{ tenantId: string; callId: string }> {
  const tenantId = typeof item.pk === 'string' && item.pk.startsWith(tenantPk('')) ? item.pk.slice(tenantPk('').length) : undefined;
  const callId = callIdOfItem(item);
  return tenantId && callId ? [{ tenantId, callId }] : [];
}

function eventOf(state: CallState, at: string, detail?: string): CallEvent {
  return detail ? { at, state, detail } : { at, state };
}

function toItem(call: StoredCall): Record<string, unknown> {
  const timeSk = callTimeSk(call.createdAt, call.callId);
  return {
    pk: tenantPk(call.tenantId),
    sk: callSk(call.callId),
    type: 'call',
    ...(call.lead ? { gsi1pk: callsByLeadPk(call.tenantId, call.lead.id), gsi1sk: timeSk } : {}),
    ...(call.crmUserId ? { gsi2pk: callsByAgentPk(call.tenantId, call.crmUserId), gsi2sk: timeSk } : {}),
    gsi3pk: callsByTenantPk(call.tenantId),
    gsi3sk: timeSk,
    ...(PENDING_STATES.includes(call.state)
      ? { gsi4pk: pendingCallsPk(call.tenantId, call.callId), gsi4sk: pendingCallSk(call.updatedAt, call.callId) }
      : {}),
    ...(isWaiting(call.state) ? { gsi4pk: dueCallsPk(call.tenantId, call.callId), gsi4sk: dueCallSk(dueAtOf(call), call.callId) } : {}),
    gsi5pk: notifyPendingPk(call.tenantId, call.callId),
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
  for (const [name, value] of Object.entries(call)) {
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
function callIdOfItem(item: Record<string, unknown>): string | undefined {
  if (typeof item.sk === 'string' && item.sk.startsWith(callSk(''))) return item.sk.slice(callSk('').length);
  return typeof item.callId === 'string' ? item.callId : undefined;
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
