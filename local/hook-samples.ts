/**
 * The sample webhook deliveries of `events/hooks/<source>/<case>.json`: full API Gateway HTTP API
 * (payload 2.0) events, signed with the documented test secrets below at a fixed time.
 *
 * The tests load these files and re-sign them at the current time (`resignSample`), because a
 * signed timestamp is only good for five minutes. The same tool serves `serverless invoke local`:
 *
 *   npx tsx local/hook-samples.ts setup                  # the local stack's demo tenant accepts the samples
 *   npx tsx local/hook-samples.ts sign events/hooks/hubspot/valid.json > .local/hubspot-valid.json
 *   env $(npx tsx local/hook-samples.ts env) \
 *     npx serverless invoke local -f hooks --stage local -p .local/hubspot-valid.json
 *   npx tsx local/hook-samples.ts write                  # regenerates the files after a change here
 *
 * The secrets here are test values, published on purpose: never configure them on a real tenant.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { signHubSpotV3 } from '../lib/crm/hubspot';
import { basicAuthorization } from '../lib/crm/pipedrive';
import { SOURCE_ADAPTERS } from '../lib/crm/sources';
import { signStandardWebhook } from '../lib/crm/standard-webhooks';
import { EnvelopeSealer, LocalKeyProvider } from '../lib/secrets/seal';
import { AgentRepository } from '../lib/store/agents';
import { createDocumentClient } from '../lib/store/client';
import { WEBHOOK_SOURCES, WebhookSourceRepository, type WebhookSource } from '../lib/store/webhook-sources';

const ROOT = path.resolve(__dirname, '..');
export const SAMPLES_DIR = path.join(ROOT, 'events', 'hooks');

export const SAMPLE_TENANT_ID = 'demo';
/** When the samples were signed: 2026-03-12T10:00:00Z. */
export const SAMPLE_TIME_MS = Date.UTC(2026, 2, 12, 10, 0, 0);
const SAMPLE_HOST = 'a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com';

/** The tenant's live secrets in the samples. The Standard Webhooks one is the spec's own example secret. */
export const SAMPLE_SECRETS: Readonly<Record<WebhookSource, string>> = {
  standard: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  hubspot: 'hs-sample-client-secret-0f3c9a7e',
  pipedrive: 'c2c-samples:pipedrive-sample-password',
  token: 'c2ct_sample-token-for-tests-and-local-runs-only',
};

/** What the forger of `forged-signature.json` signed (or logged in) with: valid in form, not the tenant's. */
export const FORGED_SECRETS: Readonly<Record<WebhookSource, string>> = {
  standard: 'whsec_Zm9yZ2VkLWtleS1mb3ItdGhlLXNhbXBsZXMtMDAw',
  hubspot: 'hs-forged-client-secret-11111111',
  pipedrive: 'c2c-samples:a-guessed-password-000',
  token: 'c2ct_a-guessed-token-that-is-not-issued-0000',
};

/**
 * The agents the sample payloads name: the HubSpot owner and the Pipedrive user as CRM user ids
 * (the numeric ids those CRMs use), the local demo agents for the others.
 */
export const SAMPLE_AGENTS = [
  { crmUserId: '52550153', extension: '1000', email: 'alice@example.com' },
  { crmUserId: '23865811', extension: '1001' },
  { crmUserId: 'u-17', extension: '1000' },
] as const;

export const SAMPLE_CASES = ['valid', 'forged-signature', 'stale-timestamp', 'missing-field'] as const;
export type SampleCase = (typeof SAMPLE_CASES)[number];

/** Pipedrive's Basic credentials and the token carry no timestamp: they have no stale case. */
export function sampleCases(source: WebhookSource): SampleCase[] {
  return source === 'standard' || source === 'hubspot' ? [...SAMPLE_CASES] : SAMPLE_CASES.filter((c) => c !== 'stale-timestamp');
}

export const samplePath = (source: WebhookSource, kase: SampleCase) => path.join(SAMPLES_DIR, source, `${kase}.json`);

/** How far in the past a stale sample is signed: twice the five-minute window of both schemes. */
export const STALE_BY_MS = 10 * 60 * 1000;

