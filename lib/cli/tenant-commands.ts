import { Command, InvalidArgumentError, Option } from 'commander';
import { ZodError } from 'zod';
import type { NewTenant, Tenant } from '../model/tenant';
import { requireTenant, withStores, type CliDeps, type RunState } from './context';
import { CliError, UsageError } from './errors';
import { maskSecret, maskUrlPassword, renderFields, writeJson } from './io';
import { sealPlaintextTenantSecrets } from '../store/tenants';
import { SOURCE_ADAPTERS } from '../crm/sources';
import { WebhookSourceRepository } from '../store/webhook-sources';
import { outboundPolicyOf, refuseForbiddenUrl } from './target';

interface TenantCreateOptions {
  name: string;
  crmId: string;
  clientId: string;
  defaultCountry: string;
  pbxUrl: string;
  urlShape: 'click2call' | 'stats';
  pbxUser?: string;
  pbxPasswordEnv?: string;
  pbxTimeoutMs?: number;
  cdrUrl?: string;
  cdrKeyEnv?: string;
  cdrKeyHeader?: string;
  allowedCountries?: string[];
  maxWaitingCalls?: number;
  legalCallingHours?: boolean;
  json?: boolean;
}

/** Where each tenant field comes from on the command line, so a schema error names the option to fix. */
const OPTION_OF_FIELD: Record<string, string> = {
  tenantId: '<tenantId>',
  name: '--name',
  crmId: '--crm-id',
  clientId: '--client-id',
  defaultCountry: '--default-country',
  'pbx.baseUrl': '--pbx-url',
  'pbx.urlShape': '--url-shape',
  'pbx.basicAuth.username': '--pbx-user',
  'pbx.basicAuth.password': '--pbx-password-env',
  'pbx.timeoutMs': '--pbx-timeout-ms',
  'pbx.cdrApiUrl': '--cdr-url',
  'pbx.cdrApiKey': '--cdr-key-env',
  'pbx.cdrApiKeyHeader': '--cdr-key-header',
  'policy.allowedCountries': '--allowed-countries',
  'policy.maxWaitingCalls': '--max-waiting-calls',
};

