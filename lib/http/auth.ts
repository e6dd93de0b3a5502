import type { ApiKeyRecord, Scope } from '../store/api-keys';
import { hashApiKey, tenantOfApiKey, type ApiKeyRepository } from '../store/api-keys';
import type { Tenant } from '../model/tenant';
import { ExpiringCache } from '../time/expiring-cache';
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

/**
 * Resolves a bearer key to its tenant. Key and tenant are read in parallel (the key names its
 * tenant) and kept per container for `cacheTtlMs`: a revoked key or a suspended tenant takes
 * effect within that time. Failed lookups are not cached, so a key just issued works at once.
 */
export class Authenticator {
  private readonly cache: ExpiringCache<{ key?: ApiKeyRecord; tenant?: Tenant }>;

  constructor(private readonly deps: { apiKeys: ApiKeyRepository; tenants: TenantReader; cacheTtlMs: number; now?: () => number }) {
    this.cache = new ExpiringCache(deps.cacheTtlMs, deps.now ?? Date.now, (v) => Boolean(v.key && v.tenant));
  }

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
    return this.cache.get(hashApiKey(key), () =>
      Promise.all([this.deps.apiKeys.findByKey(key), this.deps.tenants.get(tenantId)]).then(([k, t]) => ({ key: k, tenant: t })),
    );
  }
}
