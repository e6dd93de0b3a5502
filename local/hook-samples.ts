/**
 * The sample webhook deliveries of `events/hooks/<source>/<case>.json`: full API Gateway HTTP API
 * (payload 2.0) events, signed at a fixed time with the documented test secrets of each source's samples
 * (`local/hook-samples/<source>.ts`: payload, secrets, how its sender signs and varies a delivery).
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
import { isWebhookSource, SOURCE_ADAPTERS, WEBHOOK_SOURCES, type WebhookSource } from '../lib/crm/sources';
import { EnvelopeSealer, LocalKeyProvider } from '../lib/secrets/seal';
import { AgentRepository } from '../lib/store/agents';
import { createDocumentClient } from '../lib/store/client';
import { WebhookSourceRepository } from '../lib/store/webhook-sources';
import { hubspot } from './hook-samples/hubspot';
import { pipedrive } from './hook-samples/pipedrive';
import type { SourceSamples } from './hook-samples/source-samples';
import { standard } from './hook-samples/standard';
import { token } from './hook-samples/token';
import { LOCAL_CURSOR_SECRET } from '../lib/store/pagination';

/**
 * Each source's samples (local/hook-samples/<source>.ts), one line per source of the registry (lib/crm/sources): the
 * type asks for every source the registry lists, so a new adapter without its samples does not compile.
 */
export const SOURCE_SAMPLES: Readonly<Record<WebhookSource, SourceSamples>> = { standard, hubspot, pipedrive, token };

const ROOT = path.resolve(__dirname, '..');
export const SAMPLES_DIR = path.join(ROOT, 'events', 'hooks');

export const SAMPLE_TENANT_ID = 'demo';
/** When the samples were signed: 2026-03-12T10:00:00Z. */
export const SAMPLE_TIME_MS = Date.UTC(2026, 2, 12, 10, 0, 0);
const SAMPLE_HOST = 'a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com';

const bySource = <T>(pick: (samples: SourceSamples) => T): Readonly<Record<WebhookSource, T>> =>
  Object.fromEntries(WEBHOOK_SOURCES.map((source) => [source, pick(SOURCE_SAMPLES[source])])) as Record<WebhookSource, T>;

/** The tenant's live secrets in the samples. The Standard Webhooks one is the spec's own example secret. */
export const SAMPLE_SECRETS = bySource((samples) => samples.secret);

/** What the forger of `forged-signature.json` signed (or logged in) with: valid in form, not the tenant's. */
export const FORGED_SECRETS = bySource((samples) => samples.forgedSecret);

/**
 * The agents the sample payloads name: the HubSpot owner and the Pipedrive user as CRM user ids
 * (the numeric ids those CRMs use), the local demo agents for the others.
 */
export const SAMPLE_AGENTS = [
  { crmUserId: '52550153', extension: '1000', email: 'alice@example.com' },
  { crmUserId: '23865811', extension: '1001' },
  { crmUserId: 'u-17', extension: '1002' },
] as const;

export const SAMPLE_CASES = ['valid', 'forged-signature', 'stale-timestamp', 'missing-field'] as const;
export type SampleCase = (typeof SAMPLE_CASES)[number];

/** A scheme that signs no timestamp (Pipedrive's Basic credentials, the token) has no stale case. */
export function sampleCases(source: WebhookSource): SampleCase[] {
  return SOURCE_SAMPLES[source].signsTimestamp ? [...SAMPLE_CASES] : SAMPLE_CASES.filter((c) => c !== 'stale-timestamp');
}

export const samplePath = (source: WebhookSource, kase: SampleCase) => path.join(SAMPLES_DIR, source, `${kase}.json`);

/** How far in the past a stale sample is signed: twice the five-minute window of both schemes. */
export const STALE_BY_MS = 10 * 60 * 1000;

