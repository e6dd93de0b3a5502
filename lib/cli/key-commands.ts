import { Command, InvalidArgumentError } from 'commander';
import { SCOPES, type ApiKeyRecord, type Scope } from '../store/api-keys';
import { requireTenant, withStores, type CliDeps, type RunState } from './context';
import { UsageError } from './errors';
import { renderTable, writeJson } from './io';

/** A key record as it may be shown: never its hash. */
function publicRecord(record: ApiKeyRecord) {
  const { keyHash: _hash, ...shown } = record;
  return { ...shown, revoked: record.revokedAt !== undefined };
}

export function keyCommand(deps: CliDeps, state: RunState): Command {
  const key = new Command('key').description('issue, list and revoke API keys');

  key
    .command('issue')
    .description('issue an API key: it is printed once and cannot be shown again')
    .argument('<tenantId>')
    .requiredOption('--name <name>', 'what the key is for, e.g. "HubSpot workflow"')
    .requiredOption('--scopes <list>', `comma-separated, of ${SCOPES.join(', ')}; or "all"`, parseScopes)
    .option('--json', 'print JSON')
    .action(async (tenantId: string, options: { name: string; scopes: Scope[]; json?: boolean }, command: Command) => {
      const name = options.name.trim();
      if (name === '') throw new UsageError('--name must not be empty');
      const { key: secret, record } = await withStores(command, deps, state, async (stores) => {
        await requireTenant(stores, tenantId);
        return stores.keys.issue(tenantId, name, options.scopes);
      });
      const warning = 'Store this key now: it is shown only once and cannot be recovered (only its hash is kept).';
      if (options.json) {
        writeJson(deps.stdout, { key: secret, ...publicRecord(record) });
        deps.stderr.write(`${warning}\n`);
        return;
      }
      deps.stdout.write(`Issued key ${record.keyId} (${record.name}) for tenant ${tenantId}, scopes ${record.scopes.join(',')}:\n\n`);
      deps.stdout.write(`  ${secret}\n\n`);
      deps.stderr.write(`${warning}\n`);
    });

  key
    .command('list')
    .description("list a tenant's API keys (ids only: a key itself is never shown again)")
    .argument('<tenantId>')
    .option('--json', 'print JSON')
    .action(async (tenantId: string, options: { json?: boolean }, command: Command) => {
      const records = await withStores(command, deps, state, async (stores) => {
        await requireTenant(stores, tenantId);
        return stores.keys.list(tenantId);
      });
      records.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
      if (options.json) return writeJson(deps.stdout, records.map(publicRecord));
      if (records.length === 0) return void deps.stdout.write(`No API keys for tenant ${tenantId}.\n`);
      deps.stdout.write(
        renderTable(records, [
          { header: 'ID', value: (r) => r.keyId },
          { header: 'NAME', value: (r) => r.name },
          { header: 'SCOPES', value: (r) => r.scopes.join(',') },
          { header: 'CREATED', value: (r) => r.createdAt },
          { header: 'REVOKED', value: (r) => r.revokedAt ?? 'no' },
        ]),
      );
    });

  key
    .command('revoke')
    .description('revoke an API key by its id (as key list shows it)')
    .argument('<tenantId>')
    .argument('<keyId>')
    .option('--json', 'print JSON')
    .action(async (tenantId: string, keyId: string, options: { json?: boolean }, command: Command) => {
      const { record, already } = await withStores(command, deps, state, async (stores) => {
        await requireTenant(stores, tenantId);
        const before = (await stores.keys.list(tenantId)).find((r) => r.keyId === keyId);
        return { record: await stores.keys.revoke(tenantId, keyId), already: before?.revokedAt !== undefined };
      });
      if (options.json) return writeJson(deps.stdout, { ...publicRecord(record), alreadyRevoked: already });
      deps.stdout.write(
        already
          ? `Key ${keyId} of tenant ${tenantId} was already revoked at ${record.revokedAt}.\n`
          : `Revoked key ${keyId} (${record.name}) of tenant ${tenantId} at ${record.revokedAt}.\n`,
      );
    });

  return key;
}

function parseScopes(value: string): Scope[] {
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.length === 1 && names[0] === 'all') return [...SCOPES];
  if (names.length === 0) throw new InvalidArgumentError(`expected a comma-separated list of ${SCOPES.join(', ')}`);
  const unknown = names.filter((n) => !(SCOPES as readonly string[]).includes(n));
  if (unknown.length > 0) throw new InvalidArgumentError(`unknown scope ${unknown.join(', ')} (expected ${SCOPES.join(', ')} or all)`);
  return [...new Set(names as Scope[])];
}
