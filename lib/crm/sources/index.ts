import type { SourceAdapter } from './adapter';
import { hubspot } from './hubspot';
import { pipedrive } from './pipedrive';
import { standard } from './standard';
import { token } from './token';

/**
 * The CRM source registry: the one list of the webhook sources the service speaks, in the order help texts show
 * them. Everything that names sources derives from it: the route's `{source}` (lib/crm/receive.ts), the stored
 * settings (the store is handed SOURCE_ADAPTERS), the OpenAPI enum, the CLI's `c2c hook`, the doctor, the local
 * samples. Adding a source: docs/design.md, "Adding a CRM source".
 */
const REGISTRY = [standard, hubspot, pipedrive, token] as const;

/** `{source}` of `/v1/hooks/{source}/{tenantId}`. */
export type WebhookSource = (typeof REGISTRY)[number]['name'];

export const WEBHOOK_SOURCES: readonly [WebhookSource, ...WebhookSource[]] = REGISTRY.map((adapter) => adapter.name) as [
  WebhookSource,
  ...WebhookSource[],
];

/** Each adapter by its name (a stored source's settings name it by the same). */
export const SOURCE_ADAPTERS: Readonly<Record<WebhookSource, SourceAdapter>> = Object.fromEntries(
  REGISTRY.map((adapter) => [adapter.name, adapter]),
) as Record<WebhookSource, SourceAdapter>;

/** Own names only: `constructor` or `__proto__` in a URL name no source. */
export const isWebhookSource = (value: string): value is WebhookSource => Object.hasOwn(SOURCE_ADAPTERS, value);

export { SecretFormatError, type DeliveryIdentity, type SecretFormat, type SourceAdapter } from './adapter';
