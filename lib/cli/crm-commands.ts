import { Command, InvalidArgumentError } from 'commander';
import { CRM_NAMES, LOGGABLE_STATES, type CrmName, type LoggableState } from '../model/crm-connection';
import { DeadLetterRepository } from '../store/dead-letters';
import { requireTenant, withStores, type CliDeps, type RunState, type Stores } from './context';
import { connectionRows, loggedStatesOf } from './crm-view';
import { CliError, UsageError } from './errors';
import { renderFields, renderTable, writeJson } from './io';
import { redriveDeadDeliveries } from './redrive';
import { outboundPolicyOf, refuseForbiddenUrl } from './target';

interface ConnectOptions {
  tokenEnv?: string;
  apiUrl?: string;
  instanceUrl?: string;
  loginUrl?: string;
  clientId?: string;
  clientSecretEnv?: string;
  json?: boolean;
}

/** Which options each CRM takes, and which it must have: anything else given is a usage error naming it. */
type ConnectionOption = Exclude<keyof ConnectOptions, 'json'>;

const OPTIONS_OF: Record<CrmName, { required: ConnectionOption[]; allowed: ConnectionOption[] }> = {
  hubspot: { required: ['tokenEnv'], allowed: ['tokenEnv', 'apiUrl'] },
  pipedrive: { required: ['tokenEnv', 'apiUrl'], allowed: ['tokenEnv', 'apiUrl'] },
  salesforce: {
    required: ['instanceUrl', 'clientId', 'clientSecretEnv'],
    allowed: ['instanceUrl', 'loginUrl', 'clientId', 'clientSecretEnv'],
  },
};

const FLAG_OF: Record<ConnectionOption, string> = {
  tokenEnv: '--token-env',
  apiUrl: '--api-url',
  instanceUrl: '--instance-url',
  loginUrl: '--login-url',
  clientId: '--client-id',
  clientSecretEnv: '--client-secret-env',
};

const HUBSPOT_API_URL = 'https://api.hubapi.com';

const HELP = `
Credentials come from environment variables, never the command line, and are stored sealed; no command prints them.
  c2c crm connect acme hubspot --token-env HUBSPOT_TOKEN                  (a private app's access token)
  c2c crm connect acme pipedrive --token-env PIPEDRIVE_TOKEN --api-url https://acme.pipedrive.com
  c2c crm connect acme salesforce --instance-url https://acme.my.salesforce.com --client-id 3MVG9... \\
      --client-secret-env SF_CLIENT_SECRET                                (OAuth 2.0 client credentials flow)
  c2c crm log-states acme completed no_answer busy                        (default: ${loggedStatesOf(undefined).states.join(' ')})
  c2c doctor --tenant acme                                                (checks each connection with a read-only call)
Set-up per CRM, the scopes to grant and what is logged: docs/crm-logging.md.`;

/**
 * `c2c crm`: a tenant's connections to the CRMs its calls are logged in (docs/crm-logging.md). A connection's secret
 * is read from the environment, sealed in the tenant item (lib/store/tenants.ts) and never printed; its URLs pass the
 * outbound guard before anything is written.
 */
