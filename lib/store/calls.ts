import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { callSchema, PENDING_STATES, type Call, type CallEvent, type CallState } from '../calls/model';
import type { Table } from './client';
import { CorruptItemError, isConditionalCheckFailed } from './errors';
import {
  callsByAgentPk,
  callsByLeadPk,
  callsByTenantPk,
  callSk,
  callTimeSk,
  INDEX,
  pbxUniqueIdSk,
  flaggedCallsPk,
  pendingCallsPk,
  tenantPk,
} from './keys';
import { decodeCursor, encodeCursor, type Page } from './pagination';

export const storedCallSchema = callSchema.extend({
  /** Hash of the normalized request: tells a replay (same hash) from a reused key (other hash). */
  requestHash: z.string(),
  /** How many times this call was dispatched: more than 1 only after `not_sent`. */
  attempt: z.number().int(),
  crmUserId: z.string().optional(),
  reconcile: z
    .object({ tries: z.number().int(), lastTriedAt: z.string().optional(), flagged: z.boolean() })
    .optional(),
});
export type StoredCall = z.infer<typeof storedCallSchema>;

export type CallChanges = Partial<Pick<StoredCall, 'reason' | 'pbx' | 'outcome' | 'legB' | 'reconcile'>>;

export interface ListCallsFilter {
  leadId?: string;
  crmUserId?: string;
  state?: CallState;
  /** ISO timestamps, inclusive. */
  from?: string;
  to?: string;
}

const STRIP = new Set(['pk', 'sk', 'type', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'gsi3pk', 'gsi3sk', 'gsi4pk', 'gsi4sk']);

/**
 * The call ledger's storage: one item per call, keyed by a call id derived from the idempotency
 * key, so the conditional put that creates it is also the reservation of that key.
 */
export class CallRepository {
  constructor(private readonly table: Table) {}

