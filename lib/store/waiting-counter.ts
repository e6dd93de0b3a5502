import { randomBytes } from 'node:crypto';
import { GetCommand, UpdateCommand, DeleteCommand } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../time/clock';
import type { Table } from './client';
import { conditionHeld, isConditionalCheckFailed } from './errors';
import { tenantPk, waitingReturnedSk, workBucketOf, workBucketPk, workMarkerSk } from './keys';

/** The tenant's waiting counter as a consistent read found it. */
export interface WaitingCount {
  /** The due marker's count of slots taken (undefined: no marker, or one that never counted). */
  waiting: number | undefined;
  /** Slots given back and not applied to the marker yet: the tenant's waiting calls are `waiting - returned`. */
  returned: number;
}

/**
 * A tenant's count of waiting calls (`scheduled`, `queued`; policy `maxWaitingCalls`), kept on two items of the tenant
 * so that each takes one write per waiting call (docs/design.md, "The waiting limit"):
 *
 * - the due marker (`WORK#due`, copied by gsi4) counts the slots taken: `waiting`, raised by a conditional update
 *   (`waiting < :max`) that also refreshes the marker;
 * - the returned item (`WORK#due#returned`, no index) counts the slots given back since: `ADD returned 1`, no condition.
 *
 * The marker alone over-counts (by `returned`), so a take it refuses applies the returns and tries once more: the
 * counter never admits more than the limit, and a tenant at its limit pays the moves. DynamoDB transactions would move
 * returns in one write; the local store (dynalite) has none, so a move is two conditional writes ordered so that
 * whatever stops between them (a fault, a crash, a recount meanwhile) loses returns, which only ever counts high, the
 * drift the scheduler's recount corrects. The marker's `basis` (new with the marker and with each recount) keeps
 * returns from before a recount, or from a retired marker, off the count that replaced it.
 */
export class WaitingCounter {
  constructor(
    private readonly table: Table,
    private readonly clock: Clock,
    /** Told when a take refreshed the due marker (the directory's refresh cache). */
    private readonly refreshed: (tenantId: string, at: number) => void,
  ) {}

  /** Takes one of `max` slots: false when the tenant has `max` waiting calls (the returns applied first). */
  async take(tenantId: string, max: number): Promise<boolean> {
    if (await this.takeOnMarker(tenantId, max)) return true;
    // Refused by the marker's count alone: only a tenant at (or near) its limit gets here.
    const { found } = await this.applyReturned(tenantId);
    return found > 0 && this.takeOnMarker(tenantId, max);
  }