export function crmCommand(deps: CliDeps, state: RunState): Command {
  const crm = new Command('crm')
    .description('CRM call logging: connect a tenant to HubSpot, Pipedrive or Salesforce, show, disconnect, log-states, redrive')
    .addHelpText('after', HELP);

  crm
    .command('connect')
    .description('connect a tenant to a CRM (replaces its connection to that CRM, and clears a hold)')
    .argument('<tenantId>')
    .argument('<crm>', CRM_NAMES.join(', '), parseCrm)
    .option('--token-env <VAR>', 'hubspot, pipedrive: environment variable holding the access token (HubSpot) or API token (Pipedrive)')
    .option('--api-url <url>', `hubspot: the API (default ${HUBSPOT_API_URL}); pipedrive: the company's, https://COMPANY.pipedrive.com`)
    .option('--instance-url <url>', "salesforce: the org's My Domain URL, https://MYDOMAIN.my.salesforce.com")
    .option('--login-url <url>', 'salesforce: where tokens are asked for (default: the instance URL)')
    .option('--client-id <id>', "salesforce: the connected app's consumer key")
    .option('--client-secret-env <VAR>', "salesforce: environment variable holding the connected app's consumer secret")
    .option('--json', 'print JSON')
    .addHelpText('after', HELP)
    .action(async (tenantId: string, name: CrmName, options: ConnectOptions, command: Command) => {
      const given = (Object.keys(FLAG_OF) as ConnectionOption[]).filter((key) => options[key] !== undefined);
      const stray = given.find((key) => !OPTIONS_OF[name].allowed.includes(key));
      if (stray) throw new UsageError(`${FLAG_OF[stray]}: not an option of ${name} (c2c crm connect --help)`);
      const missing = OPTIONS_OF[name].required.find((key) => options[key] === undefined);
      if (missing) throw new UsageError(`${FLAG_OF[missing]}: required to connect ${name}`);

      const row = await withStores(command, deps, state, async (stores) => {
        await requireTenant(stores, tenantId);
        const result = await connect(stores, deps.env, tenantId, name, options);
        if (!result) throw new CliError(`Tenant ${tenantId} not found in ${stores.target.description}`);
        return connectionRows(result.after.crm).find((r) => r.crm === name)!;
      });
      if (options.json) return writeJson(deps.stdout, row);
      deps.stdout.write(`Connected tenant ${tenantId} to ${name} (${row.apiUrl}) in ${state.target?.description}.\n`);
      deps.stdout.write(`Check it with: c2c doctor --tenant ${tenantId}\n`);
    });

  crm
    .command('show')
    .description("a tenant's CRM connections (never their secrets): API, connected since, held and why, the states logged")
    .argument('<tenantId>')
    .option('--json', 'print JSON')
    .action(async (tenantId: string, options: { json?: boolean }, command: Command) => {
      const tenant = await withStores(command, deps, state, (stores) => requireTenant(stores, tenantId));
      const rows = connectionRows(tenant.crm);
      const logged = loggedStatesOf(tenant.crm);
      if (options.json) return writeJson(deps.stdout, { connections: rows, logStates: logged.states, logStatesDefault: logged.isDefault });
      if (rows.length === 0) deps.stdout.write(`Tenant ${tenantId} is connected to no CRM: c2c crm connect --help\n`);
      else {
        deps.stdout.write(
          renderTable(rows, [
            { header: 'CRM', value: (r) => r.crm },
            { header: 'API', value: (r) => r.apiUrl },
            { header: 'CONNECTED', value: (r) => r.connectedAt },
            { header: 'HELD', value: (r) => (r.held ? `since ${r.held.at}: ${r.held.reason}` : 'no') },
            { header: 'LOGIN / CLIENT ID', value: (r) => (r.loginUrl ? `${r.loginUrl} ${r.clientId ?? ''}` : null) },
          ]),
        );
      }
      deps.stdout.write(renderFields([['logged states', `${logged.states.join(', ')}${logged.isDefault ? ' (default)' : ''}`]]));
    });

  crm
    .command('disconnect')
    .description("remove a tenant's connection to a CRM: its credentials are deleted, calls are no longer logged there")
    .argument('<tenantId>')
    .argument('<crm>', CRM_NAMES.join(', '), parseCrm)
    .action(async (tenantId: string, name: CrmName, _options: unknown, command: Command) => {
      await withStores(command, deps, state, async (stores) => {
        const removed = await stores.tenants.removeCrmConnection(tenantId, name);
        if (removed === undefined) throw new CliError(`Tenant ${tenantId} not found in ${stores.target.description}`);
        if (!removed) throw new CliError(`Tenant ${tenantId} is not connected to ${name}`);
      });
      deps.stdout.write(`Disconnected tenant ${tenantId} from ${name}.\n`);
    });

  crm
    .command('log-states')
    .description(`which final states are logged (${LOGGABLE_STATES.join(', ')}); "default" for the default`)
    .argument('<tenantId>')
    .argument('<states...>', `final states, or default (${loggedStatesOf(undefined).states.join(', ')})`)
    .action(async (tenantId: string, given: string[], _options: unknown, command: Command) => {
      const states = parseStates(given);
      await withStores(command, deps, state, async (stores) => {
        if (!(await stores.tenants.setCrmLogStates(tenantId, states))) throw new CliError(`Tenant ${tenantId} not found`);
      });
      const shown = loggedStatesOf(states ? { logStates: states } : undefined);
      deps.stdout.write(`Tenant ${tenantId} logs calls that end ${shown.states.join(', ')}${shown.isDefault ? ' (the default)' : ''}.\n`);
    });

  crm
    .command('redrive')
    .description("put a tenant's dead-lettered CRM deliveries back in the outbox, due now (one CRM, or every CRM)")
    .argument('<tenantId>')
    .argument('[crm]', CRM_NAMES.join(', '), parseCrm)
    .action(async (tenantId: string, name: CrmName | undefined, _options: unknown, command: Command) => {
      const redriven = await withStores(command, deps, state, async (stores) => {
        await requireTenant(stores, tenantId);
        const deadLetters = new DeadLetterRepository(stores.table);
        let count = 0;
        for (const transport of name ? [name] : CRM_NAMES)
          count += await redriveDeadDeliveries(stores.calls, deadLetters, { tenantId, transport });
        return count;
      });
      deps.stdout.write(
        `Redrove ${redriven} call${redriven === 1 ? '' : 's'} of tenant ${tenantId}: their CRM deliveries go out on the next delivery run.\n`,
      );
    });

  return crm;
}