/** The unsigned event of a sample: headers and body as the sender sends them. */
function baseEvent(source: WebhookSource, kase: SampleCase): APIGatewayProxyEventV2 {
  const samples = SOURCE_SAMPLES[source];
  const complete = kase !== 'missing-field';
  const rawPath = `/v1/hooks/${source}/${SAMPLE_TENANT_ID}`;
  const body = JSON.stringify(samples.payload(complete));
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    host: SAMPLE_HOST,
    'user-agent': samples.userAgent,
    'x-forwarded-for': '203.0.113.24',
    'x-forwarded-port': '443',
    'x-forwarded-proto': 'https',
    'content-length': String(Buffer.byteLength(body)),
    ...samples.headers?.(complete),
  };
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
      http: { method: 'POST', path: rawPath, protocol: 'HTTP/1.1', sourceIp: '203.0.113.24', userAgent: samples.userAgent },
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
  const samples = SOURCE_SAMPLES[source];
  const key = secret ?? (kase === 'forged-signature' ? samples.forgedSecret : samples.secret);
  const at = kase === 'stale-timestamp' ? nowMs - STALE_BY_MS : nowMs;
  const url = `https://${event.headers.host}${event.rawPath}${event.rawQueryString ? `?${event.rawQueryString}` : ''}`;
  const headers = { ...event.headers, ...samples.sign({ url, headers: event.headers, body: event.body ?? '' }, key, at) };
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
function readStack(): { dynamoEndpoint: string; tableName: string; sealKey: string; pbxSimulatorUrl?: string } {
  const stackFile = process.env.C2C_STACK_FILE?.trim() || path.join(ROOT, '.local', 'stack.json');
  return JSON.parse(readFileSync(stackFile, 'utf8')) as {
    dynamoEndpoint: string;
    tableName: string;
    sealKey: string;
    pbxSimulatorUrl?: string;
  };
}

/**
 * The extensions the sample agents get in the demo tenant, whose own agents hold 1000-1002 (local/seed.ts): one agent
 * per extension (docs/api.md). The running simulator is told to accept them.
 */
const LOCAL_SAMPLE_EXTENSIONS = ['1003', '1004'];

/**
 * What `serverless invoke local` needs to run a handler against the running local stack, as `K=V` words for `env`:
 * the handlers under `npm start` get the same (local/stack.ts). Without them serverless.yml cannot resolve the
 * egress IP or the cursor secret (CloudFormation references), sealed secrets do not open, and the PBX simulator on
 * loopback is refused.
 */
function invokeEnv(): string {
  const stack = readStack();
  const env = {
    DYNAMODB_ENDPOINT: stack.dynamoEndpoint,
    EGRESS_IP: '127.0.0.1',
    C2C_LOCAL_SEAL_KEY: process.env.C2C_LOCAL_SEAL_KEY ?? stack.sealKey,
    CURSOR_SECRET: LOCAL_CURSOR_SECRET,
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
      SOURCE_ADAPTERS,
    );
    for (const source of WEBHOOK_SOURCES) {
      const stored = SOURCE_ADAPTERS[source].secrets.toStored(SAMPLE_SECRETS[source]);
      const current = await sources.get(SAMPLE_TENANT_ID, source);
      if (!current?.secrets.some((s) => s.value === stored.value)) await sources.addSecret(SAMPLE_TENANT_ID, source, stored);
    }
    const agents = new AgentRepository(table);
    for (const [i, { crmUserId, ...agent }] of SAMPLE_AGENTS.slice(0, 2).entries()) {
      await agents.put(SAMPLE_TENANT_ID, crmUserId, { ...agent, extension: LOCAL_SAMPLE_EXTENSIONS[i]! });
    }
    if (stack.pbxSimulatorUrl) {
      const known = (await (await fetch(`${stack.pbxSimulatorUrl}/_sim/extensions`)).json()) as { extensions: string[] };
      await fetch(`${stack.pbxSimulatorUrl}/_sim/extensions`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ extensions: [...new Set([...known.extensions, ...LOCAL_SAMPLE_EXTENSIONS])] }),
      });
    }
    console.log(`Tenant ${SAMPLE_TENANT_ID} of the local stack now accepts the samples of events/hooks.`);
  } finally {
    table.doc.destroy();
  }
}

function sourceAndCase(file: string): { source: WebhookSource; kase: SampleCase } {
  const kase = path.basename(file, '.json') as SampleCase;
  const source = path.basename(path.dirname(file));
  if (!isWebhookSource(source) || !(SAMPLE_CASES as readonly string[]).includes(kase)) {
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
