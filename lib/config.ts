import * as z from 'zod';

const emptyAsUndefined = (v: unknown) => (v === '' ? undefined : v);

/** A variable that may be unset or empty: both read as unset. Shared: one schema serves every such variable. */
const optionalText = z.preprocess(emptyAsUndefined, z.string().optional());

/**
 * An integer variable, as read: {@link INTEGERS} holds its bounds and default, and {@link loadConfig} checks it with
 * zod's own messages. One schema for all of them, where a `z.coerce.number().int().min().max().default()` chain each
 * was nine schema constructions per variable, built at every cold start for a parse that runs once.
 */
const integerText = z.string().optional();

const configSchema = z.object({
  STAGE: z.string().min(1).default('dev'),
  AWS_REGION: z.string().min(1).default('eu-west-1'),
  TABLE_NAME: z.string().min(1),
  /** Set only off AWS (the local stack, tests): the DynamoDB-compatible server to talk to. */
  DYNAMODB_ENDPOINT: z.preprocess(emptyAsUndefined, z.url().optional()),
  /** The NAT gateway's Elastic IP: what each PBX customer allowlists. */
  EGRESS_IP: optionalText,
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
  PBX_TIMEOUT_MS: integerText,
  /** How long a container trusts a cached API key or tenant; a revoked key stops working within this time. */
  AUTH_CACHE_TTL_MS: integerText,
  /** CDR searches before an unsettled call is left `unknown` and flagged for a human. */
  RECONCILE_MAX_TRIES: integerText,
  /** A call is looked up only once it is this old: its GET or its CDR may still be on the way. */
  RECONCILE_MIN_AGE_SEC: integerText,
  /** Outcome notifications to the tenants' callback URLs (lib/notify/deliver.ts). */
  NOTIFY_TIMEOUT_MS: integerText,
  NOTIFY_BASE_DELAY_MS: integerText,
  NOTIFY_MAX_DELAY_MS: integerText,
  /** A run of failed deliveries older than this is dead-lettered. */
  NOTIFY_MAX_AGE_SEC: integerText,
  /** 0: unlimited attempts within NOTIFY_MAX_AGE_SEC. */
  NOTIFY_MAX_ATTEMPTS: integerText,
  /** The KMS key (id, ARN or alias) that seals secrets at rest; required on AWS (lib/secrets/seal.ts). */
  SEAL_KMS_KEY_ID: optionalText,
  /** Off AWS only (a DYNAMODB_ENDPOINT is set): a 32-byte base64 key that seals secrets instead of KMS. */
  C2C_LOCAL_SEAL_KEY: optionalText,
  /**
   * Signs pagination cursors (lib/store/pagination.ts): on AWS a random value of the stack's own, resolved at deploy
   * (resources/secrets.yml); off AWS, when unset, a fixed local value. At least 32 characters.
   */
  CURSOR_SECRET: z.preprocess(emptyAsUndefined, z.string().min(32).optional()),
  /** How long a container keeps a plain data key: bounds KMS calls and the time a key lives in memory. */
  SEAL_DATA_KEY_TTL_SEC: integerText,
  LOG_LEVEL: z.string().default('INFO'),
  /**
   * Which indexes the call listings use (lib/store/call-index-keys.ts): `narrow`, the keys-only indexes alone (a new
   * table, and every table once its migration is done); `migrating` and `switched`, the steps of docs/operations.md
   * ("Narrowing the call indexes") on a table that still has the whole-item indexes. Set by serverless.yml's
   * `callIndexes` parameter.
   */
  CALL_INDEXES: z.preprocess(emptyAsUndefined, z.enum(['narrow', 'migrating', 'switched']).default('narrow')),
  /**
   * How many shards the writers spread a tenant's work lists over (lib/store/keys.ts): 8, or 4 for the first deploy of a
   * stage that ran with 4 (docs/operations.md, "Work shards: from 4 to 8"). Readers read 8 shards whatever it says. Set
   * by serverless.yml's `workShards` parameter.
   */
  WORK_SHARDS: z.preprocess(emptyAsUndefined, z.enum(['4', '8']).default('8')).transform((v): 4 | 8 => (v === '4' ? 4 : 8)),
});

/** The integer variables' bounds and defaults, `[min, max, default]`. */
const INTEGERS = {
  PBX_TIMEOUT_MS: [100, 29_000, 8_000],
  AUTH_CACHE_TTL_MS: [0, 300_000, 30_000],
  RECONCILE_MAX_TRIES: [1, 100, 5],
  RECONCILE_MIN_AGE_SEC: [0, 86_400, 60],
  NOTIFY_TIMEOUT_MS: [100, 30_000, 5_000],
  NOTIFY_BASE_DELAY_MS: [10, 3_600_000, 5_000],
  NOTIFY_MAX_DELAY_MS: [10, 3_600_000, 300_000],
  NOTIFY_MAX_AGE_SEC: [1, 30 * 86_400, 86_400],
  NOTIFY_MAX_ATTEMPTS: [0, 100_000, 0],
  SEAL_DATA_KEY_TTL_SEC: [1, 86_400, 900],
} as const satisfies { [name in keyof typeof configSchema.shape]?: readonly [min: number, max: number, fallback: number] };
type IntegerName = keyof typeof INTEGERS;

export type Config = Omit<z.infer<typeof configSchema>, IntegerName> & Record<IntegerName, number>;

/**
 * An integer variable's issues, worded as `z.coerce.number().int().min(min).max(max)` words them: the value is read with
 * `Number()`, as zod's coercion does (so an empty value is 0 and `1e3` is 1000).
 */
function integerIssues(raw: string, [min, max]: readonly [number, number, number]): { value: number; issues: string[] } {
  const value = Number(raw);
  if (!Number.isFinite(value)) return { value, issues: [`Invalid input: expected number, received ${String(value)}`] };
  if (!Number.isInteger(value)) return { value, issues: ['Invalid input: expected int, received number'] };
  const issues: string[] = [];
  if (value > Number.MAX_SAFE_INTEGER) issues.push(`Too big: expected int to be <=${Number.MAX_SAFE_INTEGER}`);
  else if (value < Number.MIN_SAFE_INTEGER) issues.push(`Too small: expected int to be >=${Number.MIN_SAFE_INTEGER}`);
  if (value < min) issues.push(`Too small: expected number to be >=${min}`);
  if (value > max) issues.push(`Too big: expected number to be <=${max}`);
  return { value, issues };
}

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
  const issues: { name: string; message: string }[] = parsed.success
    ? []
    : parsed.error.issues.map((i) => ({ name: i.path.join('.'), message: i.message }));
  const integers = {} as Record<IntegerName, number>;
  for (const name of Object.keys(INTEGERS) as IntegerName[]) {
    const raw = env[name];
    if (raw === undefined) {
      integers[name] = INTEGERS[name][2];
      continue;
    }
    const checked = integerIssues(raw, INTEGERS[name]);
    integers[name] = checked.value;
    for (const message of checked.issues) issues.push({ name, message });
  }
  if (!parsed.success || issues.length > 0) {
    // In the order of the schema's variables, as zod would list them.
    const order = Object.keys(configSchema.shape);
    const at = (name: string) => order.indexOf(name.split('.')[0]!);
    const fields = issues
      .map((issue, i) => ({ ...issue, i }))
      .sort((a, b) => at(a.name) - at(b.name) || a.i - b.i)
      .map((i) => `${i.name}: ${i.message}`)
      .join('; ');
    throw new Error(`Invalid configuration: ${fields}`);
  }
  return { ...parsed.data, ...integers };
}