  /** Conditional put: `reserved` is true for exactly one of any number of concurrent callers. */
  async reserve(call: StoredCall): Promise<{ reserved: true } | { reserved: false; existing: StoredCall }> {
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
      const existing = error.Item ? parseCallItem(error.Item) : await this.get(call.tenantId, call.callId);
      if (!existing) throw new Error('Reservation refused but no call item found', { cause: error });
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
    transition: { from: readonly CallState[]; to: CallState; attempt?: number; changes?: CallChanges; detail?: string; at?: string },
  ): Promise<StoredCall | undefined> {
    const now = transition.at ?? new Date().toISOString();
    const names: Record<string, string> = { '#state': 'state' };
    const values: Record<string, unknown> = {
      ':to': transition.to,
      ':now': now,
      ':event': [eventOf(transition.to, now, transition.detail)],
    };
    const sets = ['#state = :to', 'updatedAt = :now', 'events = list_append(events, :event)'];
    const removes: string[] = [];
    for (const [field, value] of Object.entries(transition.changes ?? {})) {
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      sets.push(`#${field} = :${field}`);
    }
    if (PENDING_STATES.includes(transition.to)) {
      sets.push('gsi4pk = :pending', 'gsi4sk = :pendingSk');
      values[':pending'] = pendingCallsPk();
      values[':pendingSk'] = `${now}#${tenantId}#${callId}`;
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
    try {
      const out = await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: { pk: tenantPk(tenantId), sk: callSk(callId) },
          UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return parseCallItem(out.Attributes ?? {});
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
  }

  /**
   * Takes a `not_sent` call back to `dispatching` for one more attempt, only for a request with
   * the same hash. The attempt counter makes the later outcome write belong to this attempt only.
   */
  async redispatch(tenantId: string, callId: string, requestHash: string, attempt: number): Promise<StoredCall | undefined> {
    const now = new Date().toISOString();
    try {
      const out = await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: { pk: tenantPk(tenantId), sk: callSk(callId) },
          UpdateExpression:
            'SET #state = :dispatching, attempt = :next, reason = :null, updatedAt = :now, events = list_append(events, :event), gsi4pk = :pending, gsi4sk = :pendingSk',
          ConditionExpression: '#state = :notSent AND requestHash = :hash AND attempt = :attempt',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':dispatching': 'dispatching',
            ':notSent': 'not_sent',
            ':hash': requestHash,
            ':attempt': attempt,
            ':next': attempt + 1,
            ':null': null,
            ':now': now,
            ':event': [eventOf('dispatching', now, `attempt ${attempt + 1}`)],
            ':pending': pendingCallsPk(),
            ':pendingSk': `${now}#${tenantId}#${callId}`,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return parseCallItem(out.Attributes ?? {});
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
  }

  /** Sets fields of a call without touching its state (e.g. the PBX's unique_id after a webhook already moved it on). */
  async patch(tenantId: string, callId: string, changes: CallChanges): Promise<void> {
    const entries = Object.entries(changes);
    if (entries.length === 0) return;
    await this.table.doc.send(
      new UpdateCommand({
        TableName: this.table.name,
        Key: { pk: tenantPk(tenantId), sk: callSk(callId) },
        UpdateExpression: `SET ${entries.map(([k]) => `#${k} = :${k}`).join(', ')}, updatedAt = :now`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: Object.fromEntries(entries.map(([k]) => [`#${k}`, k])),
        ExpressionAttributeValues: { ...Object.fromEntries(entries.map(([k, v]) => [`:${k}`, v])), ':now': new Date().toISOString() },
      }),
    );
  }

  /** Remembers which call a PBX unique_id belongs to, for the PBX's outcome webhooks. */
  async linkPbxUniqueId(tenantId: string, uniqueId: string, callId: string): Promise<void> {
    await this.table.doc.send(
      new PutCommand({
        TableName: this.table.name,
        Item: { pk: tenantPk(tenantId), sk: pbxUniqueIdSk(uniqueId), type: 'pbxUniqueId', callId },
      }),
    );
  }

  async findByPbxUniqueId(tenantId: string, uniqueId: string): Promise<StoredCall | undefined> {
    const out = await this.table.doc.send(
      new GetCommand({ TableName: this.table.name, Key: { pk: tenantPk(tenantId), sk: pbxUniqueIdSk(uniqueId) } }),
    );
    const callId = out.Item?.callId;
    return typeof callId === 'string' ? this.get(tenantId, callId) : undefined;
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
    let start = decodeCursor(options.cursor, { [`${indexName}pk`]: pk });
    // A filter can empty a page; read on until the page is full or the index is exhausted.
    for (let reads = 0; reads < 10; reads++) {
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
    return { items, nextCursor: encodeCursor(start) };
  }

  /**
   * Gives up reconciling a call: it stays `unknown`, leaves the reconciler's work list and joins
   * the list of calls flagged for a human (`flaggedCallsPk`).
   */
  async flagUnreconciled(tenantId: string, callId: string, reconcile: NonNullable<StoredCall['reconcile']>): Promise<StoredCall | undefined> {
    const now = new Date().toISOString();
    try {
      const out = await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: { pk: tenantPk(tenantId), sk: callSk(callId) },
          UpdateExpression:
            'SET #state = :unknown, reason = if_not_exists(reason, :reason), reconcile = :reconcile, updatedAt = :now, events = list_append(events, :event), gsi4pk = :flagged, gsi4sk = :flaggedSk',
          ConditionExpression: '#state IN (:dispatching, :unknown)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':unknown': 'unknown',
            ':dispatching': 'dispatching',
            ':reason': 'unreconciled',
            ':reconcile': reconcile,
            ':now': now,
            ':event': [eventOf('unknown', now, 'flagged: no CDR found')],
            ':flagged': flaggedCallsPk(),
            ':flaggedSk': `${now}#${tenantId}#${callId}`,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return parseCallItem(out.Attributes ?? {});
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
  }

  /** Calls the reconciler gave up on, newest first: for the operator. */
  async listFlagged(limit: number): Promise<StoredCall[]> {
    const out = await this.table.doc.send(
      new QueryCommand({
        TableName: this.table.name,
        IndexName: INDEX.gsi4,
        KeyConditionExpression: 'gsi4pk = :pk',
        ExpressionAttributeValues: { ':pk': flaggedCallsPk() },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map(parseCallItem);
  }

  /** Calls whose outcome is not known yet, oldest change first, across tenants: the reconciler's work list. */
  async listPending(options: { limit: number; before?: string }): Promise<StoredCall[]> {
    const out = await this.table.doc.send(
      new QueryCommand({
        TableName: this.table.name,
        IndexName: INDEX.gsi4,
        KeyConditionExpression: options.before ? 'gsi4pk = :pk AND gsi4sk < :before' : 'gsi4pk = :pk',
        ExpressionAttributeValues: { ':pk': pendingCallsPk(), ...(options.before ? { ':before': options.before } : {}) },
        Limit: options.limit,
      }),
    );
    return (out.Items ?? []).map(parseCallItem);
  }
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
      ? { gsi4pk: pendingCallsPk(), gsi4sk: `${call.updatedAt}#${call.tenantId}#${call.callId}` }
      : {}),
    ...call,
  };
}

export function parseCallItem(item: Record<string, unknown>): StoredCall {
  const fields = Object.fromEntries(Object.entries(item).filter(([k]) => !STRIP.has(k)));
  const parsed = storedCallSchema.safeParse(fields);
  if (!parsed.success) throw new CorruptItemError('call', { cause: parsed.error });
  return parsed.data;
}

/** The public call resource: the stored call without the ledger's own fields. */
export function toCallResource(call: StoredCall, duplicate = false): Call {
  const { requestHash: _h, attempt: _a, crmUserId: _c, reconcile: _r, ...resource } = call;
  return { ...resource, duplicate };
}
