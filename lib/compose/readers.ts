import { Authenticator } from '../http/auth';
import type { OutboundPolicy } from '../net/outbound';
import { AgentRepository } from '../store/agents';
import { ApiKeyRepository } from '../store/api-keys';
import { createDocumentClient, type Table } from '../store/client';
import { createCursorCodec, type CursorCodec } from '../store/pagination';
import { TenantProfileReader } from '../store/tenant-profiles';
import { perRoot } from './root';

// The small pieces several use cases share, each built on first use and once per root (lib/compose/root.ts), without
// the call store (./call-store.ts) or the secrets (./shared.ts). A module's zod schemas are built when it is imported,
// whatever the bundle then uses of it: a function that reads agents imports this module, not the call store's, to get
// its table (BENCHMARKS.md, "Cold start, per function"). Marked pure so that a bundle keeps only the pieces it reads.

export const table = /* @__PURE__ */ perRoot(({ config }): Table => ({
  doc: createDocumentClient({ region: config.AWS_REGION, endpoint: config.DYNAMODB_ENDPOINT }),
  name: config.TABLE_NAME,
}));

/** Signs and checks pagination cursors: the stage's CURSOR_SECRET. Throws on a deployed stage that has none. */
export const cursors = /* @__PURE__ */ perRoot(({ config }): CursorCodec =>
  createCursorCodec({ secret: config.CURSOR_SECRET, offAws: config.DYNAMODB_ENDPOINT !== undefined }),
);

/** Which addresses requests to tenant-set URLs may reach (PBX, CDR search, callback): lib/net/outbound.ts. */
export const outbound = /* @__PURE__ */ perRoot(({ config }): OutboundPolicy => ({ allowPrivate: config.ALLOW_PRIVATE_OUTBOUND }));

export const agents = /* @__PURE__ */ perRoot((r) => new AgentRepository(table(r), r.clock, cursors(r)));
export const apiKeys = /* @__PURE__ */ perRoot((r) => new ApiKeyRepository(table(r), r.clock));

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
