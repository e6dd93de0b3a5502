import { PlaceCall } from './calls/place-call';
import { loadConfig, type Config } from './config';
import { Authenticator } from './http/auth';
import { logger } from './http/logger';
import { Click2CallClient } from './pbx/click2call';
import { CallCaps } from './policy/caps';
import { AgentRepository } from './store/agents';
import { ApiKeyRepository } from './store/api-keys';
import { CallRepository } from './store/calls';
import { createDocumentClient, type Table } from './store/client';
import { RateLimitRepository } from './store/rate-limits';
import { TenantRepository } from './store/tenants';

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
}

export function buildContainer(config: Config = loadConfig()): Container {
  const table: Table = { doc: createDocumentClient({ region: config.AWS_REGION, endpoint: config.DYNAMODB_ENDPOINT }), name: config.TABLE_NAME };
  const tenants = new TenantRepository(table);
  const apiKeys = new ApiKeyRepository(table);
  const agents = new AgentRepository(table);
  const calls = new CallRepository(table);
  return {
    config,
    table,
    tenants,
    apiKeys,
    agents,
    calls,
    authenticator: new Authenticator({ apiKeys, tenants, cacheTtlMs: config.AUTH_CACHE_TTL_MS }),
    placeCall: new PlaceCall({
      calls,
      agents,
      caps: new CallCaps(new RateLimitRepository(table)),
      pbx: new Click2CallClient(),
      pbxTimeoutMs: config.PBX_TIMEOUT_MS,
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