export function tenantCommand(deps: CliDeps, state: RunState): Command {
  const tenant = new Command('tenant').description('create and show tenants');

  tenant
    .command('create')
    .description('create a tenant: one CRM client with its PBX settings')
    .argument('<tenantId>', 'lowercase letters, digits and dashes, 2-40 characters')
    .requiredOption('--name <name>', 'display name')
    .requiredOption('--crm-id <digits>', 'the CRM id the PBX knows this client by')
    .requiredOption('--client-id <digits>', 'the PBX client id')
    .requiredOption('--default-country <cc>', 'ISO 3166-1 alpha-2 country of national numbers, e.g. GB', parseCountry)
    .requiredOption('--pbx-url <url>', 'the PBX base URL, e.g. https://acme.pbx.commpeak.com')
    .addOption(new Option('--url-shape <shape>', 'the PBX Click2Call URL shape').choices(['click2call', 'stats']).makeOptionMandatory())
    .option('--pbx-user <user>', 'PBX HTTP Basic user (with --pbx-password-env)')
    .option('--pbx-password-env <VAR>', 'name of the environment variable holding the PBX password (never on the command line)')
    .option('--pbx-timeout-ms <ms>', 'PBX request timeout, 100-29000 ms', parseInteger)
    .option('--cdr-url <url>', 'PBX Stats CDR search URL, used by the reconciler')
    .option('--cdr-key-env <VAR>', 'name of the environment variable holding the CDR API key')
    .option('--cdr-key-header <header>', 'header the CDR API key is sent in')
    .option('--allowed-countries <list>', 'comma-separated ISO codes leads may be in, e.g. GB,IE', parseCountryList)
    .option('--max-waiting-calls <n>', 'scheduled and queued calls the tenant may have at once (default 1000)', parseInteger)
    .option('--legal-calling-hours', "also apply the law's calling hours of the lead's country (docs/api.md, calling hours set by law)")
    .option('--json', 'print JSON')
    .action(async (tenantId: string, options: TenantCreateOptions, command: Command) => {
      const input = tenantInput(tenantId, options, deps.env);
      const created = await withStores(command, deps, state, async (stores) => {
        // The service sends requests to both: refused before anything is written when they lead inside its network.
        const outbound = outboundPolicyOf(stores.target, deps.env);
        await refuseForbiddenUrl('--pbx-url', input.pbx.baseUrl, outbound);
        if (input.pbx.cdrApiUrl !== undefined) await refuseForbiddenUrl('--cdr-url', input.pbx.cdrApiUrl, outbound);
        try {
          return await stores.tenants.create(input);
        } catch (error) {
          if (error instanceof ZodError) throw new CliError(`Invalid tenant: ${describeIssues(error)}`, { cause: error });
          throw error;
        }
      });
      if (options.json) return writeJson(deps.stdout, maskTenant(created));
      deps.stdout.write(`Created tenant ${created.tenantId} in ${state.target?.description}\n`);
      deps.stdout.write(renderTenant(created));
    });

  tenant
    .command('show')
    .description('show a tenant (secrets masked)')
    .argument('<tenantId>')
    .option('--json', 'print JSON')
    .action(async (tenantId: string, options: { json?: boolean }, command: Command) => {
      const found = await withStores(command, deps, state, (stores) => requireTenant(stores, tenantId));
      if (options.json) return writeJson(deps.stdout, maskTenant(found));
      deps.stdout.write(renderTenant(found));
    });

  tenant
    .command('seal-plaintext')
    .description('one-off: seal, in place, the secrets of a tenant stored in clear before sealing existed (the service refuses them)')
    .argument('<tenantId>')
    .option('--json', 'print JSON')
    .action(async (tenantId: string, options: { json?: boolean }, command: Command) => {
      const sealed = await withStores(command, deps, state, async (stores) => {
        // Only the operator, who knows these values are the tenant's own, may vouch for a secret found in clear.
        const fields = await sealPlaintextTenantSecrets(stores.table, stores.sealer, tenantId);
        if (fields === undefined) throw new CliError(`Tenant ${tenantId} not found in ${stores.target.description}`);
        return [...fields, ...(await new WebhookSourceRepository(stores.table, stores.sealer, SOURCE_ADAPTERS).sealPlaintext(tenantId))];
      });
      if (options.json) return writeJson(deps.stdout, { tenantId, sealed });
      deps.stdout.write(
        sealed.length === 0 ? `Tenant ${tenantId}: no secret in clear\n` : `Tenant ${tenantId}: sealed ${sealed.join(', ')}\n`,
      );
    });

  return tenant;
}

function tenantInput(tenantId: string, options: TenantCreateOptions, env: NodeJS.ProcessEnv): Omit<NewTenant, 'createdAt' | 'updatedAt'> {
  if ((options.pbxUser === undefined) !== (options.pbxPasswordEnv === undefined)) {
    throw new UsageError('--pbx-user and --pbx-password-env go together');
  }
  if (options.cdrKeyEnv !== undefined && options.cdrUrl === undefined) throw new UsageError('--cdr-key-env needs --cdr-url');
  if (options.cdrKeyHeader !== undefined && options.cdrKeyEnv === undefined) throw new UsageError('--cdr-key-header needs --cdr-key-env');
  const password = options.pbxPasswordEnv === undefined ? undefined : secretFromEnv(env, options.pbxPasswordEnv, 'the PBX password');
  const cdrKey = options.cdrKeyEnv === undefined ? undefined : secretFromEnv(env, options.cdrKeyEnv, 'the CDR API key');
  return {
    tenantId,
    name: options.name,
    crmId: options.crmId,
    clientId: options.clientId,
    defaultCountry: options.defaultCountry,
    pbx: {
      urlShape: options.urlShape,
      baseUrl: options.pbxUrl,
      ...(options.pbxUser !== undefined && password !== undefined ? { basicAuth: { username: options.pbxUser, password } } : {}),
      ...(options.pbxTimeoutMs !== undefined ? { timeoutMs: options.pbxTimeoutMs } : {}),
      ...(options.cdrUrl !== undefined ? { cdrApiUrl: options.cdrUrl } : {}),
      ...(cdrKey !== undefined ? { cdrApiKey: cdrKey } : {}),
      ...(options.cdrKeyHeader !== undefined ? { cdrApiKeyHeader: options.cdrKeyHeader } : {}),
    },
    ...(options.allowedCountries !== undefined || options.maxWaitingCalls !== undefined || options.legalCallingHours
      ? {
          policy: {
            ...(options.allowedCountries !== undefined ? { allowedCountries: options.allowedCountries } : {}),
            ...(options.maxWaitingCalls !== undefined ? { maxWaitingCalls: options.maxWaitingCalls } : {}),
            ...(options.legalCallingHours ? { legalCallingHours: true } : {}),
          },
        }
      : {}),
  };
}

