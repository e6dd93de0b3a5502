import { DeleteCommand, GetCommand, PutCommand, QueryCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  isLiveSecret,
  MAX_SUBSCRIPTIONS,
  SECRET_OVERLAP_MS,
  subscriptionSchema,
  type OpenedSubscriptionSecret,
  type Subscription,
  type SubscriptionWithSecrets,
} from '../model/subscription';
import type { SealContext, SecretSealer } from '../secrets/seal';
import { systemClock, type Clock } from '../time/clock';
import type { Table } from './client';
import { CorruptItemError, isConditionalCheckFailed, StoreError } from './errors';
import { subscriptionSk, subscriptionSlotsSk, subscriptionsPrefix, tenantPk, tenantSk } from './keys';

/** The tenant holds MAX_SUBSCRIPTIONS already: nothing was written. */
export class SubscriptionLimitError extends StoreError {
  constructor(readonly limit: number) {
    super(`The tenant has ${limit} subscriptions already`);
    this.name = 'SubscriptionLimitError';
  }
}

/** A subscription with this id exists already (a migration run twice finds its own). */
export class SubscriptionExistsError extends StoreError {
  constructor(readonly id: string) {
    super(`Subscription ${id} exists already`);
    this.name = 'SubscriptionExistsError';
  }
}

/** What makes a subscription: its id is the caller's (random, or the migration's fixed one). */
export type NewSubscription = Pick<Subscription, 'id' | 'url' | 'events' | 'filter' | 'description' | 'origin'>;

/** The members a change may set; the rest (ids, secrets, dates) are the repository's. */
export type SubscriptionChange = Partial<
  Pick<Subscription, 'url' | 'events' | 'filter' | 'description' | 'status' | 'disabledReason' | 'failingSince' | 'enabledAt'>
>;

interface SealedSecret {
  id: string;
  /** The sealed value (lib/secrets/seal.ts), never opened here but to sign. */
  secret: string;
  createdAt: string;
  expiresAt: string | null;
}

/** A reservation older than this whose subscription item is missing was left by a create that died midway. */
const STALE_SLOT_MS = 60_000;

/** Where a subscription's secret lives: bound to the tenant of the key, the subscription and the secret's id. */
const secretContext = (tenantId: string, id: string, secretId: string): SealContext => ({
  tenantId,
  purpose: 'subscription-secrets',
  item: `subscriptions.${id}.secrets.${secretId}`,
});

/**
 * Webhook subscriptions: one item per subscription under its tenant (`SUB#<id>`), its signing secrets sealed
 * (purpose `subscription-secrets`, bound to the tenant, the subscription and the secret). The per-tenant limit is kept
 * by a slots item of the tenant (`SUBSLOTS`): a create first takes a slot by a conditional write (`size(slots) <
 * MAX`), then writes the item; a delete removes the item, then frees the slot. A create that dies between the two
 * leaves a slot with no item, which the next create that finds the slots full reclaims after a minute.
 *
 * Every change of an item is conditional on its revision (`rev`), which the delivery side's writes (a failure run, a
 * disable) bump too: no write of one side is lost under the other.
 */
