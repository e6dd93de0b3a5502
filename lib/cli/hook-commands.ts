import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import * as z from 'zod';
import { effectiveMapping } from '../crm/mapping';
import { isWebhookSource, SecretFormatError, SOURCE_ADAPTERS, WEBHOOK_SOURCES, type WebhookSource } from '../crm/sources';
import { ALL_LEAD_TYPES } from '../model/crm-connection';
import type { Tenant } from '../model/tenant';
import {
  CALL_TARGET_KINDS,
  OUTSIDE_CALLING_HOURS,
  SOURCE_MAX_WAIT_SEC,
  WebhookSourceRepository,
  type WebhookSourceConfig,
} from '../store/webhook-sources';
import { requireTenant, withStores, type CliDeps, type RunState, type Stores } from './context';
import { CliError, UsageError } from './errors';
import { hookLogCommand } from './hook-log';
import {
  collectCustom,
  nextMapping,
  parseLeadType,
  parseMaxWait,
  parsePaths,
  parseTeam,
  renderMapping,
  type SetMappingOptions,
} from './hook-mapping';
import { hookPath, parseSource, SOURCE_ARGUMENT, SOURCES_HELP } from './hook-sources';
import { renderFields, renderTable, writeJson } from './io';

/** The sources whose secret we issue (`--generate`); the vendor issues the others'. */
const GENERATED = WEBHOOK_SOURCES.filter((s) => SOURCE_ADAPTERS[s].secrets.generate !== undefined);

/** A source's settings as they may be shown: secrets by id and hint only. */
function publicView(config: WebhookSourceConfig | undefined, source: WebhookSource, tenant: Tenant) {
  const adapter = SOURCE_ADAPTERS[source];
  const tenantId = tenant.tenantId;
  return {
    tenantId,
    source,
    path: hookPath(source, tenantId),
    secrets: (config?.secrets ?? []).map(({ secretId, hint, createdAt }) => ({ secretId, hint, createdAt })),
    mapping: effectiveMapping(adapter.defaultMapping, config?.mapping),
    overrides: config?.mapping ?? {},
    publicUrl: config?.publicUrl ?? null,
    refusalStatus: config?.refusalStatus ?? adapter.defaultRefusalStatus,
    refusalStatusIsDefault: config?.refusalStatus === undefined,
    /** The rule in force for calls from this source outside the calling hours: the source's own, else the tenant's. */
    outsideCallingHours: config?.outsideCallingHours ?? tenant.policy.outsideCallingHours,
    outsideCallingHoursIsTenantPolicy: config?.outsideCallingHours === undefined,
  };
}

type SourceView = ReturnType<typeof publicView>;

interface SetSecretOptions {
  secretEnv?: string;
  generate?: boolean;
  json?: boolean;
}

/**
 * `c2c hook ...`: a tenant's inbound webhook sources. Secrets are added beside the live ones and
 * removed by id, so a rotation never has a moment where the sender's deliveries are refused.
 */