/** Secrets come from the environment, so they stay out of shell history and `ps`. */
function secretFromEnv(env: NodeJS.ProcessEnv, name: string, what: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UsageError(`${JSON.stringify(name)} is not an environment variable name`);
  const value = env[name];
  if (value === undefined || value === '') throw new CliError(`Environment variable ${name} (${what}) is not set`);
  return value;
}

function describeIssues(error: ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.join('.');
      return `${OPTION_OF_FIELD[path] ?? (path || 'tenant')}: ${issue.message}`;
    })
    .join('; ');
}

/** The tenant as it may be shown: secrets replaced by a mask. */
export function maskTenant(tenant: Tenant): Tenant {
  const { basicAuth, cdrApiKey, baseUrl, cdrApiUrl } = tenant.pbx;
  return {
    ...tenant,
    pbx: {
      ...tenant.pbx,
      baseUrl: maskUrlPassword(baseUrl),
      ...(cdrApiUrl !== undefined ? { cdrApiUrl: maskUrlPassword(cdrApiUrl) } : {}),
      ...(basicAuth ? { basicAuth: { username: basicAuth.username, password: maskSecret(basicAuth.password) ?? '' } } : {}),
      ...(cdrApiKey !== undefined ? { cdrApiKey: maskSecret(cdrApiKey) } : {}),
    },
    ...(tenant.callback
      ? { callback: { ...tenant.callback, secrets: tenant.callback.secrets.map((s) => ({ ...s, secret: maskSecret(s.secret) ?? '' })) } }
      : {}),
  };
}

function renderTenant(tenant: Tenant): string {
  const shown = maskTenant(tenant);
  const { pbx, policy } = shown;
  return renderFields([
    ['tenant', shown.tenantId],
    ['name', shown.name],
    ['status', shown.status],
    ['crm id', shown.crmId],
    ['client id', shown.clientId],
    ['default country', shown.defaultCountry],
    ['pbx url', pbx.baseUrl],
    ['url shape', pbx.urlShape],
    ['pbx user', pbx.basicAuth?.username],
    ['pbx password', pbx.basicAuth?.password],
    ['pbx timeout ms', pbx.timeoutMs?.toString()],
    ['cdr url', pbx.cdrApiUrl],
    ['cdr key', pbx.cdrApiKey],
    ['allowed countries', policy.allowedCountries.length ? policy.allowedCountries.join(',') : `${shown.defaultCountry} only`],
    ['max waiting calls', String(policy.maxWaitingCalls)],
    ['created', shown.createdAt],
    ['updated', shown.updatedAt],
  ]);
}

function parseCountry(value: string): string {
  const code = value.trim().toUpperCase();
  if (!/^[A-Z]{2}$/.test(code)) throw new InvalidArgumentError('expected an ISO 3166-1 alpha-2 code such as GB');
  return code;
}

function parseCountryList(value: string): string[] {
  const codes = value
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');
  if (codes.length === 0) throw new InvalidArgumentError('expected a comma-separated list such as GB,IE');
  return [...new Set(codes.map(parseCountry))];
}

export function parseInteger(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError('expected a whole number');
  return Number(value);
}
