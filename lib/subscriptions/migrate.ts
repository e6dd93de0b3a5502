import { createHash } from 'node:crypto';
import { DomainError } from '../model/domain-error';
import type { Subscription } from '../model/subscription';
import { SubscriptionExistsError, SubscriptionLimitError, type SubscriptionRepository } from '../store/subscriptions';
import type { TenantRepository } from '../store/tenants';
import { subscriptionLimit } from './subscriptions';

/**
 * What became of a tenant's callback URL: `migrated` (it is a subscription now, and the tenant has no callback any
 * more), `already_migrated` (a run before did it), `no_callback` (nothing to migrate), `callback_differs` (the tenant
 * has its migrated subscription and a callback set since, to another URL: left as it is, for the operator to decide).
 */
export type MigrationOutcome = 'migrated' | 'already_migrated' | 'no_callback' | 'callback_differs';

export interface MigrationResult {
  tenantId: string;
  outcome: MigrationOutcome;
  subscriptionId: string | null;
}

/**
 * The id of the subscription a tenant's callback becomes: fixed per tenant, so that two runs (even at once) make one
 * subscription, never two.
 */
export function migratedSubscriptionId(tenantId: string): string {
  return `sub_cb${createHash('sha256').update(`callback:${tenantId}`).digest('base64url').slice(0, 14)}`;
}

/**
 * The tenant's callback URL becomes its first webhook subscription (docs/operations.md, "Webhook subscriptions"):
 * every event (`["*"]`), the same URL and the same signing secrets, so its receiver keeps verifying as before; then
 * the callback is removed from the tenant, so each event reaches the endpoint once, through the subscription.
 */
export class CallbackMigration {
  constructor(private readonly deps: { tenants: TenantRepository; subscriptions: SubscriptionRepository }) {}

  /**
   * Idempotent: a second run finds the subscription and changes nothing.
   *
   * @throws {DomainError} `not_found` (no such tenant), `subscription_limit` (the tenant has 20 subscriptions already)
   */
  async migrateCallbackToSubscription(tenantId: string): Promise<MigrationResult> {
    const tenant = await this.deps.tenants.get(tenantId);
    if (!tenant) throw new DomainError('not_found', `No tenant ${tenantId}.`);
    const id = migratedSubscriptionId(tenantId);
    const result = (outcome: MigrationOutcome, subscriptionId: string | null = id): MigrationResult => ({
      tenantId,
      outcome,
      subscriptionId,
    });
    let existing: Subscription | undefined = await this.deps.subscriptions.get(tenantId, id);
    const callback = tenant.callback;
    if (!callback) return existing ? result('already_migrated') : result('no_callback', null);
    if (existing && existing.url !== callback.url) return result('callback_differs');
    if (!existing) {
      try {
        existing = await this.deps.subscriptions.create(
          tenantId,
          { id, url: callback.url, events: ['*'], filter: null, description: 'The callback URL, migrated', origin: 'callback' },
          callback.secrets.map((s) => ({ ...s, expiresAt: null })),
        );
      } catch (error) {
        if (error instanceof SubscriptionLimitError) throw subscriptionLimit();
        // A run at the same time made it: the callback is removed below all the same.
        if (!(error instanceof SubscriptionExistsError)) throw error;
      }
    }
    // Removed only while it is still the URL migrated: a callback changed meanwhile is the operator's to look at.
    let removed = false;
    await this.deps.tenants.update(tenantId, (current) => {
      if (current.callback?.url !== callback.url) return current;
      const { callback: _migrated, ...rest } = current;
      removed = true;
      return rest;
    });
    return result(removed ? 'migrated' : 'already_migrated');
  }
}
