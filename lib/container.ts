import { PlaceCall } from './calls/place-call';
import { loadConfig, type Config } from './config';
import { Authenticator } from './http/auth';
import { logger } from './http/logger';
import { callMetrics } from './observability/metrics';
import { DEFAULT_NOTIFY_SETTINGS, NotificationDeliverer, type NotifySettings } from './notify/deliver';
import { Click2CallClient } from './pbx/click2call';
import { CallCaps } from './policy/caps';
import { AgentRepository } from './store/agents';
import { ApiKeyRepository } from './store/api-keys';
import { CallRepository } from './store/calls';
import { createDocumentClient, type Table } from './store/client';
import { DeadLetterRepository } from './store/dead-letters';
import { PbxEventRepository } from './store/pbx-events';
import { RateLimitRepository } from './store/rate-limits';
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
  const tenants = new TenantRepository(table);
  const apiKeys = new ApiKeyRepository(table);
  const agents = new AgentRepository(table);
  const calls = new CallRepository(table);
  const deadLetters = new DeadLetterRepository(table);
  return {
    config,
    table,
    tenants,
    apiKeys,
    agents,
    calls,
    webhookSources: new WebhookSourceRepository(table),
    authenticator: new Authenticator({ apiKeys, tenants, cacheTtlMs: config.AUTH_CACHE_TTL_MS }),
    placeCall: new PlaceCall({
      calls,
      agents,
      caps: new CallCaps(new RateLimitRepository(table)),
      pbx: new Click2CallClient(),
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
    }),
  };
}

let shared: Container | undefined;

/** The container of this Lambda instance: parsed and connected at cold start, reused while warm. */
export function container(): Container {
  shared ??= buildContainer();
  return shared;
}