function payload(source: WebhookSource, kase: SampleCase): unknown {
  const complete = kase !== 'missing-field';
  switch (source) {
    case 'standard':
      return {
        type: 'call.requested',
        timestamp: '2026-03-12T09:59:58.412Z',
        data: {
          agent: { crmUserId: 'u-17' },
          ...(complete ? { to: '+44 7766 889900' } : {}),
          lead: { id: 'lead-5521' },
        },
      };
    case 'hubspot': {
      // A contact enrolled in a workflow with a "Send a webhook" action: the record's properties,
      // each as {value, timestamp, source...}.
      const property = (value: string) => ({ value, timestamp: 1773309540000, source: 'CRM_UI', sourceId: 'userId:52550153' });
      return {
        objectId: 1051,
        objectType: 'CONTACT',
        portalId: 62515,
        properties: {
          firstname: property('Jane'),
          lastname: property('Doe'),
          email: property('jane.doe@example.org'),
          ...(complete ? { phone: property('+44 7766 889901') } : {}),
          hubspot_owner_id: property('52550153'),
          lifecyclestage: property('lead'),
          hs_object_id: property('1051'),
        },
      };
    }
    case 'pipedrive':
      // Webhooks v2, a person added: `meta.id` is the delivery's own id.
      return {
        data: {
          add_time: '2026-03-12T09:59:57Z',
          custom_fields: {},
          emails: [{ label: 'work', primary: true, value: 'sam.lee@example.org' }],
          first_name: 'Sam',
          id: 4242,
          label_ids: [],
          last_name: 'Lee',
          name: 'Sam Lee',
          org_id: 310,
          owner_id: 23865811,
          phones: complete ? [{ label: 'mobile', primary: true, value: '+44 7766 889902' }] : [],
          update_time: '2026-03-12T09:59:57Z',
          visible_to: '3',
        },
        previous: null,
        meta: {
          action: 'create',
          attempt: 1,
          change_source: 'app',
          company_id: 13279851,
          correlation_id: complete ? '5d7c1f0e-8a51-4f0b-9a8e-3c2b1d4e5f60' : '6e8d2a1f-9b62-4a1c-8b9f-4d3c2e5f6a71',
          entity_id: '4242',
          entity: 'person',
          host: 'samples.pipedrive.com',
          id: complete ? 'b4c1e2d3-7f6a-4e5d-8c9b-0a1f2e3d4c5b' : 'c5d2f3e4-8a7b-4f6e-9dac-1b2a3f4e5d6c',
          is_bulk_edit: false,
          timestamp: '2026-03-12T09:59:57.884Z',
          type: 'general',
          user_id: 23865811,
          version: '2.0',
          webhook_id: '881201',
          webhook_owner_id: 23865811,
        },
      };
    case 'token':
      // What a Zapier "Webhooks by Zapier" POST, a Make HTTP module or an n8n HTTP Request node sends.
      return { agent_email: 'alice@example.com', ...(complete ? { phone: '07766 889903' } : {}), lead_id: 'zap-lead-88' };
  }
}

const USER_AGENTS: Record<WebhookSource, string> = {
  standard: 'Svix-Webhooks/1.24.0',
  hubspot: 'HubSpot Connect 2.0 (http://dev.hubspot.com/) - WorkflowsWebhooksAppActionExecutor',
  pipedrive: 'Pipedrive Webhooks',
  token: 'Zapier',
};

