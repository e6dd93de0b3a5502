import type { Command } from 'commander';
import { assertSealed, createSealer, SealConfigError, type SecretSealer } from '../secrets/seal';
import { AgentRepository } from '../store/agents';
import { ApiKeyRepository } from '../store/api-keys';
import { CALL_INDEX_MODES, type CallIndexMode } from '../store/call-index-keys';
import { CallRepository } from '../store/calls';
import { createDocumentClient, type Table } from '../store/client';
import { DEFAULT_WORK_SHARDS, WORK_SHARD_COUNTS, type WorkShards } from '../store/keys';
import { CursorCodec, LOCAL_CURSOR_SECRET } from '../store/pagination';
import { TenantRepository } from '../store/tenants';
import type { Tenant } from '../model/tenant';
import { CliError, UsageError } from './errors';
import type { Output } from './io';
import { resolveTarget, type Target, type TargetOptions } from './target';

/** What the CLI needs from its surroundings; tests pass buffers and a temporary stack file. */
export interface CliDeps {
  stdout: Output;
  stderr: Output;
  env: NodeJS.ProcessEnv;
  /** The local stack's facts file (`.local/stack.json` of the project). */
  stackFile: string;
  /** Opens the table a command works on; the default builds a DynamoDB document client. */
  openTable?: (target: Target) => Table;
  /** The sealer of secrets the CLI writes; the default is the target's (KMS for a stage, the local key otherwise). */
  sealer?: (target: Target) => SecretSealer;
}

/** The repositories of one command run, over one client. */
export interface Stores {
  target: Target;
  table: Table;
  tenants: TenantRepository;
  keys: ApiKeyRepository;
  agents: AgentRepository;
  calls: CallRepository;
  /** Which call indexes the stage's listings read and its call writes carry: CALL_INDEXES as stated, `narrow` if unset. */
  callIndexes: CallIndexMode;
  /** Seals secrets as the deployed functions do, so that they open what the CLI writes. */
  sealer: SecretSealer;
}

/** Mutable per-run state: the target, once chosen, names the table in error messages. */
export interface RunState {
  target?: Target;
}

/** Runs `fn` with repositories over the chosen table, and closes the client afterwards. */
export async function withStores<T>(command: Command, deps: CliDeps, state: RunState, fn: (stores: Stores) => Promise<T>): Promise<T> {
  const target = resolveTarget(command.optsWithGlobals<TargetOptions>(), deps.env, deps.stackFile);
  state.target = target;
  const table = deps.openTable
    ? deps.openTable(target)
    : {
        doc: createDocumentClient({ region: target.region, ...(target.endpoint ? { endpoint: target.endpoint } : {}) }),
        name: target.tableName,
      };
  try {
    // Built on first use: commands that touch no secret (calls, keys) work without a seal key.
    let built: SecretSealer | undefined;
    const sealerNow = () => (built ??= deps.sealer ? deps.sealer(target) : sealerForTarget(target, deps.env));
    const sealer: SecretSealer = {
      seal: (plaintext, context) => sealerNow().seal(plaintext, context),
      // A value that is not sealed is refused before any key is needed, as the service refuses it.
      open: async (value, context) => {
        assertSealed(value, context);
        return sealerNow().open(value, context);
      },
    };
    const callIndexes = callIndexModeOf(deps.env) ?? 'narrow';
    const workShards = workShardsOf(deps.env) ?? DEFAULT_WORK_SHARDS;
    return await fn({
      target,
      callIndexes,
      table,
      sealer,
      tenants: new TenantRepository(table, sealer),
      keys: new ApiKeyRepository(table),
      agents: new AgentRepository(table, undefined, cursorCodecForTarget(target)),
      calls: new CallRepository(table, undefined, cursorCodecForTarget(target), callIndexes, workShards),
    });
  } finally {
    if (!deps.openTable) table.doc.destroy();
  }
}

/**
 * The mode of the stage's call indexes (`CALL_INDEXES`, the variable its functions read; docs/operations.md,
 * "Narrowing the call indexes"), as the operator states it: a stage half way through the migration lists its calls
 * through the old indexes, so the CLI must too. Undefined when unset; a value that is not a mode is refused.
 */
export function callIndexModeOf(env: NodeJS.ProcessEnv): CallIndexMode | undefined {
  const value = env.CALL_INDEXES?.trim();
  if (!value) return undefined;
  if (!(CALL_INDEX_MODES as readonly string[]).includes(value))
    throw new UsageError(`CALL_INDEXES: expected one of ${CALL_INDEX_MODES.join(', ')}`);
  return value as CallIndexMode;
}

/**
 * How many shards the CLI's call writes spread the work lists over (`WORK_SHARDS`, the variable the stage's functions
 * read; docs/operations.md, "Work shards: from 4 to 8"). Undefined when unset; a count the service refuses is refused.
 */
export function workShardsOf(env: NodeJS.ProcessEnv): WorkShards | undefined {
  const value = env.WORK_SHARDS?.trim();
  if (!value) return undefined;
  const shards = WORK_SHARD_COUNTS.find((n) => String(n) === value);
  if (shards === undefined) throw new UsageError(`WORK_SHARDS: expected one of ${WORK_SHARD_COUNTS.join(', ')}`);
  return shards;
}

/** Reads a tenant, or stops with a clear message: a typo in a tenant id must not write under a new one. */
export async function requireTenant(stores: Stores, tenantId: string): Promise<Tenant> {
  const tenant = await stores.tenants.get(tenantId);
  if (!tenant) throw new CliError(`Tenant ${tenantId} not found in ${stores.target.description}`);
  return tenant;
}

/**
 * The codec of the CLI's cursors (`--cursor`): off AWS the local stage's, so the local API's cursors work here too;
 * for a stage a value of the CLI's own, not the stage's CURSOR_SECRET, which only the functions hold. The CLI's
 * operator can read the table anyway: its cursors need no secret, only the key-shape checks every cursor gets.
 */
export function cursorCodecForTarget(target: Target): CursorCodec {
  return new CursorCodec(target.kind === 'stage' ? `c2c-operator-cli-cursors:${target.tableName}:not-the-api` : LOCAL_CURSOR_SECRET);
}

/**
 * The sealer of a target: a stage's KMS key (`alias/c2c-<stage>`, or C2C_KMS_KEY_ID), else the local key
 * the local stack writes to its facts file (or C2C_LOCAL_SEAL_KEY). Without one the CLI stops before
 * writing: a secret must never reach the table in clear.
 */
export function sealerForTarget(target: Target, env: NodeJS.ProcessEnv): SecretSealer {
  try {
    if (target.kind === 'stage') {
      const keyId = env.C2C_KMS_KEY_ID?.trim() || `alias/c2c-${target.stage ?? target.tableName.replace(/^c2c-/, '')}`;
      return createSealer({ kmsKeyId: keyId, offAws: false, region: target.region });
    }
    return createSealer({ localKey: target.localSealKey, offAws: true });
  } catch (error) {
    if (error instanceof SealConfigError) {
      throw new CliError(
        `${error.message} (${target.description}: set C2C_LOCAL_SEAL_KEY to the key the handlers use, or run against the local stack)`,
        { cause: error },
      );
    }
    throw error;
  }
}
