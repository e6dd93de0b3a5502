/** The doctor's checks of the tenant's own items: the tenant, its agents, its webhook sources. */
import { extensionSchema } from '../model/agent';
import { isWebhookSource } from '../crm/sources';
import { webhookSourceSchema } from '../store/webhook-sources';
import { tenantSchema, type Tenant } from '../model/tenant';
import { listOf, plural, type CheckResult } from './check-result';

/** Exists, is active, and its item passes the schema every request applies to it. */
export function checkTenant(
  tenantId: string,
  item: Record<string, unknown> | undefined,
  where: string,
): { result: CheckResult; tenant?: Tenant } {
  const title = 'Tenant';
  if (!item) {
    return {
      result: {
        id: 'tenant',
        title,
        status: 'problem',
        message: `Tenant ${tenantId} does not exist in ${where}: every API call with its keys answers 401, every webhook for it 401.`,
        fix: 'Check the tenant id and the stage (--stage, --endpoint/--table); create it with `c2c tenant create <tenant> --name <name> --crm-id <digits> --client-id <digits> --default-country <cc> --pbx-url <url> --url-shape click2call`.',
      },
    };
  }
  const parsed = tenantSchema.safeParse(item);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => `${i.path.join('.') || '(item)'}: ${i.message}`);
    return {
      result: {
        id: 'tenant',
        title,
        status: 'problem',
        message:
          `The settings of tenant ${tenantId} do not pass validation (${listOf(fields, 5)}): every request of this tenant fails with 500. ` +
          'The PBX, allowlist and callback checks need valid settings and were not run.',
        fix: `Correct these fields of the tenant's item (pk TENANT#${tenantId}, sk TENANT) in the table.`,
        details: { invalidFields: fields },
      },
    };
  }
  const tenant = parsed.data;
  if (tenant.status !== 'active') {
    return {
      tenant,
      result: {
        id: 'tenant',
        title,
        status: 'problem',
        message: `Tenant ${tenantId} (${tenant.name}) is ${tenant.status}: every API call answers 403 tenant_suspended and nothing is dialled.`,
        fix: "Set the tenant's status back to active once the reason for the suspension is settled: `c2c tenant update <tenant> --status active`.",
        details: { status: tenant.status },
      },
    };
  }
  return {
    tenant,
    result: {
      id: 'tenant',
      title,
      status: 'ok',
      message: `${tenant.name}: active, CRM id ${tenant.crmId}, client id ${tenant.clientId}, settings valid.`,
    },
  };
}

// 2. The PBX ---------------------------------------------------------------------------------------------------

/** A raw item's string attribute, or '' (these checks read items that may not pass their schema: that is what they report). */
const textOf = (value: unknown): string => (typeof value === 'string' ? value : '');

// 5. Agents ----------------------------------------------------------------------------------------------------