export class SubscriptionRepository {
  constructor(
    private readonly table: Table,
    private readonly sealer: SecretSealer,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * @throws {SubscriptionLimitError} the tenant has MAX_SUBSCRIPTIONS already (nothing written)
   * @throws {SubscriptionExistsError} the id is taken
   */
  async create(tenantId: string, fields: NewSubscription, secrets: OpenedSubscriptionSecret[]): Promise<Subscription> {
    const now = this.clock().toISOString();
    const subscription = subscriptionSchema.parse({
      ...fields,
      tenantId,
      status: 'enabled',
      disabledReason: null,
      failingSince: null,
      secrets: secrets.map(({ id, createdAt, expiresAt }) => ({ id, createdAt, expiresAt })),
      createdAt: now,
      updatedAt: now,
    });
    // Sealed first: a seal that fails leaves nothing behind, not even a slot.
    const sealed = await Promise.all(secrets.map((s) => this.sealed(tenantId, subscription.id, s)));
    await this.takeSlot(tenantId, subscription.id, now);
    try {
      await this.table.doc.send(
        new PutCommand({
          TableName: this.table.name,
          Item: this.itemOf(subscription, sealed, 1),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      // The slot of an existing id is that subscription's own: kept.
      if (isConditionalCheckFailed(error)) throw new SubscriptionExistsError(subscription.id);
      await this.freeSlot(tenantId, subscription.id).catch(() => undefined);
      throw error;
    }
    return subscription;
  }

  async get(tenantId: string, id: string): Promise<Subscription | undefined> {
    const item = await this.read(tenantId, id, false);
    return item && parseItem(item, tenantId).subscription;
  }

  /** Every subscription of the tenant (at most MAX_SUBSCRIPTIONS), oldest first. */
  async list(tenantId: string): Promise<Subscription[]> {
    return (await this.readAll(tenantId)).map((item) => parseItem(item, tenantId).subscription);
  }

  /** One subscription with its live secrets opened: what a delivery or a test signs with. */
  async withSecrets(tenantId: string, id: string): Promise<SubscriptionWithSecrets | undefined> {
    const item = await this.read(tenantId, id, false);
    return item && this.opened(item, tenantId);
  }

  /** Every subscription of the tenant with its live secrets opened: what the delivery side reads per tenant. */
  async listWithSecrets(tenantId: string): Promise<SubscriptionWithSecrets[]> {
    return Promise.all((await this.readAll(tenantId)).map((item) => this.opened(item, tenantId)));
  }

  /** Applies `change` to the subscription as stored now; undefined for no such subscription. */
  async update(tenantId: string, id: string, change: (current: Subscription) => SubscriptionChange): Promise<Subscription | undefined> {
    return this.modify(tenantId, id, (current, sealed) => Promise.resolve({ change: change(current), sealed }));
  }

  /**
   * Adds a new signing secret; every secret that signed until now keeps signing for SECRET_OVERLAP_MS (one already
   * set to expire keeps its own, earlier, end), and expired ones are dropped. Undefined for no such subscription.
   */
  async rotateSecret(
    tenantId: string,
    id: string,
    secret: OpenedSubscriptionSecret,
  ): Promise<{ subscription: Subscription; previousSecretExpiresAt: string } | undefined> {
    let previousSecretExpiresAt = '';
    const subscription = await this.modify(tenantId, id, async (_current, sealed) => {
      const now = this.clock();
      const overlapEnd = new Date(now.getTime() + SECRET_OVERLAP_MS).toISOString();
      const kept = sealed
        .filter((s) => isLiveSecret(s, now))
        .map((s) => ({ ...s, expiresAt: s.expiresAt !== null && s.expiresAt < overlapEnd ? s.expiresAt : overlapEnd }));
      previousSecretExpiresAt = kept.reduce((latest, s) => (s.expiresAt > latest ? s.expiresAt : latest), '');
      return { change: {}, sealed: [...kept, await this.sealed(tenantId, id, secret)] };
    });
    return subscription && { subscription, previousSecretExpiresAt };
  }

  /** Deletes a subscription and frees its slot; false when there was none. */
  async delete(tenantId: string, id: string): Promise<boolean> {
    try {
      await this.table.doc.send(
        new DeleteCommand({
          TableName: this.table.name,
          Key: { pk: tenantPk(tenantId), sk: subscriptionSk(id) },
          ConditionExpression: 'attribute_exists(pk)',
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
    await this.freeSlot(tenantId, id);
    return true;
  }

  /**
   * The delivery side: the endpoint failed at `since` with no success since. Only the first failure of a run is
   * written (a run already under way keeps its start). False for no such subscription or a run already under way.
   */
  async markFailing(tenantId: string, id: string, since: string): Promise<boolean> {
    return this.conditionalSet(tenantId, id, 'SET failingSince = :since ADD rev :one', 'failingSince = :null', { ':since': since });
  }

  /** The delivery side: the endpoint delivered, its failure run (if any) is over. */
  async clearFailing(tenantId: string, id: string): Promise<boolean> {
    return this.conditionalSet(tenantId, id, 'SET failingSince = :null ADD rev :one', 'failingSince <> :null', {});
  }

  /** The delivery side: the endpoint failed for too long; disabled until a PATCH re-enables it. */
  async disable(tenantId: string, id: string, reason: string): Promise<boolean> {
    return this.conditionalSet(
      tenantId,
      id,
      'SET #status = :disabled, disabledReason = :reason, updatedAt = :now ADD rev :one',
      '#status <> :disabled',
      { ':disabled': 'disabled', ':reason': reason, ':now': this.clock().toISOString() },
      { '#status': 'status' },
    );
  }

  private async conditionalSet(
    tenantId: string,
    id: string,
    update: string,
    condition: string,
    values: Record<string, unknown>,
    names?: Record<string, string>,
  ): Promise<boolean> {
    try {
      await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: { pk: tenantPk(tenantId), sk: subscriptionSk(id) },
          UpdateExpression: update,
          ConditionExpression: `attribute_exists(pk) AND ${condition}`,
          ExpressionAttributeValues: { ...(`${update} ${condition}`.includes(':null') ? { ':null': null } : {}), ':one': 1, ...values },
          ...(names ? { ExpressionAttributeNames: names } : {}),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /** Reads, changes and writes back on condition that the revision is still the one read; a concurrent write is read again. */
  private async modify(
    tenantId: string,
    id: string,
    change: (current: Subscription, sealed: SealedSecret[]) => Promise<{ change: SubscriptionChange; sealed: SealedSecret[] }>,
  ): Promise<Subscription | undefined> {
    for (let attempt = 1; ; attempt++) {
      const item = await this.read(tenantId, id, true);
      if (!item) return undefined;
      const { subscription: current, sealed: before, rev } = parseItem(item, tenantId);
      const { change: proposed, sealed } = await change(current, before);
      const updatedAt = new Date(Math.max(this.clock().getTime(), Date.parse(current.updatedAt) + 1)).toISOString();
      const next = subscriptionSchema.parse({
        ...current,
        ...proposed,
        secrets: sealed.map(({ id: secretId, createdAt, expiresAt }) => ({ id: secretId, createdAt, expiresAt })),
        updatedAt,
      });
      try {
        await this.table.doc.send(
          new PutCommand({
            TableName: this.table.name,
            Item: this.itemOf(next, sealed, rev + 1),
            ConditionExpression: 'rev = :rev',
            ExpressionAttributeValues: { ':rev': rev },
          }),
        );
        return next;
      } catch (error) {
        if (!isConditionalCheckFailed(error) || attempt >= 5) throw error;
      }
    }
  }

  private itemOf(subscription: Subscription, sealed: SealedSecret[], rev: number): Record<string, unknown> {
    return {
      pk: tenantPk(subscription.tenantId),
      sk: subscriptionSk(subscription.id),
      type: 'subscription',
      ...subscription,
      secrets: sealed,
      rev,
    };
  }

  private async sealed(tenantId: string, id: string, secret: OpenedSubscriptionSecret): Promise<SealedSecret> {
    return { ...secret, secret: await this.sealer.seal(secret.secret, secretContext(tenantId, id, secret.id)) };
  }

  private async opened(item: Record<string, unknown>, tenantId: string): Promise<SubscriptionWithSecrets> {
    const { subscription, sealed } = parseItem(item, tenantId);
    const now = this.clock();
    const secrets = await Promise.all(
      sealed
        .filter((s) => isLiveSecret(s, now))
        .map(async (s) => ({ ...s, secret: await this.sealer.open(s.secret, secretContext(tenantId, subscription.id, s.id)) })),
    );
    return { ...subscription, secrets };
  }

  private async read(tenantId: string, id: string, consistent: boolean): Promise<Record<string, unknown> | undefined> {
    const out = await this.table.doc.send(
      new GetCommand({
        TableName: this.table.name,
        Key: { pk: tenantPk(tenantId), sk: subscriptionSk(id) },
        ...(consistent ? { ConsistentRead: true } : {}),
      }),
    );
    return out.Item;
  }

  private async readAll(tenantId: string): Promise<Array<Record<string, unknown>>> {
    const out = await this.table.doc.send(
      new QueryCommand({
        TableName: this.table.name,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': tenantPk(tenantId), ':prefix': subscriptionsPrefix() },
      }),
    );
    return (out.Items ?? []).sort((a, b) => String(a.createdAt).localeCompare(String(b.createdAt)));
  }

  /** Takes one of the tenant's slots for `id` (again, for an id that holds one), or throws SubscriptionLimitError. */
  private async takeSlot(tenantId: string, id: string, at: string): Promise<void> {
    const key = { pk: tenantPk(tenantId), sk: subscriptionSlotsSk() };
    for (let attempt = 1; attempt <= 6; attempt++) {
      try {
        await this.table.doc.send(
          new UpdateCommand({
            TableName: this.table.name,
            Key: key,
            UpdateExpression: 'SET slots.#id = :at',
            ConditionExpression: 'attribute_exists(slots.#id) OR size(slots) < :max',
            ExpressionAttributeNames: { '#id': id },
            ExpressionAttributeValues: { ':at': at, ':max': MAX_SUBSCRIPTIONS },
          }),
        );
        return;
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
      }
      const out = await this.table.doc.send(new GetCommand({ TableName: this.table.name, Key: key, ConsistentRead: true }));
      if (!out.Item) {
        // The tenant's first subscription: the slots item is made empty, once (a concurrent create may make it first).
        await this.table.doc
          .send(
            new PutCommand({
              TableName: this.table.name,
              Item: { ...key, type: 'subscriptionSlots', tenantId, slots: {} },
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
          )
          .catch((error: unknown) => {
            if (!isConditionalCheckFailed(error)) throw error;
          });
        continue;
      }
      const slots = (out.Item.slots ?? {}) as Record<string, string>;
      // Freed by a delete since the refused write: try again.
      if (Object.keys(slots).length < MAX_SUBSCRIPTIONS) continue;
      if (!(await this.reclaimStaleSlots(tenantId, slots))) {
        throw new SubscriptionLimitError(MAX_SUBSCRIPTIONS);
      }
    }
    throw new SubscriptionLimitError(MAX_SUBSCRIPTIONS);
  }

  /** Frees the slots of creates that died before writing their item; true when one was freed. */
  private async reclaimStaleSlots(tenantId: string, slots: Record<string, string>): Promise<boolean> {
    const cutoff = new Date(this.clock().getTime() - STALE_SLOT_MS).toISOString();
    const old = Object.entries(slots).filter(([, at]) => at < cutoff);
    if (old.length === 0) return false;
    const existing = new Set((await this.readAll(tenantId)).map((item) => String(item.id)));
    let freed = false;
    for (const [id, at] of old) {
      if (existing.has(id)) continue;
      try {
        await this.table.doc.send(
          new UpdateCommand({
            TableName: this.table.name,
            Key: { pk: tenantPk(tenantId), sk: subscriptionSlotsSk() },
            UpdateExpression: 'REMOVE slots.#id',
            ConditionExpression: 'slots.#id = :at',
            ExpressionAttributeNames: { '#id': id },
            ExpressionAttributeValues: { ':at': at },
          }),
        );
        freed = true;
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
      }
    }
    return freed;
  }

  private async freeSlot(tenantId: string, id: string): Promise<void> {
    try {
      await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: { pk: tenantPk(tenantId), sk: subscriptionSlotsSk() },
          UpdateExpression: 'REMOVE slots.#id',
          // Never creates the slots item: an update of a missing item would write one with no slots map.
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#id': id },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }
}

/** A stored item as the subscription, its sealed secrets and its revision; refuses one whose tenant is not its key's. */
function parseItem(
  item: Record<string, unknown>,
  keyTenantId: string,
): { subscription: Subscription; sealed: SealedSecret[]; rev: number } {
  const parsed = subscriptionSchema.safeParse(item);
  if (!parsed.success) throw new CorruptItemError('subscription', { cause: parsed.error });
  // An item copied whole under another tenant's key is not that tenant's subscription (and its secrets would not open).
  if (parsed.data.tenantId !== keyTenantId) throw new CorruptItemError('subscription');
  const sealed = (Array.isArray(item.secrets) ? item.secrets : []) as SealedSecret[];
  if (!sealed.every((s) => typeof s.secret === 'string')) throw new CorruptItemError('subscription');
  return { subscription: parsed.data, sealed, rev: typeof item.rev === 'number' ? item.rev : 0 };
}

/**
 * The ids of every tenant that still has a callback URL: for `c2c subscriptions migrate --all`, an operator's one-off.
 * A scan of the whole table (no index lists tenants): it reads every item once, page by page.
 */
export async function tenantIdsWithCallback(table: Table): Promise<string[]> {
  const ids: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await table.doc.send(
      new ScanCommand({
        TableName: table.name,
        FilterExpression: 'sk = :sk AND attribute_exists(callback)',
        ProjectionExpression: 'tenantId',
        ExpressionAttributeValues: { ':sk': tenantSk() },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of out.Items ?? []) if (typeof item.tenantId === 'string') ids.push(item.tenantId);
    start = out.LastEvaluatedKey;
  } while (start);
  return ids.sort();
}
