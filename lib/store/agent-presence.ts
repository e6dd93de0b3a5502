import { BatchGetCommand, DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { FOREVER_SEC, type AgentPresence } from '../model/agent';
import type { Table } from './client';
import { conditionFailureItem, isConditionalCheckFailed } from './errors';
import { agentLockSk, tenantPk } from './keys';
import { memberToken } from './members';

/** Why an agent could not be taken for a call. */
export type TakeRefusal = 'placing_call' | 'on_call' | 'away';

/** A per-minute window of the agent's calls: its start (epoch seconds), its cap, and the member this call adds. */
export interface PresenceWindow {
  start: number;
  max: number;
  member: string;
}

/** Why a take was refused: the agent's state, its per-minute cap, or no such agent (`requireAgent`). */
export type TakeRefusalReason = TakeRefusal | 'rate_limited' | 'unknown_agent';

export type TakeResult =
  | { taken: true; extension?: string; stale: string[] }
  /** `heldBy`: the live lock's holder, when a lock refused the take. */
  | { taken: false; why: TakeRefusalReason; heldBy?: string };

/** The attribute of one per-minute window: `w` and its start, so that a new minute needs no reset of the last. */
const windowAttribute = (start: number) => `w${start}`;
const WINDOW = /^w\d+$/;

/**
 * One item per agent (`AGENTLOCK#<crmUserId>`) holding everything the router needs to know at once: the lock of
 * the call being placed, the call the agent is on, the away toggle and when the agent last became free. One item,
 * so that taking an agent is one conditional write that checks all of it: two routers can never take one agent.
 * Every write is an update of its own attributes, so the lock never wipes the away toggle and the reverse.
 */
export class AgentPresenceRepository {
  constructor(private readonly table: Table) {}

  private key(tenantId: string, crmUserId: string) {
    return { pk: tenantPk(tenantId), sk: agentLockSk(crmUserId) };
  }

  /**
   * Takes the agent's lock for `holder` until `leaseUntil` (epoch seconds). The lease makes a lock left by a
   * crashed invocation expire by itself. With `requireFree`, the agent must also be neither on a call nor away
   * (the router's take); without it only another holder's live lock refuses (a call that names its agent).
   *
   * `options.window` counts the call against the agent's per-minute cap in the same write: the item holds one string
   * set per window (`w<start>`), and the take adds `member` to the current one only if it holds fewer than `max` (or
   * holds `member` already: copies of one request count once). `options.requireAgent` refuses an agent the store does
   * not know: the agent store copies each agent's extension onto this item, so the take also reads the agent.
   * Stale windows are named in the answer, for the release to remove: no extra request, and the item stays small.
   */
  async take(
    tenantId: string,
    crmUserId: string,
    holder: string,
    leaseUntil: number,
    now: number,
    requireFree = false,
    options: { requireAgent?: boolean; window?: PresenceWindow } = {},
  ): Promise<TakeResult> {
    let condition = '(attribute_not_exists(holder) OR holder = :holder OR leaseUntil < :now)';
    if (requireFree) {
      condition +=
        ' AND (attribute_not_exists(busyUntil) OR busyUntil < :now) AND (attribute_not_exists(awayFrom) OR awayFrom > :now OR awayUntil <= :now)';
    }
    const names: Record<string, string> = { '#type': 'type' };
    const values: Record<string, unknown> = { ':type': 'agentPresence', ':holder': holder, ':leaseUntil': leaseUntil, ':now': now };
    let update = 'SET #type = :type, holder = :holder, leaseUntil = :leaseUntil';
    if (options.requireAgent) condition += ' AND attribute_exists(extension)';
    if (options.window) {
      names['#win'] = windowAttribute(options.window.start);
      values[':member'] = memberToken(options.window.member);
      values[':members'] = new Set([memberToken(options.window.member)]);
      values[':max'] = options.window.max;
      condition += ' AND (attribute_not_exists(#win) OR contains(#win, :member) OR size(#win) < :max)';
      update += ' ADD #win :members';
    }
    try {
      const out = await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: this.key(tenantId, crmUserId),
          // The TTL of items written before presence existed is removed: the away toggle must outlive any lease.
          UpdateExpression: `${update} REMOVE expiresAt`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      const item = out.Attributes ?? {};
      const current = options.window ? windowAttribute(options.window.start) : undefined;
      return {
        taken: true,
        extension: typeof item.extension === 'string' ? item.extension : undefined,
        stale: Object.keys(item).filter((name) => WINDOW.test(name) && name !== current),
      };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      // DynamoDB returns the item with the refusal; servers that do not (dynalite, the local stack) get one more read.
      const old = conditionFailureItem(error) ?? (await this.read(tenantId, crmUserId));
      if (options.requireAgent && typeof old?.extension !== 'string') return { taken: false, why: 'unknown_agent' };
      const presence = old ? presenceOf(old) : undefined;
      if (requireFree && presence?.awayFrom !== undefined && presence.awayFrom <= now && now < (presence.awayUntil ?? FOREVER_SEC)) {
        return { taken: false, why: 'away' };
      }
      if (presence?.lockedUntil !== undefined && presence.lockedUntil >= now && old?.holder !== holder) {
        return { taken: false, why: 'placing_call', heldBy: typeof old?.holder === 'string' ? old.holder : undefined };
      }
      if (requireFree && presence?.busyUntil !== undefined && presence.busyUntil >= now) return { taken: false, why: 'on_call' };
      if (options.window) {
        const members = old?.[windowAttribute(options.window.start)];
        if (members instanceof Set && members.size >= options.window.max && !members.has(memberToken(options.window.member))) {
          return { taken: false, why: 'rate_limited' };
        }
      }
      // The item changed between the refusal and the read: report the agent busy, the caller tries again later.
      return { taken: false, why: 'placing_call' };
    }
  }

  /**
   * Copies the agent's extension onto its presence item (the agent store calls it on every write of the agent), so
   * that a call naming the agent reads it in the same write that takes the agent's lock.
   */
  async setExtension(tenantId: string, crmUserId: string, extension: string): Promise<void> {
    await this.table.doc.send(
      new UpdateCommand({
        TableName: this.table.name,
        Key: this.key(tenantId, crmUserId),
        UpdateExpression: 'SET #type = :type, extension = :extension REMOVE expiresAt',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: { ':type': 'agentPresence', ':extension': extension },
      }),
    );
  }

  private async read(tenantId: string, crmUserId: string): Promise<Record<string, unknown> | undefined> {
    const out = await this.table.doc.send(
      new GetCommand({ TableName: this.table.name, Key: this.key(tenantId, crmUserId), ConsistentRead: true }),
    );
    return out.Item;
  }

  /**
   * Lets go of the lock `holder` took. With `busy`, the agent is then on that call until `busy.until` (a Call End
   * of the PBX frees it earlier, a Call Start holds it longer): the PBX accepted the dial, the agent's phone rings.
   * `giveBack` takes the member out of the per-minute window again (the call was refused after all); `stale` names
   * the windows of past minutes the take saw, removed here in the same write.
   */
  async release(
    tenantId: string,
    crmUserId: string,
    holder: string,
    busy?: { callId: string; until: number },
    cleanup: { giveBack?: PresenceWindow; stale?: string[] } = {},
  ): Promise<void> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':holder': holder };
    const removes = ['holder', 'leaseUntil'];
    const sets: string[] = [];
    if (busy) {
      sets.push('busyCallId = :callId', 'busyUntil = :until');
      values[':callId'] = busy.callId;
      values[':until'] = busy.until;
    }
    for (const [i, name] of (cleanup.stale ?? []).filter((n) => WINDOW.test(n)).entries()) {
      names[`#stale${i}`] = name;
      removes.push(`#stale${i}`);
    }
    let update = `${sets.length ? `SET ${sets.join(', ')} ` : ''}REMOVE ${removes.join(', ')}`;
    if (cleanup.giveBack) {
      names['#win'] = windowAttribute(cleanup.giveBack.start);
      values[':members'] = new Set([memberToken(cleanup.giveBack.member)]);
      update += ' DELETE #win :members';
    }
    try {
      await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: this.key(tenantId, crmUserId),
          UpdateExpression: update,
          ConditionExpression: 'holder = :holder',
          ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      // Someone else holds it now (our lease ran out): theirs to release.
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }

  /** The PBX says the agent is on `callId` (Call Start): busy until `until`, or until that call's Call End. */
  async markOnCall(tenantId: string, crmUserId: string, callId: string, until: number): Promise<void> {
    await this.table.doc.send(
      new UpdateCommand({
        TableName: this.table.name,
        Key: this.key(tenantId, crmUserId),
        UpdateExpression: 'SET #type = :type, busyCallId = :callId, busyUntil = :until REMOVE expiresAt',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: { ':type': 'agentPresence', ':callId': callId, ':until': until },
      }),
    );
  }

  /**
   * The PBX says `callId` ended (Call End): the agent is free from `now`, unless it is on another call by now
   * (a later call's Call Start came first). Returns whether the agent was freed.
   */
  async markCallEnded(tenantId: string, crmUserId: string, callId: string, now: number): Promise<boolean> {
    try {
      await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: this.key(tenantId, crmUserId),
          UpdateExpression: 'SET #type = :type, idleSince = :now REMOVE busyCallId, busyUntil, expiresAt',
          ConditionExpression: 'attribute_not_exists(busyCallId) OR busyCallId = :callId OR busyUntil < :now',
          ExpressionAttributeNames: { '#type': 'type' },
          ExpressionAttributeValues: { ':type': 'agentPresence', ':callId': callId, ':now': now },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /**
   * The CRM's away toggle. `available: false` is away from now until `until` (or until set back);
   * `available: true` is available now and, with `until`, away from then on.
   */
  async setAvailability(tenantId: string, crmUserId: string, available: boolean, now: number, until?: number): Promise<AgentPresence> {
    let update: string;
    const values: Record<string, unknown> = { ':type': 'agentPresence' };
    if (!available) {
      update = 'SET #type = :type, awayFrom = :from, awayUntil = :until REMOVE expiresAt';
      values[':from'] = now;
      values[':until'] = until ?? FOREVER_SEC;
    } else if (until !== undefined) {
      update = 'SET #type = :type, awayFrom = :from, awayUntil = :until REMOVE expiresAt';
      values[':from'] = until;
      values[':until'] = FOREVER_SEC;
    } else {
      update = 'SET #type = :type REMOVE awayFrom, awayUntil, expiresAt';
    }
    const out = await this.table.doc.send(
      new UpdateCommand({
        TableName: this.table.name,
        Key: this.key(tenantId, crmUserId),
        UpdateExpression: update,
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    return presenceOf(out.Attributes ?? {});
  }

  /** Presence of many agents of one tenant (100 keys to a request); agents never seen are absent. */
  async getMany(tenantId: string, crmUserIds: readonly string[]): Promise<Map<string, AgentPresence>> {
    const found = new Map<string, AgentPresence>();
    const unique = [...new Set(crmUserIds)];
    for (let i = 0; i < unique.length; i += 100) {
      let keys: Array<Record<string, unknown>> = unique.slice(i, i + 100).map((id) => this.key(tenantId, id));
      for (let attempt = 0; keys.length > 0; attempt++) {
        if (attempt > 8) throw new Error('DynamoDB kept returning unprocessed presence reads');
        if (attempt > 0) await new Promise((r) => setTimeout(r, 25 * 2 ** attempt));
        const out = await this.table.doc.send(
          new BatchGetCommand({ RequestItems: { [this.table.name]: { Keys: keys, ConsistentRead: true } } }),
        );
        for (const item of out.Responses?.[this.table.name] ?? []) {
          const sk = String(item.sk);
          found.set(sk.slice(sk.indexOf('#') + 1), presenceOf(item));
        }
        keys = out.UnprocessedKeys?.[this.table.name]?.Keys ?? [];
      }
    }
    return found;
  }

  async delete(tenantId: string, crmUserId: string): Promise<void> {
    await this.table.doc.send(new DeleteCommand({ TableName: this.table.name, Key: this.key(tenantId, crmUserId) }));
  }
}

const num = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

export function presenceOf(item: Record<string, unknown>): AgentPresence {
  const presence: AgentPresence = {};
  if (typeof item.holder === 'string') presence.lockedUntil = num(item.leaseUntil);
  if (typeof item.busyCallId === 'string') presence.busyCallId = item.busyCallId;
  presence.busyUntil = num(item.busyUntil);
  presence.awayFrom = num(item.awayFrom);
  presence.awayUntil = num(item.awayUntil);
  presence.idleSince = num(item.idleSince);
  for (const key of Object.keys(presence) as Array<keyof AgentPresence>) if (presence[key] === undefined) delete presence[key];
  return presence;
}
