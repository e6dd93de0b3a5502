import { Authenticator } from '../http/auth';
import type { OutboundPolicy } from '../net/outbound';
import { createSealer, type SecretSealer } from '../secrets/seal';
import { AgentRepository } from '../store/agents';
import { ApiKeyRepository } from '../store/api-keys';
import { CallRepository } from '../store/calls';
import { CallLedger } from '../store/calls/ledger';
import type { PlaceCallStore } from '../calls/place/context';
import { WorkDirectory } from '../store/work-directory';
import { createDocumentClient, type Table } from '../store/client';
import { createCursorCodec, type CursorCodec } from '../store/pagination';
import { TenantProfileReader } from '../store/tenant-profiles';
import { TenantRepository } from '../store/tenants';
import { perRoot } from './root';

// The small pieces several use cases share, each built on first use and once per root (lib/compose/root.ts).
// Marked pure so that a bundle keeps only the pieces its use case reads (the reconciler's holds no authenticator).

export const table = /* @__PURE__ */ perRoot(({ config }): Table => ({
  doc: createDocumentClient({ region: config.AWS_REGION, endpoint: config.DYNAMODB_ENDPOINT }),
  name: config.TABLE_NAME,
}));

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

/** Signs and checks pagination cursors: the stage's CURSOR_SECRET. Throws on a deployed stage that has none. */
export const cursors = /* @__PURE__ */ perRoot(({ config }): CursorCodec =>
  createCursorCodec({ secret: config.CURSOR_SECRET, offAws: config.DYNAMODB_ENDPOINT !== undefined }),
);

/** Which addresses requests to tenant-set URLs may reach (PBX, CDR search, callback): lib/net/outbound.ts. */
export const outbound = /* @__PURE__ */ perRoot(({ config }): OutboundPolicy => ({ allowPrivate: config.ALLOW_PRIVATE_OUTBOUND }));

export const tenants = /* @__PURE__ */ perRoot((r) => new TenantRepository(table(r), sealer(r), r.clock));
export const agents = /* @__PURE__ */ perRoot((r) => new AgentRepository(table(r), r.clock, cursors(r)));
export const calls = /* @__PURE__ */ perRoot((r) => new CallRepository(table(r), r.clock, cursors(r), r.config.CALL_INDEXES));
/**
 * The call path's part of the call store (PlaceCall's `PlaceCallStore`): the ledger over the work directory, without the
 * facade's listings, outbox and scheduler parts, so callsCreate and hooks bundle none of them.
 */
export const callLedger = /* @__PURE__ */ perRoot((r): PlaceCallStore => {
  const work = new WorkDirectory(table(r), r.clock);
  const ledger = new CallLedger(table(r), work, r.clock, r.config.CALL_INDEXES);
  return {
    get: (...args) => ledger.get(...args),
    reserve: (...args) => ledger.reserve(...args),
    transition: (...args) => ledger.transition(...args),
    redispatch: (...args) => ledger.redispatch(...args),
    patch: (...args) => ledger.patch(...args),
    work,
  };
});
export const apiKeys = /* @__PURE__ */ perRoot((r) => new ApiKeyRepository(table(r), r.clock));

/** API keys to tenants with their secrets opened, with the per-container cache of lib/http/auth.ts: for the functions that use a tenant's secret. */
export const authenticator = /* @__PURE__ */ perRoot(
  (r) =>
    new Authenticator({ apiKeys: apiKeys(r), tenants: tenants(r), cacheTtlMs: r.config.AUTH_CACHE_TTL_MS, now: () => r.clock().getTime() }),
);

/** Tenants read without their secrets (lib/store/tenant-profiles.ts). */
export const tenantProfiles = /* @__PURE__ */ perRoot((r) => new TenantProfileReader(table(r)));

/**
 * API keys to tenants without their secrets: for the functions that use none (reads, cancels, agents, the do-not-call
 * list, the delivery log), whose bundles then carry neither the sealer nor the KMS SDK.
 */
export const readerAuthenticator = /* @__PURE__ */ perRoot(
  (r) =>
    new Authenticator({
      apiKeys: apiKeys(r),
      tenants: tenantProfiles(r),
      cacheTtlMs: r.config.AUTH_CACHE_TTL_MS,
      now: () => r.clock().getTime(),
    }),
);
