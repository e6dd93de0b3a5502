import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isWaiting, PENDING_STATES, type CallOutcome, type CallState, type Routing } from '../../model/call';
import { systemClock, type Clock } from '../../time/clock';
import type { Table } from '../client';
import { conditionFailureItem, isConditionalCheckFailed } from '../errors';
import { agentIndexSet, type CallIndexMode } from '../call-index-keys';
import {
  callSk,
  callsByPbxUniqueIdPk,
  DEFAULT_WORK_SHARDS,
  dueCallSk,
  dueCallsPk,
  flaggedCallSk,
  flaggedCallsPk,
  pendingCallSk,
  pendingCallsPk,
  tenantPk,
  type WorkShards,
} from '../keys';
import type { WorkDirectory } from '../work-directory';
import { eventOf, parseCallItem, storedChanges, toCallItem, type CallChanges, type StoredCall } from './stored-call';
import { expirySet, OUTBOX_SET, outboxValues, updateCallIf, workOf } from './writes';

/**
 * The call ledger (docs/design.md, "The ledger: never dial twice"): one item per call, keyed by a call id derived from
 * the idempotency key, so the conditional put that creates it is also the reservation of that key; then each state
 * transition, one conditional update that exactly one of any number of concurrent writers wins.
 *
 * Every write below that puts a call on a work list makes sure first that its tenant's marker is there
 * (`WorkDirectory.touch`, docs/design.md "Work lists"): cached per container, so a warm container sends nothing.
 */
export class CallLedger {
  constructor(
    private readonly table: Table,
    private readonly work: WorkDirectory,
    private readonly clock: Clock = systemClock,
    /** Which listing keys a call write carries (lib/store/call-index-keys.ts): the stage's CALL_INDEXES. */
    readonly indexMode: CallIndexMode = 'narrow',
    /** How many shards a call write spreads the work lists over (lib/store/keys.ts): the stage's WORK_SHARDS. */
    readonly workShards: WorkShards = DEFAULT_WORK_SHARDS,
  ) {}

  /** Conditional put: `reserved` is true for exactly one of any number of concurrent callers. */
  async reserve(call: StoredCall): Promise<{ reserved: true } | { reserved: false; existing: StoredCall }> {
    await this.work.touch(call.tenantId, ['notify', ...workOf(call.state)]);
    try {
      await this.table.doc.send(
        new PutCommand({
          TableName: this.table.name,
          Item: toCallItem(call, this.indexMode, this.workShards),
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
      ...outboxValues(now, tenantId, callId, this.workShards),
      ...expiry.values,
    };
    const sets = ['#state = :to', 'updatedAt = :now', 'events = list_append(events, :event)', OUTBOX_SET, expiry.set];
    const removes: string[] = [];
    for (const [field, value] of Object.entries(storedChanges(transition.changes ?? {}))) {
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
      values[':pending'] = pendingCallsPk(tenantId, callId, this.workShards);
      values[':pendingSk'] = pendingCallSk(now, callId);
    } else if (transition.to === 'queued') {
      // A queued call is due at once: every run of the scheduler looks for a free agent for it.
      sets.push('gsi4pk = :due', 'gsi4sk = :dueSk');
      values[':due'] = dueCallsPk(tenantId, callId, this.workShards);
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
    const moved = await updateCallIf(this.table, tenantId, callId, {
      expression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
      condition,
      names,
      values,
    });
    // Out of the waiting states (cancelled, ended without a GET): the tenant's waiting slot is free again. Best effort,
    // as WaitingCalls.leftWaiting: a slot not given back is a drift the scheduler's recount corrects.
    if (moved && transition.from.every(isWaiting) && !isWaiting(transition.to))
      await this.work.giveWaitingSlotBack(tenantId).catch(() => undefined);
    return moved;
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
    const agentKeys =
      assign && agentIndexSet(this.indexMode, { tenantId, callId, createdAt: assign.createdAt, crmUserId: assign.crmUserId });
    const assigned =
      assign && agentKeys
        ? {
            set: `, #agent = :agent, crmUserId = :crmUserId, #routing = :routing, ${agentKeys.set.join(', ')}`,
            values: { ':agent': assign.agent, ':crmUserId': assign.crmUserId, ':routing': assign.routing, ...agentKeys.values },
          }
        : { set: '', values: {} };
    await this.work.touch(tenantId, ['notify', 'pending']);
    return updateCallIf(this.table, tenantId, callId, {
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
        ':pending': pendingCallsPk(tenantId, callId, this.workShards),
        ':pendingSk': pendingCallSk(now, callId),
        ...outboxValues(now, tenantId, callId, this.workShards),
        ...assigned.values,
      },
    });
  }

  /** Sets fields of a call without touching its state (e.g. the PBX's unique_id after a webhook already moved it on). */
  async patch(tenantId: string, callId: string, changes: CallChanges): Promise<void> {
    const entries = Object.entries(storedChanges(changes));
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
    return updateCallIf(this.table, tenantId, callId, {
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
        ...outboxValues(now, tenantId, callId, this.workShards),
      },
    });
  }

  /** Deletes a call item (an erasure); true if there was one. */
  async delete(tenantId: string, callId: string): Promise<boolean> {
    const out = await this.table.doc.send(
      new DeleteCommand({ TableName: this.table.name, Key: { pk: tenantPk(tenantId), sk: callSk(callId) }, ReturnValues: 'ALL_OLD' }),
    );
    return out.Attributes !== undefined;
  }
}
