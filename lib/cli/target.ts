import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { checkOutboundUrl, outboundPolicyFromEnv, type OutboundPolicy } from '../net/outbound';
import { CliError, UsageError } from './errors';

/** The global options that choose the table a command works on. */
export interface TargetOptions {
  local?: boolean;
  endpoint?: string;
  table?: string;
  stage?: string;
  region?: string;
}

/** The table a command works on, and how it was chosen (for error messages). */
export interface Target {
  kind: 'local' | 'endpoint' | 'stage';
  tableName: string;
  region: string;
  /** Set for the local stack and any DynamoDB-compatible server; unset for a deployed table. */
  endpoint?: string;
  /** Human description: "table c2c-prod in eu-west-1". */
  description: string;
  /** With --stage: the stage, whose KMS key (alias/c2c-<stage>) seals secrets. */
  stage?: string;
  /** Off AWS: the key that seals secrets (C2C_LOCAL_SEAL_KEY, else the local stack's), as the handlers use it. */
  localSealKey?: string;
}

/**
 * The project's folder: the nearest one above this module holding package.json. The module runs from lib/cli/ (tests)
 * and from dist/cli.cjs (`npx c2c`, the built CLI), so no fixed number of `..` fits both.
 */
function projectRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return from;
  }
}

export const DEFAULT_STACK_FILE = path.join(projectRoot(__dirname), '.local', 'stack.json');
const DEFAULT_REGION = 'eu-west-1';

/** What an operator can do when no table is found: every way of pointing the CLI at a stack. */
export const HOW_TO_CHOOSE_A_TABLE =
  "start the local stack (npm start), or set C2C_STACK_FILE to another stack's stack.json, or give --endpoint URL --table NAME, or --stage STAGE";
const LOCAL_REGION = 'local';

const stackFileSchema = z.object({ dynamoEndpoint: z.url(), tableName: z.string().min(1), sealKey: z.string().min(1).optional() });
const stageSchema = z.string().regex(/^[a-zA-Z0-9-]{1,32}$/, 'letters, digits and dashes');

/**
 * Chooses the table, by precedence:
 * 1. `--stage S`: the deployed table `c2c-S` (or `--table`/`C2C_TABLE`), AWS's default credential chain;
 * 2. `--endpoint URL` or `C2C_DYNAMODB_ENDPOINT`: any DynamoDB-compatible server, with `--table` or `C2C_TABLE`
 *    (else the local stack's table name);
 * 3. `--local`, or by default when `.local/stack.json` exists: the running local stack (`npm start`).
 * The environment variables override the stack file's values.
 */
export function resolveTarget(options: TargetOptions, env: NodeJS.ProcessEnv, stackFile: string): Target {
  const envEndpoint = nonEmpty(env.C2C_DYNAMODB_ENDPOINT);
  const tableOverride = nonEmpty(options.table) ?? nonEmpty(env.C2C_TABLE);

  if (options.stage !== undefined) {
    if (options.local) throw new UsageError('--stage and --local cannot be used together');
    if (options.endpoint) throw new UsageError('--stage and --endpoint cannot be used together');
    const stage = stageSchema.safeParse(options.stage);
    if (!stage.success) throw new UsageError(`--stage ${JSON.stringify(options.stage)}: ${stage.error.issues[0]?.message}`);
    const region = nonEmpty(options.region) ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? DEFAULT_REGION;
    const tableName = tableOverride ?? `c2c-${stage.data}`;
    return { kind: 'stage', tableName, region, stage: stage.data, description: `table ${tableName} in ${region} (stage ${stage.data})` };
  }
  if (options.region) throw new UsageError('--region applies to --stage only');

  if (options.local && options.endpoint) throw new UsageError('--local and --endpoint cannot be used together');

  if (options.endpoint || (envEndpoint && !options.local)) {
    const endpoint = checkUrl(options.endpoint ?? envEndpoint ?? '', options.endpoint ? '--endpoint' : 'C2C_DYNAMODB_ENDPOINT');
    const stack = readStackFile(stackFile);
    const tableName = tableOverride ?? stack?.tableName;
    if (!tableName) throw new UsageError('--table (or C2C_TABLE) is required with --endpoint');
    const localSealKey = nonEmpty(env.C2C_LOCAL_SEAL_KEY) ?? stack?.sealKey;
    return {
      kind: 'endpoint',
      tableName,
      region: LOCAL_REGION,
      endpoint,
      description: `table ${tableName} at ${endpoint}`,
      ...(localSealKey ? { localSealKey } : {}),
    };
  }

  const stack = readStackFile(stackFile);
  if (!stack) {
    if (options.local) {
      throw new CliError(
        `The local stack is not running: ${stackFile} not found (start it with npm start, or set C2C_STACK_FILE to the stack.json of the stack to use)`,
      );
    }
    throw new UsageError(`No table chosen: ${HOW_TO_CHOOSE_A_TABLE}`);
  }
  const endpoint = envEndpoint ? checkUrl(envEndpoint, 'C2C_DYNAMODB_ENDPOINT') : stack.dynamoEndpoint;
  const tableName = tableOverride ?? stack.tableName;
  const localSealKey = nonEmpty(env.C2C_LOCAL_SEAL_KEY) ?? stack.sealKey;
  return {
    kind: 'local',
    tableName,
    region: LOCAL_REGION,
    endpoint,
    description: `local table ${tableName} at ${endpoint}`,
    ...(localSealKey ? { localSealKey } : {}),
  };
}

function readStackFile(file: string): z.infer<typeof stackFileSchema> | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(`Cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  let parsed: ReturnType<typeof stackFileSchema.safeParse>;
  try {
    parsed = stackFileSchema.safeParse(JSON.parse(text));
  } catch (error) {
    throw new CliError(`${file} is not valid JSON: restart the local stack`, { cause: error });
  }
  if (!parsed.success) throw new CliError(`${file} has no dynamoEndpoint/tableName: restart the local stack`);
  return parsed.data;
}

function checkUrl(value: string, source: string): string {
  if (!z.url().safeParse(value).success) throw new UsageError(`${source}: not a URL: ${JSON.stringify(value)}`);
  return value;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/**
 * Which addresses the URLs set through this target may point at. Loopback and private addresses only for
 * the local stack (`.local/stack.json`: its PBX simulator and CRM stand-in listen on loopback), or when
 * `ALLOW_PRIVATE_OUTBOUND=true` says so; a deployed stage and any other endpoint get the strict rule.
 */
export function outboundPolicyOf(target: Target, env: NodeJS.ProcessEnv): OutboundPolicy {
  return { allowPrivate: target.kind === 'local' || outboundPolicyFromEnv(env).allowPrivate };
}

/**
 * The set-time check of a tenant URL the service will send requests to: refuses (exit 2, naming the option)
 * a host that is, or resolves to, a loopback, private, link-local or metadata address under `policy`.
 * A name that does not resolve from here (yet) is accepted: every request checks its addresses again.
 */
export async function refuseForbiddenUrl(option: string, url: string, policy: OutboundPolicy): Promise<void> {
  let check: Awaited<ReturnType<typeof checkOutboundUrl>>;
  try {
    check = await checkOutboundUrl(url, policy);
  } catch (error) {
    throw new UsageError(`${option}: not a URL: ${JSON.stringify(url)}`, { cause: error });
  }
  if (!check.ok) throw new UsageError(`${option}: ${check.error.message}`);
}
