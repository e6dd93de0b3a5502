import type { Tenant } from '../model/tenant';
import { ExpiringCache } from '../time/expiring-cache';

/** Where tenants are read from: the tenant store, with or without its sealed fields opened. */
export interface TenantSource {
  get(tenantId: string): Promise<Tenant | undefined>;
}

/** A tenant read through the container's copy, or afresh (`fresh`: the copy may be older than what the caller was sent). */
export type CachedTenantGet = (tenantId: string, options?: { fresh?: boolean }) => Promise<Tenant | undefined>;

/**
 * A container's copy of the tenants it read, kept `ttlMs`, as the API keys' cache keeps a key's tenant
 * (lib/http/auth.ts, AUTH_CACHE_TTL_MS). Without it every PBX event of a call reads its tenant's item, which all of the
 * tenant's calls share: three events a call at half a read unit each (docs/design.md, "Which keys bound the service").
 * A tenant not found is not kept, so a tenant just created is seen at once; `fresh` reads past the copy and replaces it.
 */
export function cachedTenants(source: TenantSource, ttlMs: number, now: () => number): CachedTenantGet {
  const copies = new ExpiringCache<Tenant | undefined>(ttlMs, now, (tenant) => tenant !== undefined);
  return (tenantId, options) => copies.get(tenantId, () => source.get(tenantId), options);
}
