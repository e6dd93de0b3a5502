import type { Command } from 'commander';
import { AgentRepository } from '../store/agents';
import { ApiKeyRepository } from '../store/api-keys';
import { CallRepository } from '../store/calls';
import { createDocumentClient, type Table } from '../store/client';
import { TenantRepository, type Tenant } from '../store/tenants';
import { CliError } from './errors';
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
}

/** The repositories of one command run, over one client. */
export interface Stores {
  target: Target;
  table: Table;
  tenants: TenantRepository;
  keys: ApiKeyRepository;
  agents: AgentRepository;
  calls: CallRepository;
}

/** Mutable per-run state: the target, once chosen, names the table in error messages. */
export interface RunState {
  target?: Target;
}

/** Runs `fn` with repositories over the chosen table, and closes the client afterwards. */
export async function withStores<T>(
  command: Command,
  deps: CliDeps,
  state: RunState,
  fn: (stores: Stores) => Promise<T>,
): Promise<T> {
  const target = resolveTarget(command.optsWithGlobals<TargetOptions>(), deps.env, deps.stackFile);
  state.target = target;
  const table = deps.openTable
    ? deps.openTable(target)
    : {
        doc: createDocumentClient({ region: target.region, ...(target.endpoint ? { endpoint: target.endpoint } : {}) }),
        name: target.tableName,
      };
  try {
    return await fn({
      target,
      table,
      tenants: new TenantRepository(table),
      keys: new ApiKeyRepository(table),
      agents: new AgentRepository(table),
      calls: new CallRepository(table),
    });
  } finally {
    if (!deps.openTable) table.doc.destroy();
  }
}

/** Reads a tenant, or stops with a clear message: a typo in a tenant id must not write under a new one. */
export async function requireTenant(stores: Stores, tenantId: string): Promise<Tenant> {
  const tenant = await stores.tenants.get(tenantId);
  if (!tenant) throw new CliError(`Tenant ${tenantId} not found in ${stores.target.description}`);
  return tenant;
}