/** The unsigned event of a sample: headers and body as the sender sends them. */
function baseEvent(source: WebhookSource, kase: SampleCase): APIGatewayProxyEventV2 {
  const rawPath = `/v1/hooks/${source}/${SAMPLE_TENANT_ID}`;
  const body = JSON.stringify(payload(source, kase));
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    host: SAMPLE_HOST,
    'user-agent': USER_AGENTS[source],
    'x-forwarded-for': '203.0.113.24',
    'x-forwarded-port': '443',
    'x-forwarded-proto': 'https',
    'content-length': String(Buffer.byteLength(body)),
  };
  if (source === 'standard')
    headers['webhook-id'] = kase === 'missing-field' ? 'msg_2fGqJ8cK4bTtWn0Yx7ZsV1aQ4eF' : 'msg_2fGqJ8cK4bTtWn0Yx7ZsV1aP3dE';
  if (source === 'token') headers['idempotency-key'] = kase === 'missing-field' ? 'zap-run-7731-b' : 'zap-run-7731-a';
  return {
    version: '2.0',
    routeKey: 'POST /v1/hooks/{source}/{tenantId}',
    rawPath,
    rawQueryString: '',
    headers,
    requestContext: {
      accountId: '123456789012',
      apiId: 'a1b2c3d4e5',
      domainName: SAMPLE_HOST,
      domainPrefix: 'a1b2c3d4e5',
      http: { method: 'POST', path: rawPath, protocol: 'HTTP/1.1', sourceIp: '203.0.113.24', userAgent: USER_AGENTS[source] },
      requestId: `sample-${source}-${kase}`,
      routeKey: 'POST /v1/hooks/{source}/{tenantId}',
      stage: '$default',
      time: '12/Mar/2026:10:00:00 +0000',
      timeEpoch: SAMPLE_TIME_MS,
    },
    pathParameters: { source, tenantId: SAMPLE_TENANT_ID },
    body,
    isBase64Encoded: false,
  };
}

/**
 * Signs (or logs in) an event as its case wants, at `nowMs`: a valid signature, one made with the
 * forger's secret, or a valid one made too long ago. The body is left as it is.
 */
export function resignSample(
  event: APIGatewayProxyEventV2,
  source: WebhookSource,
  kase: SampleCase,
  nowMs: number,
  secret?: string,
): APIGatewayProxyEventV2 {
  const key = secret ?? (kase === 'forged-signature' ? FORGED_SECRETS[source] : SAMPLE_SECRETS[source]);
  const at = kase === 'stale-timestamp' ? nowMs - STALE_BY_MS : nowMs;
  const body = event.body ?? '';
  const headers = { ...event.headers };
  switch (source) {
    case 'standard': {
      const seconds = Math.floor(at / 1000);
      headers['webhook-timestamp'] = String(seconds);
      headers['webhook-signature'] = signStandardWebhook(key, headers['webhook-id'] ?? '', seconds, body);
      break;
    }
    case 'hubspot': {
      const url = `https://${headers.host}${event.rawPath}${event.rawQueryString ? `?${event.rawQueryString}` : ''}`;
      headers['x-hubspot-request-timestamp'] = String(at);
      headers['x-hubspot-signature-v3'] = signHubSpotV3(key, 'POST', url, body, at);
      headers['x-hubspot-signature-version'] = 'v3';
      break;
    }
    case 'pipedrive': {
      const colon = key.indexOf(':');
      headers.authorization = basicAuthorization(key.slice(0, colon), key.slice(colon + 1));
      break;
    }
    case 'token':
      headers['x-c2c-token'] = key;
      break;
  }
  return { ...event, headers, requestContext: { ...event.requestContext, timeEpoch: nowMs } };
}

/** Points an event at another tenant's URL (sign it again afterwards: HubSpot signs the URL). */
export function retargetSample(event: APIGatewayProxyEventV2, tenantId: string): APIGatewayProxyEventV2 {
  const source = event.pathParameters?.source ?? '';
  const rawPath = `/v1/hooks/${source}/${tenantId}`;
  return {
    ...event,
    rawPath,
    pathParameters: { ...event.pathParameters, tenantId },
    requestContext: { ...event.requestContext, http: { ...event.requestContext.http, path: rawPath } },
  };
}

/** Reads a sample from `events/hooks`. */
export function loadSample(source: WebhookSource, kase: SampleCase): APIGatewayProxyEventV2 {
  return JSON.parse(readFileSync(samplePath(source, kase), 'utf8')) as APIGatewayProxyEventV2;
}

export function buildSample(source: WebhookSource, kase: SampleCase): APIGatewayProxyEventV2 {
  return resignSample(baseEvent(source, kase), source, kase, SAMPLE_TIME_MS);
}

