import * as z from 'zod';

const emptyAsUndefined = (v: unknown) => (v === '' ? undefined : v);

const configSchema = z.object({
  STAGE: z.string().min(1).default('dev'),
  AWS_REGION: z.string().min(1).default('eu-west-1'),
  TABLE_NAME: z.string().min(1),
  /** Set only off AWS (the local stack, tests): the DynamoDB-compatible server to talk to. */
  DYNAMODB_ENDPOINT: z.preprocess(emptyAsUndefined, z.url().optional()),
  /** The NAT gateway's Elastic IP: what each PBX customer allowlists. */
  EGRESS_IP: z.preprocess(emptyAsUndefined, z.string().optional()),
  /**
   * `true` only on the local stack and in tests (their PBX simulator and CRM stand-in listen on loopback):
   * allows outbound requests to loopback, private, link-local and metadata addresses (lib/net/outbound.ts).
   * Never declared in serverless.yml, so no deployed stage can carry it.
   */
  ALLOW_PRIVATE_OUTBOUND: z
    .preprocess(emptyAsUndefined, z.enum(['true', 'false', '1', '0']).default('false'))
    .transform((v) => v === 'true' || v === '1'),
  /**
   * The scheme clients reach the API by, where no proxy says it (X-Forwarded-Proto): the URL HubSpot signs is rebuilt
   * with it. API Gateway serves HTTPS only; the local stack (serverless-offline) serves http and sets `http`. Not
   * declared in serverless.yml.
   */
  API_SCHEME: z.preprocess(emptyAsUndefined, z.enum(['https', 'http']).default('https')),
  PBX_TIMEOUT_MS: z.coerce.number().int().min(100).max(29_000).default(8_000),
  /** How long a container trusts a cached API key or tenant; a revoked key stops working within this time. */
  AUTH_CACHE_TTL_MS: z.coerce.number().int().min(0).max(300_000).default(30_000),
  /** CDR searches before an unsettled call is left `unknown` and flagged for a human. */
  RECONCILE_MAX_TRIES: z.coerce.number().int().min(1).max(100).default(5),
  /** A call is looked up only once it is this old: its GET or its CDR may still be on the way. */
  RECONCILE_MIN_AGE_SEC: z.coerce.number().int().min(0).max(86_400).default(60),
  /** Outcome notifications to the tenants' callback URLs (lib/notify/deliver.ts). */
  NOTIFY_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(5_000),
  NOTIFY_BASE_DELAY_MS: z.coerce.number().int().min(10).max(3_600_000).default(5_000),
  NOTIFY_MAX_DELAY_MS: z.coerce.number().int().min(10).max(3_600_000).default(300_000),
  /** A run of failed deliveries older than this is dead-lettered. */
  NOTIFY_MAX_AGE_SEC: z.coerce
    .number()
    .int()
    .min(1)
    .max(30 * 86_400)
    .default(86_400),
  /** 0: unlimited attempts within NOTIFY_MAX_AGE_SEC. */
  NOTIFY_MAX_ATTEMPTS: z.coerce.number().int().min(0).max(100_000).default(0),
  /** The KMS key (id, ARN or alias) that seals secrets at rest; required on AWS (lib/secrets/seal.ts). */
  SEAL_KMS_KEY_ID: z.preprocess(emptyAsUndefined, z.string().optional()),
  /** Off AWS only (a DYNAMODB_ENDPOINT is set): a 32-byte base64 key that seals secrets instead of KMS. */
  C2C_LOCAL_SEAL_KEY: z.preprocess(emptyAsUndefined, z.string().optional()),
  /**
   * Signs pagination cursors (lib/store/pagination.ts): on AWS a random value of the stack's own, resolved at deploy
   * (resources/secrets.yml); off AWS, when unset, a fixed local value. At least 32 characters.
   */
  CURSOR_SECRET: z.preprocess(emptyAsUndefined, z.string().min(32).optional()),
  /** How long a container keeps a plain data key: bounds KMS calls and the time a key lives in memory. */
  SEAL_DATA_KEY_TTL_SEC: z.coerce.number().int().min(1).max(86_400).default(900),
  LOG_LEVEL: z.string().default('INFO'),
  /**
   * Which indexes the call listings use (lib/store/call-index-keys.ts): `narrow`, the keys-only indexes alone (a new
   * table, and every table once its migration is done); `migrating` and `switched`, the steps of docs/operations.md
   * ("Narrowing the call indexes") on a table that still has the whole-item indexes. Set by serverless.yml's
   * `callIndexes` parameter.
   */
  CALL_INDEXES: z.preprocess(emptyAsUndefined, z.enum(['narrow', 'migrating', 'switched']).default('narrow')),
});

export type Config = z.infer<typeof configSchema>;

/**
 * The process environment. This module is the one place in lib/ and functions/ that reads it (eslint refuses
 * `process.env` elsewhere): every variable the service reads is then listed here, in the schema above or below.
 */
export function processEnv(): NodeJS.ProcessEnv {
  return process.env;
}

/**
 * Read before any configuration is parsed, by the logger and the metrics at module load: Powertools' own variables,
 * with the names the service logs and publishes under when they are unset.
 */
export function observabilityEnv(env: NodeJS.ProcessEnv = process.env): { serviceName: string; metricsNamespace: string } {
  return { serviceName: env.POWERTOOLS_SERVICE_NAME ?? 'c2c', metricsNamespace: env.POWERTOOLS_METRICS_NAMESPACE ?? 'C2C' };
}

/** Set by the local stack only (local/stack.ts): the PBX simulator the console also shows. */
export function pbxSimulatorUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.PBX_SIMULATOR_URL;
}

/**
 * Parses the environment once. Handlers call this at module scope so that a misconfigured
 * stage fails at cold start, in the deploy's smoke test, not at the first customer call.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Parsed once per container: zod's compiled fast path (a `new Function` per object schema) would cost more to build
  // than this one parse takes without it.
  const parsed = configSchema.safeParse(env, { jitless: true });
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${fields}`);
  }
  return parsed.data;
}
