import type { ApiKeyRecord, Scope } from '../store/api-keys';
import { hashApiKey, tenantOfApiKey, type ApiKeyRepository } from '../store/api-keys';
import type { Tenant } from '../model/tenant';
import { ForbiddenError, UnauthorizedError } from './errors';

export interface AuthContext {
  tenant: Tenant;
  keyId: string;
  scopes: readonly Scope[];
}

/** Where the tenant of a key is read: with its secrets opened (TenantRepository) or without them (TenantProfileReader). */
export interface TenantReader {
  get(tenantId: string): Promise<Tenant | undefined>;
}

interface CacheEntry {
  expiresAt: number;
  value: Promise<{ key?: ApiKeyRecord; tenant?: Tenant }>;
}

/**
 * Resolves a bearer key to its tenant. Key and tenant are read in parallel (the key names its
 * tenant) and kept per container for `cacheTtlMs`: a revoked key or a suspended tenant takes
 * effect within that time. Failed lookups are not cached, so a key just issued works at once.
 */
export class Authenticator {
  private readonly cache = new Map<string, CacheEntry>();

  constructor(private readonly deps: { apiKeys: ApiKeyRepository; tenants: TenantReader; cacheTtlMs: number; now?: () => number }) {}

  async authenticate(authorization: string | undefined, scope: Scope): Promise<AuthContext> {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match?.[1]) throw new UnauthorizedError('Send an API key as "Authorization: Bearer <key>".');
    const key = match[1];
    const tenantId = tenantOfApiKey(key);
    if (!tenantId) throw new UnauthorizedError('The API key is not valid.');

    const { key: record, tenant } = await this.lookup(key, tenantId);
    if (!record || record.revokedAt || record.tenantId !== tenantId || !tenant) {
      throw new UnauthorizedError('The API key is not valid or has been revoked.');
    }
    if (tenant.status !== 'active') throw new ForbiddenError('tenant_suspended', 'This tenant is suspended.');
    if (!record.scopes.includes(scope)) {
      throw new ForbiddenError('insufficient_scope', `This API key lacks the scope "${scope}".`);
    }
    return { tenant, keyId: record.keyId, scopes: record.scopes };
  }

  private lookup(key: string, tenantId: string) {
    const now = (this.deps.now ?? Date.now)();
    const cacheKey = hashApiKey(key);
    const hit = this.cache.get(cacheKey);
    if (hit && hit.expiresAt > now) return hit.value;
    const value = Promise.all([this.deps.apiKeys.findByKey(key), this.deps.tenants.get(tenantId)]).then(([k, t]) => ({
      key: k,
      tenant: t,
    }));
    if (this.deps.cacheTtlMs > 0) {
      this.cache.set(cacheKey, { expiresAt: now + this.deps.cacheTtlMs, value });
      value.then(
        (v) => {
          if (!v.key || !v.tenant) this.cache.delete(cacheKey);
        },
        () => this.cache.delete(cacheKey),
      );
      if (this.cache.size > 1000) this.evictExpired(now);
    }
    return value;
  }

  private evictExpired(now: number) {
    for (const [k, entry] of this.cache) if (entry.expiresAt <= now) this.cache.delete(k);
  }
}