function writeSamples(): string[] {
  const written: string[] = [];
  for (const source of WEBHOOK_SOURCES) {
    for (const kase of sampleCases(source)) {
      const file = samplePath(source, kase);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, `${JSON.stringify(buildSample(source, kase), null, 2)}\n`);
      written.push(path.relative(ROOT, file));
    }
  }
  return written;
}

/** The running local stack's facts; C2C_STACK_FILE names them when the stack was started with it (local/start.ts). */
function readStack(): { dynamoEndpoint: string; tableName: string; sealKey: string } {
  const stackFile = process.env.C2C_STACK_FILE?.trim() || path.join(ROOT, '.local', 'stack.json');
  return JSON.parse(readFileSync(stackFile, 'utf8')) as { dynamoEndpoint: string; tableName: string; sealKey: string };
}

/**
 * What `serverless invoke local` needs to run a handler against the running local stack, as `K=V` words for `env`:
 * the handlers under `npm start` get the same (local/stack.ts). Without them serverless.yml cannot resolve the
 * egress IP, sealed secrets do not open, and the PBX simulator on loopback is refused.
 */
function invokeEnv(): string {
  const stack = readStack();
  const env = {
    DYNAMODB_ENDPOINT: stack.dynamoEndpoint,
    EGRESS_IP: '127.0.0.1',
    C2C_LOCAL_SEAL_KEY: process.env.C2C_LOCAL_SEAL_KEY ?? stack.sealKey,
    ALLOW_PRIVATE_OUTBOUND: 'true',
  };
  return Object.entries(env)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
}

/** Configures the running local stack's demo tenant to accept the samples: test secrets and the sample agents. */
async function setupLocalStack(): Promise<void> {
  const stack = readStack();
  const table = { doc: createDocumentClient({ region: 'local', endpoint: stack.dynamoEndpoint }), name: stack.tableName };
  try {
    const sources = new WebhookSourceRepository(
      table,
      new EnvelopeSealer(new LocalKeyProvider(process.env.C2C_LOCAL_SEAL_KEY ?? stack.sealKey)),
    );
    for (const source of WEBHOOK_SOURCES) {
      const stored = SOURCE_ADAPTERS[source].secrets.toStored(SAMPLE_SECRETS[source]);
      const current = await sources.get(SAMPLE_TENANT_ID, source);
      if (!current?.secrets.some((s) => s.value === stored.value)) await sources.addSecret(SAMPLE_TENANT_ID, source, stored);
    }
    const agents = new AgentRepository(table);
    for (const { crmUserId, ...agent } of SAMPLE_AGENTS.slice(0, 2)) await agents.put(SAMPLE_TENANT_ID, crmUserId, agent);
    console.log(`Tenant ${SAMPLE_TENANT_ID} of the local stack now accepts the samples of events/hooks.`);
  } finally {
    table.doc.destroy();
  }
}

function sourceAndCase(file: string): { source: WebhookSource; kase: SampleCase } {
  const kase = path.basename(file, '.json') as SampleCase;
  const source = path.basename(path.dirname(file)) as WebhookSource;
  if (!(WEBHOOK_SOURCES as readonly string[]).includes(source) || !(SAMPLE_CASES as readonly string[]).includes(kase)) {
    throw new Error(`${file} is not a sample of events/hooks/<source>/<case>.json`);
  }
  return { source, kase };
}

async function main(argv: string[]): Promise<void> {
  const [command, file] = argv;
  if (command === 'write') {
    console.log(writeSamples().join('\n'));
  } else if (command === 'sign' && file) {
    const { source, kase } = sourceAndCase(path.resolve(file));
    const event = JSON.parse(readFileSync(file, 'utf8')) as APIGatewayProxyEventV2;
    console.log(JSON.stringify(resignSample(event, source, kase, Date.now()), null, 2));
  } else if (command === 'setup') {
    await setupLocalStack();
  } else if (command === 'env') {
    console.log(invokeEnv());
  } else {
    console.error('usage: tsx local/hook-samples.ts write | sign <events/hooks/<source>/<case>.json> | setup | env');
    process.exitCode = 2;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
