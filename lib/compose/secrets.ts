import { Authenticator } from '../http/auth';
import { createSealer, type SecretSealer } from '../secrets/seal';
import { TenantRepository } from '../store/tenants';
import { apiKeys, table } from './readers';
import { perRoot } from './root';

// The pieces that open tenants' secrets, built on first use and once per root (lib/compose/root.ts): only the
// compositions of the functions that use a tenant's secret import this module (./readers.ts holds the others).

/** Seals secrets at rest: KMS on AWS, the local key off AWS. Throws on a stage that has no key to seal with. */
export const sealer = /* @__PURE__ */ perRoot(({ config }): SecretSealer =>
  createSealer({
    kmsKeyId: config.SEAL_KMS_KEY_ID,
    localKey: config.C2C_LOCAL_SEAL_KEY,
    offAws: config.DYNAMODB_ENDPOINT !== undefined,
    region: config.AWS_REGION,
    dataKeyTtlMs: config.SEAL_DATA_KEY_TTL_SEC * 1000,
  }),
);

export const tenants = /* @__PURE__ */ perRoot((r) => new TenantRepository(table(r), sealer(r), r.clock));

/** API keys to tenants with their secrets opened, with the per-container cache of lib/http/auth.ts: for the functions that use a tenant's secret. */
export const authenticator = /* @__PURE__ */ perRoot(
  (r) =>
    new Authenticator({ apiKeys: apiKeys(r), tenants: tenants(r), cacheTtlMs: r.config.AUTH_CACHE_TTL_MS, now: () => r.clock().getTime() }),
);