  private async takeOnMarker(tenantId: string, max: number): Promise<boolean> {
    const now = this.clock().getTime();
    let old: Record<string, unknown> | undefined;
    try {
      old = (
        await this.table.doc.send(
          new UpdateCommand({
            TableName: this.table.name,
            Key: this.markerKey(tenantId),
            UpdateExpression:
              'SET waiting = if_not_exists(waiting, :zero) + :one, basis = if_not_exists(basis, :basis), waitingMax = :max, seenAt = :now, gsi4pk = :bucket, gsi4sk = :tenantId, #type = :type',
            ConditionExpression: 'attribute_not_exists(waiting) OR waiting < :max',
            ExpressionAttributeNames: { '#type': 'type' },
            ExpressionAttributeValues: {
              ':zero': 0,
              ':one': 1,
              ':basis': newBasis(),
              ':max': max,
              ':now': now,
              ':bucket': workBucketPk('due', workBucketOf(tenantId)),
              ':tenantId': tenantId,
              ':type': 'work',
            },
            ReturnValues: 'UPDATED_OLD',
          }),
        )
      ).Attributes;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
    this.refreshed(tenantId, now);
    if (typeof old?.waiting !== 'number') await this.clearStaleReturns(tenantId);
    return true;
  }

  /**
   * This take started the count: returns on the returned item are older than it (a give-back that landed after its
   * marker was retired, or a retire stopped before it removed them), and would otherwise free slots never taken.
   * Best effort: a fault leaves them, as a retire stopped half way would.
   */
  private async clearStaleReturns(tenantId: string): Promise<void> {
    try {
      await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: this.returnedKey(tenantId),
          UpdateExpression: 'SET returned = :zero',
          // Nothing written where there is nothing to clear: no item is created.
          ConditionExpression: 'returned > :zero',
          ExpressionAttributeValues: { ':zero': 0 },
        }),
      );
    } catch {
      // Refused (nothing to clear) or a fault: either way the take stands.
    }
  }

  /** Gives a slot back: one write on the returned item, no condition. A store fault is thrown (callers: best effort). */
  async giveBack(tenantId: string): Promise<void> {
    await this.table.doc.send(
      new UpdateCommand({
        TableName: this.table.name,
        Key: this.returnedKey(tenantId),
        UpdateExpression: 'ADD returned :one',
        ExpressionAttributeValues: { ':one': 1 },
      }),
    );
  }

  /** Reads the counter, both items consistently (one round trip). */
  async read(tenantId: string): Promise<WaitingCount & { basis: string | undefined }> {
    const [marker, returned] = await Promise.all([this.get(this.markerKey(tenantId)), this.get(this.returnedKey(tenantId))]);
    return {
      waiting: typeof marker?.waiting === 'number' ? marker.waiting : undefined,
      basis: typeof marker?.basis === 'string' ? marker.basis : undefined,
      returned: typeof returned?.returned === 'number' ? Math.max(0, returned.returned) : 0,
    };
  }

  /**
   * Moves the slots given back onto the marker's count: first all those read off the returned item (`returned >= :all`,
   * so of appliers racing for the same returns each moves them once), then off the marker (`waiting >= :n`, on the
   * basis read: a recount or a new marker since has counted without them). `found`: the returns read; the count is
   * what it holds after (`returned` 0 as far as this move knows; `waiting` undefined when the move did not finish).
   */
  async applyReturned(tenantId: string): Promise<WaitingCount & { found: number }> {
    const read = await this.read(tenantId);
    const { returned } = read;
    // More returned than counted is drift (a give-back sent twice): the count stops at zero, as it always has.
    const n = Math.min(returned, read.waiting ?? 0);
    if (n <= 0) return { waiting: read.waiting, returned, found: returned };
    const moved = await this.conditional(
      new UpdateCommand({
        TableName: this.table.name,
        Key: this.returnedKey(tenantId),
        UpdateExpression: 'ADD returned :minus',
        ConditionExpression: 'returned >= :all',
        ExpressionAttributeValues: { ':minus': -returned, ':all': returned },
      }),
    );
    if (!moved) return { waiting: undefined, returned, found: returned };
    const applied = await this.conditional(
      new UpdateCommand({
        TableName: this.table.name,
        Key: this.markerKey(tenantId),
        UpdateExpression: 'SET waiting = waiting - :n',
        ConditionExpression: `waiting >= :n AND ${read.basis === undefined ? 'attribute_not_exists(basis)' : 'basis = :basis'}`,
        ExpressionAttributeValues: { ':n': n, ...(read.basis === undefined ? {} : { ':basis': read.basis }) },
      }),
    );
    return { waiting: applied ? read.waiting! - n : undefined, returned: 0, found: returned };
  }

  /**
   * Sets the count to what the scheduler counted, if the marker still holds `read` (a take or a move in between
   * changes it, and the correction waits for the next recount). The returns outstanding are read after the count and
   * kept on the marker's side (`waiting = counted + returned`), so the count is `counted` with no write to the returned
   * item; a new basis keeps any move begun before it off the new count.
   */
  async correct(tenantId: string, read: number, counted: number): Promise<boolean> {
    const { returned } = await this.read(tenantId);
    return this.conditional(
      new UpdateCommand({
        TableName: this.table.name,
        Key: this.markerKey(tenantId),
        UpdateExpression: 'SET waiting = :waiting, basis = :basis, recountedAt = :now',
        ConditionExpression: 'waiting = :read',
        ExpressionAttributeValues: { ':waiting': counted + returned, ':basis': newBasis(), ':read': read, ':now': this.clock().getTime() },
      }),
    );
  }

  /** After the due marker was retired: its returns go with it (a later marker starts from nothing). */
  async forgetReturned(tenantId: string): Promise<void> {
    await this.table.doc.send(new DeleteCommand({ TableName: this.table.name, Key: this.returnedKey(tenantId) }));
  }

  private conditional(command: UpdateCommand): Promise<boolean> {
    return conditionHeld(this.table.doc.send(command));
  }

  private async get(key: Record<string, string>): Promise<Record<string, unknown> | undefined> {
    return (await this.table.doc.send(new GetCommand({ TableName: this.table.name, Key: key, ConsistentRead: true }))).Item;
  }

  private markerKey(tenantId: string) {
    return { pk: tenantPk(tenantId), sk: workMarkerSk('due') };
  }

  private returnedKey(tenantId: string) {
    return { pk: tenantPk(tenantId), sk: waitingReturnedSk() };
  }
}

/** A marker's basis: a new one with each new count (the marker's first take, a recount). */
const newBasis = () => randomBytes(6).toString('base64url');