/** Writes the connection the options describe, its URLs checked and its secret read from the environment. */
async function connect(stores: Stores, env: NodeJS.ProcessEnv, tenantId: string, name: CrmName, options: ConnectOptions) {
  const policy = outboundPolicyOf(stores.target, env);
  const url = async (flag: string, value: string) => {
    const origin = apiOrigin(flag, value);
    await refuseForbiddenUrl(flag, origin, policy);
    return origin;
  };
  if (name === 'salesforce') {
    const instanceUrl = await url('--instance-url', options.instanceUrl!);
    const loginUrl = options.loginUrl === undefined ? instanceUrl : await url('--login-url', options.loginUrl);
    return stores.tenants.setCrmConnection(tenantId, 'salesforce', {
      instanceUrl,
      loginUrl,
      clientId: printable('--client-id', options.clientId!),
      clientSecret: secretFromEnv(env, '--client-secret-env', options.clientSecretEnv!),
    });
  }
  const apiUrl = await url('--api-url', options.apiUrl ?? HUBSPOT_API_URL);
  return stores.tenants.setCrmConnection(tenantId, name, { apiUrl, token: secretFromEnv(env, '--token-env', options.tokenEnv!) });
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * A CRM's API as a connection keeps it: its origin (the transports add the paths). https only; plain http only to this
 * machine, as for the callback URL (the local stack's stand-in CRMs), which the outbound guard refuses off the local
 * stack anyway. No credentials, path, query or fragment: they would be sent where the transport does not expect them.
 */
export function apiOrigin(flag: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${flag}: not a URL: ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)))
    throw new UsageError(`${flag}: https only (http is accepted for localhost)`);
  if (url.username || url.password) throw new UsageError(`${flag}: no credentials in the URL (they come from the environment)`);
  if (url.pathname !== '/' || url.search || url.hash) throw new UsageError(`${flag}: the API's origin only, e.g. ${url.origin}`);
  return url.origin;
}

/** A secret from the environment: never the command line, where shell history and `ps` would keep it. */
function secretFromEnv(env: NodeJS.ProcessEnv, flag: string, name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UsageError(`${flag}: ${JSON.stringify(name)} is not an environment variable name`);
  const value = env[name]?.trim();
  if (!value) throw new UsageError(`${flag}: the environment variable ${name} is not set or empty`);
  if (!/^[\x21-\x7e]{1,4096}$/.test(value))
    throw new UsageError(`${flag}: the value of ${name} is not a token (printable characters, no spaces)`);
  return value;
}

function printable(flag: string, value: string): string {
  if (!/^[\x21-\x7e]{1,256}$/.test(value)) throw new UsageError(`${flag}: 1-256 printable characters, no spaces`);
  return value;
}

function parseCrm(value: string): CrmName {
  const name = value.trim().toLowerCase();
  if (!(CRM_NAMES as readonly string[]).includes(name)) throw new InvalidArgumentError(`expected one of ${CRM_NAMES.join(', ')}`);
  return name as CrmName;
}

/** The states of `c2c crm log-states`, or undefined for `default`. */
function parseStates(given: string[]): LoggableState[] | undefined {
  const names = given
    .flatMap((g) => g.split(','))
    .map((g) => g.trim().toLowerCase())
    .filter((g) => g !== '');
  if (names.length === 1 && names[0] === 'default') return undefined;
  const bad = names.find((n) => !(LOGGABLE_STATES as readonly string[]).includes(n));
  if (bad !== undefined || names.length === 0)
    throw new UsageError(
      `<states>: ${bad === undefined ? 'none given' : JSON.stringify(bad)}: expected final states among ${LOGGABLE_STATES.join(', ')}, or default`,
    );
  return [...new Set(names)] as LoggableState[];
}
