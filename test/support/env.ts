import { randomUUID } from 'node:crypto';
import { apiGatewayEvent, type ApiRequest } from '../../local/api-event';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { EnvelopeSealer, LocalKeyProvider } from '../../lib/secrets/seal';
import { AgentRepository } from '../../lib/store/agents';
import { ApiKeyRepository, SCOPES, type Scope } from '../../lib/store/api-keys';
import { createDocumentClient, type Table } from '../../lib/store/client';
import { TenantRepository } from '../../lib/store/tenants';
import type { NewTenant } from '../../lib/model/tenant';
import type { ApiBody } from './api-body';
import { createTable, startDynalite, type LocalDynamo } from '../../local/dynamo';
import { startPbxSimulator, type PbxSimulator } from '../../local/pbx-sim/simulator';

/** The local key of the tests' sealer (lib/secrets/seal.ts): fixed, so the handlers and the test code open each other's values. */
export const TEST_SEAL_KEY = Buffer.alloc(32, 7).toString('base64');
export const testSealer = () => new EnvelopeSealer(new LocalKeyProvider(TEST_SEAL_KEY));

export interface TestEnv {
  dynamo: LocalDynamo;
  sim: PbxSimulator;
  table: Table;
  tenants: TenantRepository;
  apiKeys: ApiKeyRepository;
  agents: AgentRepository;
  stop(): Promise<void>;
}

/** A real dynalite and a real PBX simulator on random loopback ports, with a fresh table. */
export async function startTestEnv(): Promise<TestEnv> {
  const dynamo = await startDynalite();
  const tableName = `c2c-test-${randomUUID().slice(0, 8)}`;
  await createTable(dynamo.endpoint, tableName);
  const sim = await startPbxSimulator({ extensions: ['1000', '1001', '1002'] });
  const table = { doc: createDocumentClient({ region: 'local', endpoint: dynamo.endpoint }), name: tableName };
  return {
    dynamo,
    sim,
    table,
    tenants: new TenantRepository(table, testSealer()),
    apiKeys: new ApiKeyRepository(table),
    agents: new AgentRepository(table),
    stop: async () => {
      table.doc.destroy();
      await sim.close();
      await dynamo.close();
    },
  };
}

/** Points the handlers' configuration (read at import) at the test environment. */
export function useEnvForHandlers(env: TestEnv, extra: Record<string, string> = {}) {
  Object.assign(process.env, {
    TABLE_NAME: env.table.name,
    DYNAMODB_ENDPOINT: env.dynamo.endpoint,
    AWS_REGION: 'eu-west-1',
    AUTH_CACHE_TTL_MS: '0',
    PBX_TIMEOUT_MS: '2000',
    POWERTOOLS_LOG_LEVEL: 'WARN',
    C2C_LOCAL_SEAL_KEY: TEST_SEAL_KEY,
    ...extra,
  });
}

/** A tenant whose PBX is the simulator, with agents and a key of the given scopes. */
export async function seedTenant(
  env: TestEnv,
  overrides: Partial<NewTenant> & { tenantId: string },
  options: { scopes?: Scope[]; agents?: Array<{ crmUserId: string; extension: string; email?: string }> } = {},
) {
  const tenant = await env.tenants.create({
    name: `Tenant ${overrides.tenantId}`,
    crmId: '100',
    clientId: '200',
    defaultCountry: 'GB',
    pbx: { urlShape: 'click2call', baseUrl: env.sim.url, cdrApiUrl: `${env.sim.url}/api/cdrs` },
    // Caps out of the way unless a test is about them: tests call the same numbers many times.
    policy: {
      caps: { perDestination: { max: 10_000, windowSec: 900 }, perAgentPerMinute: 10_000, perTenantPerSecond: 10_000 },
      readsPerSecond: 100_000,
    },
    ...overrides,
  });
  const agents = options.agents ?? [
    { crmUserId: 'u-17', extension: '1000', email: 'alice@example.com' },
    { crmUserId: 'u-18', extension: '1001' },
  ];
  for (const { crmUserId, ...agent } of agents) await env.agents.put(tenant.tenantId, crmUserId, agent);
  const { key, record } = await env.apiKeys.issue(tenant.tenantId, 'test', options.scopes ?? [...SCOPES]);
  return { tenant, key, keyId: record.keyId };
}

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;

export interface InvokeResult {
  status: number;
  headers: Record<string, string>;
  /** The JSON body; an answer without one reads as `{}`. */
  body: ApiBody;
}

/** Invokes a handler with an HTTP API (payload 2.0) event, as API Gateway would. */
export async function invoke(
  handler: Handler,
  /** `body` is sent as JSON; `rawBody`, when given, as it is. */
  request: Omit<ApiRequest, 'body'> & { body?: unknown; rawBody?: string },
): Promise<InvokeResult> {
  const event = apiGatewayEvent({
    ...request,
    body: request.rawBody ?? (request.body === undefined ? undefined : JSON.stringify(request.body)),
  });
  return invokeEvent(handler, event);
}

/** Invokes a handler with a complete API Gateway event, as `serverless invoke local -p <file>` does. */
export async function invokeEvent(handler: Handler, event: APIGatewayProxyEventV2): Promise<InvokeResult> {
  const context = { awsRequestId: randomUUID(), functionName: 'test' } as Context;
  const result = (await handler(event, context)) as APIGatewayProxyStructuredResultV2;
  const text = typeof result.body === 'string' ? result.body : '';
  return {
    status: result.statusCode ?? 200,
    headers: Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)])),
    body: text ? (JSON.parse(text) as ApiBody) : {},
  };
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
