/**
 * What an API key may do. A model of its own (not lib/store/api-keys.ts, which re-exports it) so that the OpenAPI
 * document lists the scopes without bundling the DynamoDB client that the key repository needs. `tenant:admin` reads
 * and changes the tenant's own settings (GET and PATCH /v1/tenant): for the integration that configures the tenant.
 */
export const SCOPES = [
  'calls:write',
  'calls:read',
  'agents:write',
  'agents:read',
  'tenant:admin',
  /** Webhook subscriptions (docs/api.md, "Subscriptions"): create, change, delete, test, rotate their secrets. */
  'subscriptions:write',
  /** Webhook subscriptions: list, read, and read their delivery logs. */
  'subscriptions:read',
] as const;
export type Scope = (typeof SCOPES)[number];
