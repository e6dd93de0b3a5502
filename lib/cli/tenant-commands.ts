import { Command, Option } from 'commander';
import { ZodError } from 'zod';
import type { Tenant } from '../model/tenant';
import { formatCallingHours } from '../policy/calling-hours';
import { TenantPurge, type TenantItemCounts } from '../store/tenant-purge';
import { sealPlaintextTenantSecrets } from '../store/tenants';
import { SOURCE_ADAPTERS } from '../crm/sources';
import { WebhookSourceRepository } from '../store/webhook-sources';
import { applyMergePatch, type JsonObject } from '../tenants/merge-patch';
import { checkNewTenant, patchTenant } from '../tenants/settings';
import { requireTenant, withStores, type CliDeps, type RunState, type Stores } from './context';
import { CliError, UsageError } from './errors';
import { crmSummary, maskCrm } from './crm-view';
import { maskSecret, maskUrlPassword, renderFields, writeJson } from './io';
import { outboundPolicyOf, refuseForbiddenUrl } from './target';
import { addIdentityOptions, addSettingOptions, invalidSettings, NONE, settingsPatch, type TenantSettingOptions } from './tenant-options';

type WithJson = TenantSettingOptions & { json?: boolean };

export function tenantCommand(deps: CliDeps, state: RunState): Command {
  const tenant = new Command('tenant').description(
    'tenants and their settings (PBX, countries, calling hours, caps, retention): create, update, show, delete; seal-plaintext once',
  );

  const create = tenant
    .command('create')
    .description('create a tenant: one CRM client with its PBX settings and call policy')
    .argument('<tenantId>', 'lowercase letters, digits and dashes, 2-40 characters');
  addSettingOptions(addIdentityOptions(create, true))
    .option('--json', 'print JSON')
    .action(async (tenantId: string, options: WithJson, command: Command) => {
      if ((options.pbxUser === undefined) !== (options.pbxPasswordEnv === undefined)) {
        throw new UsageError('--pbx-user and --pbx-password-env go together');
      }
      if (options.cdrKeyEnv !== undefined && (options.cdrUrl === undefined || options.cdrUrl === NONE))
        throw new UsageError('--cdr-key-env needs --cdr-url');
      if (options.cdrKeyHeader && options.cdrKeyEnv === undefined) throw new UsageError('--cdr-key-header needs --cdr-key-env');
      const patch = settingsPatch(options, deps.env);
      const now = new Date().toISOString();
      const input = validated(() =>
        checkNewTenant({ ...(applyMergePatch({ tenantId }, patch) as JsonObject), createdAt: now, updatedAt: now }),
      );
      const created = await withStores(command, deps, state, async (stores) => {
        await refuseForbiddenUrls(stores, deps, undefined, input);
        return stores.tenants.create(input);
      });
      if (options.json) return writeJson(deps.stdout, maskTenant(created));
      deps.stdout.write(`Created tenant ${created.tenantId} in ${state.target?.description}\n`);
      deps.stdout.write(renderTenant(created));
    });

  const update = tenant
    .command('update')
    .description('change any setting of a tenant: PBX, countries, calling hours, caps, retention (only the options given)')
    .argument('<tenantId>');
  addSettingOptions(addIdentityOptions(update, false))
    .addOption(
      new Option('--status <status>', 'active, or suspended: every API call answers 403 tenant_suspended and nothing is dialled').choices([
        'active',
        'suspended',
      ]),
    )
    .option('--json', 'print JSON')
    .action(async (tenantId: string, options: WithJson, command: Command) => {
      const patch = settingsPatch(options, deps.env);
      if (Object.keys(patch).length === 0) throw new UsageError('Nothing to change: give at least one option (c2c tenant update --help)');
      const changed = await withStores(command, deps, state, async (stores) => {
        // Checked on the tenant as it stands, before the write; the URLs once, against the first reading.
        let checked = false;
        const result = await stores.tenants.update(tenantId, async (current) => {
          const next = validated(() => patchTenant(current, patch, new Date()));
          if (!checked) await refuseForbiddenUrls(stores, deps, current, next);
          checked = true;
          return next;
        });
        if (!result) throw new CliError(`Tenant ${tenantId} not found in ${stores.target.description}`);
        return result;
      });
      if (options.json) return writeJson(deps.stdout, maskTenant(changed.after));
      const fields = changedFields(maskTenant(changed.before), maskTenant(changed.after));
      deps.stdout.write(`Updated tenant ${tenantId} in ${state.target?.description}: ${fields.join(', ') || 'nothing changed'}\n`);
      deps.stdout.write(renderTenant(changed.after));
    });

  tenant
    .command('show')
    .description('show every setting of a tenant, the call policy with its defaults (secrets masked)')
    .argument('<tenantId>')
    .option('--json', 'print JSON')
    .action(async (tenantId: string, options: { json?: boolean }, command: Command) => {
      const found = await withStores(command, deps, state, (stores) => requireTenant(stores, tenantId));
      if (options.json) return writeJson(deps.stdout, maskTenant(found));
      deps.stdout.write(renderTenant(found));
    });

  tenant
    .command('delete')
    .description('delete a tenant and everything under it: keys, agents, calls, webhook sources, counters, dead letters')
    .argument('<tenantId>')
    .option('--yes', 'really delete (without it, only counts what would go)')
    .option('--json', 'print JSON')
    .action(async (tenantId: string, options: { yes?: boolean; json?: boolean }, command: Command) => {
      const { counts, deleted } = await withStores(command, deps, state, async (stores) => {
        const purge = new TenantPurge(stores.table);
        const found = await purge.count(tenantId);
        if (total(found) === 0) throw new CliError(`Tenant ${tenantId} not found in ${stores.target.description}: nothing to delete`);
        if (!options.yes) return { counts: found, deleted: false };
        return { counts: await purge.purge(tenantId), deleted: true };
      });
      if (options.json) writeJson(deps.stdout, { tenantId, deleted, items: counts });
      else {
        deps.stdout.write(`${deleted ? 'Deleted' : 'Would delete'} tenant ${tenantId}: ${total(counts)} items\n`);
        deps.stdout.write(renderCounts(counts));
      }
      if (!deleted) throw new UsageError(`Nothing deleted: add --yes to delete tenant ${tenantId} and everything under it`);
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

/** The tenant `build` makes, or a usage error naming each option at fault: nothing is written for an invalid value. */
function validated(build: () => Tenant): Tenant {
  try {
    return build();
  } catch (error) {
    if (error instanceof ZodError) throw invalidSettings(error);
    throw error;
  }
}

/** The service sends requests to both URLs: refused before anything is written when they lead inside its network. */
async function refuseForbiddenUrls(stores: Stores, deps: CliDeps, before: Tenant | undefined, next: Tenant): Promise<void> {
  const outbound = outboundPolicyOf(stores.target, deps.env);
  if (next.pbx.baseUrl !== before?.pbx.baseUrl) await refuseForbiddenUrl('--pbx-url', next.pbx.baseUrl, outbound);
  if (next.pbx.cdrApiUrl !== undefined && next.pbx.cdrApiUrl !== before?.pbx.cdrApiUrl) {
    await refuseForbiddenUrl('--cdr-url', next.pbx.cdrApiUrl, outbound);
  }
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
    ...(tenant.pbxEvents
      ? { pbxEvents: { ...tenant.pbxEvents, tokens: tenant.pbxEvents.tokens.map((t) => ({ ...t, hash: '********' })) } }
      : {}),
    ...(tenant.crm ? { crm: maskCrm(tenant.crm) } : {}),
  };
}

/** The dotted names of the settings that differ (secrets compared masked: a new secret of the same mask is not shown). */
function changedFields(before: Tenant, after: Tenant): string[] {
  const flat = (value: unknown, prefix: string, out: Map<string, string>) => {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) flat(v, prefix ? `${prefix}.${k}` : k, out);
    } else out.set(prefix, JSON.stringify(value));
    return out;
  };
  const a = flat(before, '', new Map());
  const b = flat(after, '', new Map());
  return [...new Set([...a.keys(), ...b.keys()])].filter((k) => k !== 'updatedAt' && a.get(k) !== b.get(k));
}

