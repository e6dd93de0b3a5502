import type { Tenant } from '../model/tenant';

/** Where tenants are read from: the tenant store, with or without its sealed fields opened. */
export interface TenantSource {
  get(tenantId: string): Promise<Tenant | undefined>;
}

/** A tenant read through the container's copy, or afresh (`fresh`: the copy may be older than what the caller was sent). */
export type CachedTenantGet = (tenantId: string, options?: { fresh?: boolean }) => Promise<Tenant | undefined>;

/** Entries past this count make the next read drop the expired ones: a container serves a bounded set of tenants. */
const EVICT_ABOVE = 1000;

/**
 * A container's copy of the tenants it read, kept `ttlMs`, as the API keys' cache keeps a key's tenant
 * (lib/http/auth.ts, AUTH_CACHE_TTL_MS). Without it every PBX event of a call reads its tenant's item, which all of the
 * tenant's calls share: three events a call at half a read unit each put a tenant placing 1,000 calls a second at half
 * of the item's 3,000 read units (docs/design.md, "Which keys bound the service"). A tenant not found is not kept, so a
 * tenant just created is seen at once; reads in flight are shared; `fresh` reads past the copy and replaces it.
 */
export function cachedTenants(source: TenantSource, ttlMs: number, now: () => number): CachedTenantGet {
  const copies = new Map<string, { expiresAt: number; tenant: Promise<Tenant | undefined> }>();
  return (tenantId, options) => {
    const at = now();
    const hit = copies.get(tenantId);
    if (hit && hit.expiresAt > at && !options?.fresh) return hit.tenant;
    const tenant = source.get(tenantId);
    if (ttlMs <= 0) return tenant;
    if (copies.size > EVICT_ABOVE) for (const [id, copy] of copies) if (copy.expiresAt <= at) copies.delete(id);
    const copy = { expiresAt: at + ttlMs, tenant };
    copies.set(tenantId, copy);
    const forget = () => {
      if (copies.get(tenantId) === copy) copies.delete(tenantId);
    };
    tenant.then((found) => found ?? forget(), forget);
    return tenant;
  };
}
