import { PlaceCall } from './calls/place-call';
import { loadConfig, type Config } from './config';
import { Authenticator } from './http/auth';
import { logger } from './http/logger';
import { callMetrics } from './observability/metrics';
import { DEFAULT_NOTIFY_SETTINGS, NotificationDeliverer, type NotifySettings } from './notify/deliver';
import type { OutboundPolicy } from './net/outbound';
import { Click2CallClient } from './pbx/click2call';
import { CallCaps } from './policy/caps';
import { createSealer, type SecretSealer } from './secrets/seal';
import { AgentRepository } from './store/agents';
import { ApiKeyRepository } from './store/api-keys';
import { CallRepository } from './store/calls';
import { createDocumentClient, type Table } from './store/client';
import { DeadLetterRepository } from './store/dead-letters';
import { PbxEventRepository } from './store/pbx-events';
import { RateLimitRepository } from './store/rate-limits';
import { DedupeWindowRepository } from './store/dedupe-windows';
import { TenantRepository } from './store/tenants';
import { WebhookSourceRepository } from './store/webhook-sources';

/** Everything a handler needs, built once per container from the environment. */
export interface Container {
  config: Config;
  table: Table;
  tenants: TenantRepository;
  apiKeys: ApiKeyRepository;
  agents: AgentRepository;
  calls: CallRepository;
  authenticator: Authenticator;
  placeCall: PlaceCall;
  /** Raw PBX Stats events (functions/pbx-events.ts). */
  pbxEvents: PbxEventRepository;
  deadLetters: DeadLetterRepository;
  /** Outcome notifications: the stream function, the scheduled retry and the local poller all run this. */
  notifier: NotificationDeliverer;
  /** Inbound webhook sources: secrets and field mappings per tenant (functions/hooks.ts). */
  webhookSources: WebhookSourceRepository;
  /** Which addresses requests to tenant-set URLs may reach (PBX, CDR search, callback): lib/net/outbound.ts. */
  outbound: OutboundPolicy;
  /** Seals secrets at rest: KMS on AWS, the local key off AWS (lib/secrets/seal.ts). */
  sealer: SecretSealer;
}

/** The sealer of a configuration; throws at cold start on a stage that has no key to seal with. */
export function sealerOf(config: Config): SecretSealer {
  return createSealer({
    kmsKeyId: config.SEAL_KMS_KEY_ID,
    localKey: config.C2C_LOCAL_SEAL_KEY,
    offAws: config.DYNAMODB_ENDPOINT !== undefined,
    region: config.AWS_REGION,
    dataKeyTtlMs: config.SEAL_DATA_KEY_TTL_SEC * 1000,
  });
}

/** The notification settings of a configuration. */
export function notifySettingsOf(config: Config): NotifySettings {
  return {
    ...DEFAULT_NOTIFY_SETTINGS,
    timeoutMs: config.NOTIFY_TIMEOUT_MS,
    baseDelayMs: config.NOTIFY_BASE_DELAY_MS,
    maxDelayMs: config.NOTIFY_MAX_DELAY_MS,
    maxAgeMs: config.NOTIFY_MAX_AGE_SEC * 1000,
    maxAttempts: config.NOTIFY_MAX_ATTEMPTS,
  };
}

export function buildContainer(config: Config = loadConfig()): Container {
  const table: Table = { doc: createDocumentClient({ region: config.AWS_REGION, endpoint: config.DYNAMODB_ENDPOINT }), name: config.TABLE_NAME };
  const sealer = sealerOf(config);
  const tenants = new TenantRepository(table, sealer);
  const apiKeys = new ApiKeyRepository(table);
  const agents = new AgentRepository(table);
  const calls = new CallRepository(table);
  const deadLetters = new DeadLetterRepository(table);
  const outbound: OutboundPolicy = { allowPrivate: config.ALLOW_PRIVATE_OUTBOUND };
  return {
    config,
    outbound,
    table,
    tenants,
    apiKeys,
    agents,
    calls,
    webhookSources: new WebhookSourceRepository(table, sealer),
    sealer,
    authenticator: new Authenticator({ apiKeys, tenants, cacheTtlMs: config.AUTH_CACHE_TTL_MS }),
    placeCall: new PlaceCall({
      calls,
      agents,
      caps: new CallCaps(new RateLimitRepository(table)),
      windows: new DedupeWindowRepository(table),
      pbx: new Click2CallClient({ outbound }),
      pbxTimeoutMs: config.PBX_TIMEOUT_MS,
      logger,
      metrics: callMetrics,
    }),
    pbxEvents: new PbxEventRepository(table),
    deadLetters,
    notifier: new NotificationDeliverer({
      calls,
      getTenant: (tenantId) => tenants.get(tenantId),
      sink: deadLetters,
      settings: notifySettingsOf(config),
      logger,
      outbound,
    }),
  };
}

let shared: Container | undefined;

/** The container of this Lambda instance: parsed and connected at cold start, reused while warm. */
export function container(): Container {
  shared ??= buildContainer();
  return shared;
}