function renderTenant(tenant: Tenant): string {
  const shown = maskTenant(tenant);
  const { pbx, policy } = shown;
  const yesNo = (allowed: boolean) => (allowed ? 'allowed' : 'refused');
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
    ['pbx timeout ms', pbx.timeoutMs?.toString() ?? 'service default (PBX_TIMEOUT_MS)'],
    ['cdr url', pbx.cdrApiUrl],
    ['cdr key', pbx.cdrApiKey],
    ['cdr key header', pbx.cdrApiKeyHeader ?? (pbx.cdrApiKey ? 'X-Api-Key' : undefined)],
    ['allowed countries', policy.allowedCountries.length ? policy.allowedCountries.join(',') : `${shown.defaultCountry} only`],
    ['calling hours', policy.callingHours ? `${formatCallingHours(policy.callingHours)} (lead's local time)` : 'any time'],
    ['legal calling hours', policy.legalCallingHours ? "on (the law's hours of the lead's country, on top)" : 'off'],
    ['outside calling hours', policy.outsideCallingHours],
    ['cap per tenant', `${policy.caps.perTenantPerSecond} requests/s`],
    ['cap per agent', `${policy.caps.perAgentPerMinute} calls/min`],
    ['cap per destination', `${policy.caps.perDestination.max} calls/${policy.caps.perDestination.windowSec} s`],
    ['deny prefixes', policy.denyPrefixes.length ? policy.denyPrefixes.map((p) => `+${p}`).join(',') : 'none'],
    ['premium rate', yesNo(policy.allowPremiumRate)],
    ['shared cost', yesNo(policy.allowSharedCost)],
    ['unknown type', yesNo(policy.allowUnknownType)],
    ['retention days', String(policy.retentionDays)],
    ['refused retention days', String(policy.refusedRetentionDays)],
    ['dedupe window sec', String(policy.dedupeWindowSec)],
    ['max waiting calls', String(policy.maxWaitingCalls)],
    ['reads per second', String(policy.readsPerSecond)],
    ['callback url', shown.callback?.url],
    ['callback secrets', shown.callback ? String(shown.callback.secrets.length) : undefined],
    ['pbx events tokens', shown.pbxEvents ? String(shown.pbxEvents.tokens.filter((t) => !t.revokedAt).length) : undefined],
    ['crm', crmSummary(shown.crm)],
    ['created', shown.createdAt],
    ['updated', shown.updatedAt],
  ]);
}

const total = (counts: TenantItemCounts) => Object.values(counts).reduce((a, b) => a + b, 0);

function renderCounts(counts: TenantItemCounts): string {
  return renderFields(Object.entries(counts).map(([kind, n]) => [kind, String(n)]));
}