/** No agents; agents without a usable extension; two agents on one extension. */
export function checkAgents(items: ReadonlyArray<Record<string, unknown>>): CheckResult[] {
  const agents = items.map((item) => ({
    crmUserId: typeof item.crmUserId === 'string' ? item.crmUserId : textOf(item.sk).replace(/^AGENT#/, ''),
    extension: item.extension,
  }));
  const results: CheckResult[] = [];
  results.push(
    agents.length === 0
      ? {
          id: 'agents',
          title: 'Agents',
          status: 'problem',
          message: 'The tenant has no agents: every call is refused with 422 agent_not_found.',
          fix: "Add the agents with the CRM's own user ids: `c2c agent put <tenant> <crmUserId> --extension <ext>`, or `c2c agent import <tenant> agents.csv`.",
        }
      : { id: 'agents', title: 'Agents', status: 'ok', message: `${plural(agents.length, 'agent')}.`, details: { count: agents.length } },
  );

  const missing = agents.filter((a) => a.extension === undefined || a.extension === null || a.extension === '');
  const invalid = agents.filter((a) => !missing.includes(a) && !extensionSchema.safeParse(a.extension).success);
  if (missing.length || invalid.length) {
    const parts = [
      ...(missing.length ? [`${plural(missing.length, 'agent')} without an extension (${listOf(missing.map((a) => a.crmUserId))})`] : []),
      ...(invalid.length
        ? [
            `${plural(invalid.length, 'agent')} whose extension is not 1-12 digits (${listOf(invalid.map((a) => `${a.crmUserId}: ${JSON.stringify(a.extension)}`))})`,
          ]
        : []),
    ];
    results.push({
      id: 'agent-extensions',
      title: 'Agent extensions',
      status: 'problem',
      message: `${parts.join('; ')}: calls for them fail with 500 and never ring (the agent record cannot be read), and so does every listing of this tenant's agents.`,
      fix: 'Give each an extension: `c2c agent put <tenant> <crmUserId> --extension <digits>` (or fix the CSV and import again).',
      details: { missing: missing.map((a) => a.crmUserId), invalid: invalid.map((a) => a.crmUserId) },
    });
  } else if (agents.length) {
    results.push({ id: 'agent-extensions', title: 'Agent extensions', status: 'ok', message: 'Every agent has an extension.' });
  }

  const byExtension = new Map<string, string[]>();
  for (const agent of agents) {
    if (typeof agent.extension !== 'string' || !extensionSchema.safeParse(agent.extension).success) continue;
    byExtension.set(agent.extension, [...(byExtension.get(agent.extension) ?? []), agent.crmUserId]);
  }
  const shared = [...byExtension].filter(([, ids]) => ids.length > 1).sort(([a], [b]) => a.localeCompare(b));
  if (shared.length) {
    results.push({
      id: 'duplicate-extensions',
      title: 'Duplicate extensions',
      status: 'problem',
      message:
        `${shared.map(([ext, ids]) => `Extension ${ext} is held by ${listOf(ids)}`).join('; ')}: ` +
        "each one's calls ring the same phone, so all but its owner have their calls ring a colleague's phone; a call that names the agent by extension may be recorded under the wrong one.",
      fix: 'Give each agent their own extension (`c2c agent put <tenant> <crmUserId> --extension <ext>`), or delete the stale agent (`c2c agent delete <tenant> <crmUserId>`).',
      details: { shared: Object.fromEntries(shared) },
    });
  } else if (agents.length) {
    results.push({ id: 'duplicate-extensions', title: 'Duplicate extensions', status: 'ok', message: 'No two agents share an extension.' });
  }
  return results;
}

// 6. Webhook sources -------------------------------------------------------------------------------------------

export function checkWebhookSources(items: ReadonlyArray<Record<string, unknown>>): CheckResult {
  const title = 'Webhook sources';
  if (items.length === 0) {
    return { id: 'webhook-sources', title, status: 'ok', message: 'None configured: calls come through the API only.' };
  }
  const sources = items.map((item) => {
    const parsed = webhookSourceSchema.safeParse(item);
    const name = typeof item.source === 'string' ? item.source : textOf(item.sk).replace(/^HOOKSOURCE#/, '');
    // A source the registry does not know is as unusable as one that fails the schema.
    const valid = parsed.success && isWebhookSource(parsed.data.source);
    return { name, valid, secrets: parsed.success ? parsed.data.secrets.length : 0 };
  });
  const corrupt = sources.filter((s) => !s.valid).map((s) => s.name);
  const bare = sources.filter((s) => s.valid && s.secrets === 0).map((s) => s.name);
  const fine = sources.filter((s) => s.valid && s.secrets > 0);
  const findings = [
    ...(bare.length
      ? [
          `${listOf(bare)} ${bare.length === 1 ? 'has' : 'have'} no live secret: every delivery from ${bare.length === 1 ? 'that sender' : 'those senders'} is refused with 401 and places no call`,
        ]
      : []),
    ...(corrupt.length ? [`the settings of ${listOf(corrupt)} do not pass validation: deliveries fail with 500`] : []),
  ];
  const okText = fine.length ? `${fine.map((s) => `${s.name} (${plural(s.secrets, 'secret')})`).join(', ')}` : '';
  if (findings.length === 0) return { id: 'webhook-sources', title, status: 'ok', message: `${okText}.`, details: { sources } };
  return {
    id: 'webhook-sources',
    title,
    status: 'problem',
    message: `${findings.join('; ')}.${okText ? ` Fine: ${okText}.` : ''}`,
    fix: 'Give each a secret: `c2c hook set-secret <tenant> <source> --generate` (or `--secret-env <VAR>` for a vendor-issued one), and set it at the sender (docs/webhooks.md).',
    details: { sources, withoutSecret: bare, invalid: corrupt },
  };
}

// 7. Callback URL and PBX Stats ---------------------------------------------------------------------------------
