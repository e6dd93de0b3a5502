import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import http from 'node:http';
import { listenOnLoopback } from '../local/ports';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { issuePbxEventsToken } from '../lib/calls/pbx-event-tokens';
import { SOURCE_ADAPTERS } from '../lib/crm/sources';
import { newCallbackSecret } from '../lib/notify/secrets';
import { EnvelopeSealer, LocalKeyProvider } from '../lib/secrets/seal';
import { AgentRepository } from '../lib/store/agents';
import { ApiKeyRepository, hashApiKey, SCOPES } from '../lib/store/api-keys';
import type { Table } from '../lib/store/client';
import { TenantRepository } from '../lib/store/tenants';
import { WebhookSourceRepository } from '../lib/store/webhook-sources';
import { HUBSPOT_FAKE_TOKEN } from '../local/crm-fakes/hubspot';
import { apiGatewayEvent, type ApiRequest } from '../local/api-event';

/**
 * What the partition model and the load test seed: tenants whose PBX is the simulator, with agents, teams, an API key,
 * a PBX events token, the outcome callback, a HubSpot connection and a webhook source (`token`), so that every call
 * plays its whole life: the request, the GET, the PBX's events, the notifications and the CRM's call log.
 */

/** The user agent of the seeding client: a count of requests at dynalite leaves its writes out (bench/dynalite-keys.ts). */
export const SETUP_USER_AGENT = 'c2c-bench-setup';

/** The token source's secret (local/hook-samples/token.ts publishes it as a test value). */
export const HOOK_TOKEN = 'c2ct_sample-token-for-tests-and-local-runs-only';

export interface SeededAgent {
  crmUserId: string;
  extension: string;
  email: string;
  teams: string[];
}

export interface SeededTenant {
  tenantId: string;
  apiKey: string;
  keyHash: string;
  pbxToken: string;
  callbackSecrets: string[];
  agents: SeededAgent[];
  teams: string[];
}

export interface TenantPlan {
  tenantId: string;
  /** Agents with their teams; their crmUserIds are HubSpot owners of the stand-in. */
  agents: SeededAgent[];
}

/** A table handle for seeding, under its own user agent. */
export function setupTable(endpoint: string, name: string): Table {
  const client = new DynamoDBClient({
    region: 'local',
    endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    customUserAgent: SETUP_USER_AGENT,
  });
  return { doc: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }), name };
}