export function hookCommand(deps: CliDeps, state: RunState): Command {
  const hook = new Command('hook')
    .description(
      'inbound CRM webhooks: set-secret and remove-secret, set-mapping, set-options, show, the url to paste in the CRM, and log (the delivery log)',
    )
    .addHelpText('after', `\n${SOURCES_HELP}`);

  const withSources = <T>(
    command: Command,
    tenantId: string,
    fn: (repo: WebhookSourceRepository, tenant: Tenant, stores: Stores) => Promise<T>,
  ) =>
    withStores(command, deps, state, async (stores) => {
      const tenant = await requireTenant(stores, tenantId);
      return fn(new WebhookSourceRepository(stores.table, stores.sealer, SOURCE_ADAPTERS), tenant, stores);
    });

  hook
    .command('set-secret')
    .description('add a live secret to a source, keeping the others (rotation); a generated one is printed once')
    .argument('<tenantId>')
    .argument('<source>', SOURCE_ARGUMENT, parseSource)
    .option('--secret-env <VAR>', 'name of the environment variable holding the secret (never on the command line)')
    .option('--generate', `generate the secret here (${GENERATED.join(', ')}): it is printed once`)
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      `\nWhat a secret is, per source:\n${WEBHOOK_SOURCES.map((s) => `  ${s.padEnd(10)} ${SOURCE_ADAPTERS[s].secrets.describe}`).join('\n')}`,
    )
    .action(async (tenantId: string, source: WebhookSource, options: SetSecretOptions, command: Command) => {
      if (Boolean(options.secretEnv) === Boolean(options.generate))
        throw new UsageError('give exactly one of --secret-env VAR or --generate');
      const format = SOURCE_ADAPTERS[source].secrets;
      let raw: string;
      if (options.generate) {
        if (!format.generate) throw new UsageError(`${source} secrets are issued by the vendor (${format.describe}): use --secret-env`);
        raw = format.generate();
      } else {
        raw = deps.env[options.secretEnv!] ?? '';
        if (raw.trim() === '') throw new UsageError(`environment variable ${options.secretEnv} is not set or empty`);
      }
      let stored: { value: string; hint: string };
      try {
        stored = format.toStored(raw);
      } catch (error) {
        if (error instanceof SecretFormatError) throw new UsageError(error.message);
        throw error;
      }
      const { secret, live } = await withSources(command, tenantId, async (repo) => {
        const added = await repo.addSecret(tenantId, source, stored);
        return { secret: added, live: (await repo.get(tenantId, source))?.secrets.length ?? 1 };
      });
      const shown = { secretId: secret.secretId, hint: secret.hint, createdAt: secret.createdAt, liveSecrets: live };
      if (options.json) {
        writeJson(deps.stdout, options.generate ? { ...shown, secret: raw } : shown);
      } else {
        deps.stdout.write(`Added secret ${secret.secretId} (${secret.hint}) to ${source} of tenant ${tenantId}; ${live} live.\n`);
        if (options.generate) deps.stdout.write(`\n  ${raw}\n\n`);
      }
      if (options.generate) deps.stderr.write('Store this secret now: it is shown only once and cannot be recovered.\n');
      if (live > 1)
        deps.stderr.write(
          `Once the sender uses the new secret, remove the old one: c2c hook remove-secret ${tenantId} ${source} <secretId>\n`,
        );
    });

  hook
    .command('remove-secret')
    .description('remove a secret by its id (as hook show lists it): deliveries signed with it are refused at once')
    .argument('<tenantId>')
    .argument('<source>', SOURCE_ARGUMENT, parseSource)
    .argument('<secretId>')
    .option('--json', 'print JSON')
    .action(async (tenantId: string, source: WebhookSource, secretId: string, options: { json?: boolean }, command: Command) => {
      const { config, tenant } = await withSources(command, tenantId, async (repo, tenant) => ({
        config: await repo.removeSecret(tenantId, source, secretId),
        tenant,
      }));
      if (options.json) return writeJson(deps.stdout, publicView(config, source, tenant));
      deps.stdout.write(`Removed secret ${secretId} from ${source} of tenant ${tenantId}; ${config.secrets.length} live.\n`);
      if (config.secrets.length === 0)
        deps.stderr.write(`Warning: ${source} of tenant ${tenantId} has no live secret: every delivery is refused.\n`);
    });

  hook
    .command('set-mapping')
    .description("set where a source's payload holds the agent, the number, the lead, custom data and the delivery id")
    .argument('<tenantId>')
    .argument('<source>', SOURCE_ARGUMENT, parseSource)
    .option('--agent <path>', 'path of the agent, or of the team with --agent-by team (alternatives separated by |)', parsePaths)
    .addOption(
      new Option('--agent-by <kind>', 'what the agent value is; team: the name of a team, whose free member is called').choices(
        CALL_TARGET_KINDS,
      ),
    )
    .option('--team <name>', 'call this team (a free member) for every delivery, instead of an agent read from the payload', parseTeam)
    .option('--no-team', 'stop calling the constant team: back to the agent path')
    .option(
      '--max-wait-sec <seconds>',
      `a team call waits up to this long for a free agent (queued), 1-${SOURCE_MAX_WAIT_SEC}; else none free is a 429 the sender retries`,
      parseMaxWait,
    )
    .option('--no-max-wait-sec', 'a team call does not wait: none free is a 429 with Retry-After')
    .option('--not-before <path>', 'path of the earliest time to dial (RFC 3339 with an offset, or epoch milliseconds)', parsePaths)
    .option('--no-not-before', 'dial at once, whatever the payload says')
    .option('--to <path>', 'path of the number to call', parsePaths)
    .option('--lead <path>', 'path of the lead id', parsePaths)
    .option('--no-lead', 'send no lead id')
    .option(
      '--lead-type <kind>',
      `the kind of record every lead id names, for CRM call logging: ${ALL_LEAD_TYPES.join(', ')}`,
      parseLeadType,
    )
    .option('--lead-type-path <path>', 'path of the kind of record the lead id names (its value one of the kinds, any case)', parsePaths)
    .option('--no-lead-type', "send no lead type (the CRM's default kind)")
    .option('--custom <name=path>', 'custom data for the PBX CDR (repeatable; replaces the custom data set)', collectCustom)
    .option('--no-custom', 'no custom data')
    .option('--delivery-id <path>', "path (or header:<name>) of the sender's delivery id", parsePaths)
    .option('--no-delivery-id', 'ignore delivery ids: use the short-window derived key')
    .option('--default-country <cc>', 'country of national numbers for this source (else the tenant default)')
    .option('--prefix <prefix>', 'PBX dial prefix for calls from this source')
    .option('--reset', 'drop the stored overrides first (back to the source defaults)')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      `
Paths are dotted names into the JSON body, digits index lists, header:<name> reads a header;
a value {"value": ...} is read as its value. Alternatives: "properties.phone|phone".
Examples:
  c2c hook set-mapping acme hubspot --to "properties.mobilephone|properties.phone"
  c2c hook set-mapping acme pipedrive --agent data.owner_id --agent-by crmUserId --custom deal=data.id
  c2c hook set-mapping acme token --agent agent_extension --agent-by extension --delivery-id header:x-zap-run-id
  c2c hook set-mapping acme hubspot --team inbound-sales --max-wait-sec 120
  c2c hook set-mapping acme standard --agent data.team --agent-by team --not-before data.notBefore
Outside the calling hours: c2c hook set-options <tenant> <source> --outside-calling-hours defer.`,
    )
    .action(async (tenantId: string, source: WebhookSource, options: SetMappingOptions, command: Command) => {
      const view = await withSources(command, tenantId, async (repo, tenant) => {
        const config = await repo.update(tenantId, source, (current) => ({
          ...current,
          mapping: nextMapping(options.reset ? {} : current.mapping, source, options),
        }));
        return publicView(config, source, tenant);
      });
      if (options.json) return writeJson(deps.stdout, view);
      deps.stdout.write(`Mapping of ${source} for tenant ${tenantId}:\n${renderMapping(view.mapping)}`);
    });

  hook
    .command('set-options')
    .description("set a source's public URL (HubSpot signs it), the status of permanent refusals, and its rule outside calling hours")
    .argument('<tenantId>')
    .argument('<source>', SOURCE_ARGUMENT, parseSource)
    .option('--public-url <url>', 'the exact URL configured at the sender, when it is not the one the function sees')
    .option('--no-public-url', 'derive the URL from the request again')
    .addOption(
      new Option(
        '--refusal-status <status>',
        'answer to a permanent refusal: 200 with the rejected call, or 422; default: the source default',
      ).choices(['200', '422', 'default']),
    )
    .addOption(
      new Option(
        '--outside-calling-hours <rule>',
        "a call asked for outside the calling hours: refuse it, or defer it to the next opening; default: the tenant's policy",
      ).choices([...OUTSIDE_CALLING_HOURS, 'default']),
    )
    .option('--json', 'print JSON')
    .action(
      async (
        tenantId: string,
        source: WebhookSource,
        options: { publicUrl?: string | false; refusalStatus?: string; outsideCallingHours?: string; json?: boolean },
        command: Command,
      ) => {
        if (typeof options.publicUrl === 'string' && !z.url().safeParse(options.publicUrl).success)
          throw new UsageError('--public-url: not a URL');
        const view = await withSources(command, tenantId, async (repo, tenant) => {
          const config = await repo.update(tenantId, source, (current) => {
            const next = { ...current };
            if (options.publicUrl === false) delete next.publicUrl;
            else if (options.publicUrl !== undefined) next.publicUrl = options.publicUrl;
            if (options.refusalStatus === 'default') delete next.refusalStatus;
            else if (options.refusalStatus !== undefined) next.refusalStatus = Number(options.refusalStatus) as 200 | 422;
            if (options.outsideCallingHours === 'default') delete next.outsideCallingHours;
            else if (options.outsideCallingHours !== undefined)
              next.outsideCallingHours = options.outsideCallingHours as (typeof OUTSIDE_CALLING_HOURS)[number];
            return next;
          });
          return publicView(config, source, tenant);
        });
        if (options.json) return writeJson(deps.stdout, view);
        deps.stdout.write(renderFields([['source', `${source} of tenant ${tenantId}`], ...optionFields(view)]));
      },
    );

  hook
    .command('show')
    .description("show a tenant's webhook sources: secrets (ids and hints only), mapping in force, options")
    .argument('<tenantId>')
    .argument('[source]', SOURCE_ARGUMENT, parseSource)
    .option('--json', 'print JSON')
    .action(async (tenantId: string, source: WebhookSource | undefined, options: { json?: boolean }, command: Command) => {
      const views = await withSources(command, tenantId, async (repo, tenant) => {
        const stored = source ? [await repo.get(tenantId, source)].filter((c) => c !== undefined) : await repo.list(tenantId);
        // The repository reads only the registry's sources: the filter only tells the compiler so.
        const wanted = source ? [source] : stored.map((c) => c.source).filter(isWebhookSource);
        return wanted.map((s) =>
          publicView(
            stored.find((c) => c.source === s),
            s,
            tenant,
          ),
        );
      });
      if (options.json) return writeJson(deps.stdout, views);
      if (views.length === 0) return void deps.stdout.write(`No webhook source configured for tenant ${tenantId}.\n`);
      for (const view of views) {
        deps.stdout.write(`${view.source}  ${view.path}\n`);
        deps.stdout.write(
          view.secrets.length === 0
            ? '  no live secret: every delivery is refused\n'
            : indent(
                renderTable(view.secrets, [
                  { header: 'SECRET', value: (s) => s.secretId },
                  { header: 'HINT', value: (s) => s.hint },
                  { header: 'CREATED', value: (s) => s.createdAt },
                ]),
              ),
        );
        deps.stdout.write(indent(renderMapping(view.mapping)));
        deps.stdout.write(indent(renderFields(optionFields(view))));
      }
    });

  hook
    .command('url')
    .description('print the URL to paste into the CRM or automation tool')
    .argument('<tenantId>')
    .argument('<source>', SOURCE_ARGUMENT, parseSource)
    .option(
      '--api-url <url>',
      "the API's base URL (the stage's HttpApiUrl output or your custom domain); default C2C_API_URL, else the local stack",
    )
    .action((tenantId: string, source: WebhookSource, options: { apiUrl?: string }) => {
      const apiUrl = options.apiUrl ?? nonEmpty(deps.env.C2C_API_URL) ?? localApiUrl(deps.stackFile);
      if (!apiUrl) throw new UsageError("give --api-url (the stage's HttpApiUrl output, or the custom domain), or set C2C_API_URL");
      if (!z.url().safeParse(apiUrl).success) throw new UsageError(`--api-url: not a URL: ${JSON.stringify(apiUrl)}`);
      deps.stdout.write(`${apiUrl.replace(/\/+$/, '')}${hookPath(source, tenantId)}\n`);
      const adapter = SOURCE_ADAPTERS[source];
      if (adapter.signsUrl)
        deps.stderr.write(
          `${adapter.title} signs the URL it calls. If it reaches the function by another URL (a proxy, a base path),\nrecord this one: c2c hook set-options ${tenantId} ${source} --public-url <this URL>\n`,
        );
    });

  hook.addCommand(hookLogCommand(deps, state));
  return hook;
}

function optionFields(view: SourceView): Array<[string, string]> {
  return [
    ['public URL', view.publicUrl ?? '(derived from the request)'],
    ['permanent refusal', `${view.refusalStatus}${view.refusalStatusIsDefault ? ' (source default)' : ''}`],
    ['outside calling hours', `${view.outsideCallingHours}${view.outsideCallingHoursIsTenantPolicy ? " (the tenant's policy)" : ''}`],
  ];
}

const indent = (text: string) => text.replace(/^(?=.)/gm, '  ');

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function localApiUrl(stackFile: string): string | undefined {
  try {
    const facts = JSON.parse(readFileSync(stackFile, 'utf8')) as { apiUrl?: unknown };
    return typeof facts.apiUrl === 'string' ? facts.apiUrl : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(`Cannot read ${stackFile}: ${(error as Error).message}`, { cause: error });
  }
}