/** Seeds one tenant (and its agents, key, token, callback, CRM connection and webhook source). */
export async function seedTenant(
  table: Table,
  sealKey: string,
  plan: TenantPlan,
  urls: { pbx: string; callback: string; hubspot: string },
  options: { pbxTokenId?: string } = {},
): Promise<SeededTenant> {
  const sealer = new EnvelopeSealer(new LocalKeyProvider(sealKey));
  const { token, record } = issuePbxEventsToken();
  if (options.pbxTokenId) record.id = options.pbxTokenId;
  const callback = newCallbackSecret();
  await new TenantRepository(table, sealer).create({
    tenantId: plan.tenantId,
    name: `Tenant ${plan.tenantId}`,
    crmId: '100',
    clientId: '200',
    defaultCountry: 'GB',
    pbx: { urlShape: 'click2call', baseUrl: urls.pbx, cdrApiUrl: `${urls.pbx}/api/cdrs` },
    // Caps with room for the load: the runs measure the keys, not the caps (which are still checked, and written).
    policy: {
      caps: { perDestination: { max: 1_000_000, windowSec: 900 }, perAgentPerMinute: 1_000_000, perTenantPerSecond: 1_000_000 },
      readsPerSecond: 100_000,
    },
    pbxEvents: { tokens: [record] },
    callback: { url: urls.callback, secrets: [callback] },
    crm: { hubspot: { apiUrl: urls.hubspot, token: HUBSPOT_FAKE_TOKEN, connectedAt: new Date().toISOString() } },
  });
  await new AgentRepository(table).putMany(
    plan.tenantId,
    plan.agents.map(({ crmUserId, extension, email, teams }) => ({ crmUserId, extension, email, teams })),
  );
  await new WebhookSourceRepository(table, sealer, SOURCE_ADAPTERS).addSecret(
    plan.tenantId,
    'token',
    SOURCE_ADAPTERS.token.secrets.toStored(HOOK_TOKEN),
  );
  const { key } = await new ApiKeyRepository(table).issue(plan.tenantId, 'bench', [...SCOPES]);
  return {
    tenantId: plan.tenantId,
    apiKey: key,
    keyHash: hashApiKey(key),
    pbxToken: token,
    callbackSecrets: [callback.secret],
    agents: plan.agents,
    teams: [...new Set(plan.agents.flatMap((a) => a.teams))],
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Requests as API Gateway hands them to the handlers.

export type { ApiRequest };

export type ApiHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>;

export async function invokeApi(handler: ApiHandler, request: ApiRequest): Promise<{ status: number; body: Record<string, unknown> }> {
  const result = (await handler(apiGatewayEvent(request), { awsRequestId: randomUUID(), functionName: 'bench' } as Context)) as
    APIGatewayProxyStructuredResultV2 | undefined;
  const text = typeof result?.body === 'string' ? result.body : '';
  return { status: result?.statusCode ?? 200, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** A call request with its key: to an agent, or a team (waiting up to `maxWaitSec`), now or at `notBefore`. */
export function callRequest(
  tenant: SeededTenant,
  n: string,
  target: { agent: string } | { team: string; maxWaitSec?: number },
  options: { to: string; lead: string; notBefore?: string },
): ApiRequest {
  const body = {
    ...('agent' in target
      ? { agent: { crmUserId: target.agent } }
      : { team: target.team, ...(target.maxWaitSec ? { maxWaitSec: target.maxWaitSec } : {}) }),
    to: options.to,
    lead: { id: options.lead },
    ...(options.notBefore ? { notBefore: options.notBefore } : {}),
  };
  return {
    method: 'POST',
    route: '/v1/calls',
    headers: { authorization: `Bearer ${tenant.apiKey}`, 'idempotency-key': `bench-${n}` },
    body: JSON.stringify(body),
  };
}

/** A delivery of the `token` webhook source (Zapier, Make, n8n), naming the agent by email. */
export function hookRequest(tenant: SeededTenant, n: string, agentEmail: string, options: { to: string; lead: string }): ApiRequest {
  return {
    method: 'POST',
    route: '/v1/hooks/{source}/{tenantId}',
    path: { source: 'token', tenantId: tenant.tenantId },
    headers: { 'x-c2c-token': HOOK_TOKEN, 'idempotency-key': `hook-${n}`, 'user-agent': 'Zapier' },
    body: JSON.stringify({ agent_email: agentEmail, phone: options.to, lead_id: options.lead }),
  };
}

/**
 * Serves the pbx-events handler over real HTTP (the route API Gateway gives it), for the simulator's PBX Stats
 * webhooks; `around` wraps each event (the model runs one thing at a time and records what each did).
 */
export async function servePbxEvents(
  handler: ApiHandler,
  around: (event: { tenantId: string; query: Record<string, string> }, run: () => Promise<number>) => Promise<number>,
): Promise<{ url: string; close(): Promise<void> }> {
  const pattern = /^\/v1\/pbx-events\/([^/]+)\/([^/]+)$/;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://local');
      const match = pattern.exec(url.pathname);
      if (!match) return void res.writeHead(404).end();
      const query = Object.fromEntries(url.searchParams);
      const tenantId = decodeURIComponent(match[1]!);
      const run = async () =>
        (
          await invokeApi(handler, {
            method: 'GET',
            route: '/v1/pbx-events/{tenantId}/{token}',
            path: { tenantId, token: decodeURIComponent(match[2]!) },
            query,
          })
        ).status;
      around({ tenantId, query }, run).then(
        (status) => res.writeHead(status).end(),
        () => res.writeHead(500).end(),
      );
    });
  });
  return listenOnLoopback(server);
}

/** A one-at-a-time lock: the model's stages never overlap, so each request is told to the stage that made it. */
export function serial() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const next = tail.then(fn, fn);
    tail = next.catch(() => undefined);
    return next;
  };
}
