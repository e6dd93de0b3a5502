import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import * as z from 'zod';
import { issuePbxEventsToken, pbxEventsUrl } from '../calls/pbx-event-tokens';
import { WEBHOOK_TRANSPORT } from '../notify/outbox';
import { newCallbackSecret } from '../notify/secrets';
import { DeadLetterRepository } from '../store/dead-letters';
import { PbxEventRepository } from '../store/pbx-events';
import { callbackSettingsSchema } from '../model/tenant';
import { isTimeZone } from '../time/zone';
import { requireTenant, withStores, type CliDeps, type RunState } from './context';
import { CliError, UsageError } from './errors';
import { maskSecret, renderFields, renderTable, writeJson } from './io';
import { deadSlotsOf, redriveDeadDeliveries } from './redrive';
import { outboundPolicyOf, refuseForbiddenUrl } from './target';

/**
 * `c2c outcomes ...`: the outcome side of a tenant. The callback URL and signing secrets of its
 * notifications, the tokens of its PBX Stats webhook URL, dead-lettered notifications and their
 * redrive, and PBX events that matched no call.
 */
export function outcomesCommand(deps: CliDeps, state: RunState): Command {
  const outcomes = new Command('outcomes').description(
    'outcome notifications and PBX events: the callback URL and its secrets, pbx-token (PBX Stats webhook URLs), dead-letters, orphans',
  );

  const callback = outcomes
    .command('callback')
    .description(
      "a tenant's callback URL for outcome notifications and its signing secrets: set, show, rotate-secret, retire-secret, remove",
    );

  callback
    .command('set')
    .description('set the callback URL; the first time, a signing secret is made and printed once')
    .argument('<tenantId>')
    .requiredOption('--url <url>', 'https URL of the CRM endpoint that receives the notifications')
    .option('--json', 'print JSON')
    .action(async (tenantId: string, options: { url: string; json?: boolean }, command: Command) => {
      const { tenant, created } = await withStores(command, deps, state, async (stores) => {
        const current = await requireTenant(stores, tenantId);
        const secrets = current.callback?.secrets ?? [newCallbackSecret()];
        const parsed = callbackSettingsSchema.safeParse({ url: options.url, secrets });
        if (!parsed.success) throw new UsageError(`--url: ${parsed.error.issues[0]?.message}`);
        // Notifications are POSTed from inside the service's network: never to loopback, private or metadata addresses.
        await refuseForbiddenUrl('--url', parsed.data.url, outboundPolicyOf(stores.target, deps.env));
        return { tenant: await stores.tenants.put({ ...current, callback: parsed.data }), created: !current.callback };
      });
      const secret = created ? tenant.callback!.secrets[0]! : undefined;
      if (options.json) return writeJson(deps.stdout, { url: tenant.callback!.url, ...(secret ? { newSecret: secret } : {}) });
      deps.stdout.write(`Callback URL of tenant ${tenantId}: ${tenant.callback!.url}\n`);
      if (secret) printSecret(deps, secret);
    });

  callback
    .command('show')
    .description('show the callback URL and the ids of its secrets')
    .argument('<tenantId>')
    .option('--show-secrets', 'print the secrets themselves (the CRM needs them to verify signatures)')
    .option('--json', 'print JSON')
    .action(async (tenantId: string, options: { showSecrets?: boolean; json?: boolean }, command: Command) => {
      const tenant = await withStores(command, deps, state, (stores) => requireTenant(stores, tenantId));
      if (!tenant.callback) throw new CliError(`Tenant ${tenantId} has no callback URL: set one with c2c outcomes callback set`);
      const secrets = tenant.callback.secrets.map((s) => ({ ...s, secret: options.showSecrets ? s.secret : (maskSecret(s.secret) ?? '') }));
      if (options.json) return writeJson(deps.stdout, { url: tenant.callback.url, secrets });
      deps.stdout.write(renderFields([['url', tenant.callback.url]]));
      deps.stdout.write(
        renderTable(secrets, [
          { header: 'SECRET ID', value: (s) => s.id },
          { header: 'CREATED', value: (s) => s.createdAt },
          { header: 'SECRET', value: (s) => s.secret },
        ]),
      );
    });

  callback
    .command('rotate-secret')
    .description('add a new signing secret; both sign until the old one is retired (deliveries carry both signatures)')
    .argument('<tenantId>')
    .option('--json', 'print JSON')
    .action(async (tenantId: string, options: { json?: boolean }, command: Command) => {
      const secret = newCallbackSecret();
      await withStores(command, deps, state, async (stores) => {
        const current = await requireTenant(stores, tenantId);
        if (!current.callback) throw new CliError(`Tenant ${tenantId} has no callback URL: set one with c2c outcomes callback set`);
        await stores.tenants.put({ ...current, callback: { ...current.callback, secrets: [...current.callback.secrets, secret] } });
      });
      if (options.json) return writeJson(deps.stdout, { newSecret: secret });
      printSecret(deps, secret);
      deps.stdout.write('Give it to the CRM; once it verifies with it, retire the old one with c2c outcomes callback retire-secret.\n');
    });

  callback
    .command('retire-secret')
    .description('stop signing with a secret (the last one cannot be retired: remove the callback instead)')
    .argument('<tenantId>')
    .argument('<secretId>')
    .action(async (tenantId: string, secretId: string, _options: unknown, command: Command) => {
      await withStores(command, deps, state, async (stores) => {
        const current = await requireTenant(stores, tenantId);
        const secrets = current.callback?.secrets ?? [];
        if (!secrets.some((s) => s.id === secretId)) throw new CliError(`Tenant ${tenantId} has no callback secret ${secretId}`);
        if (secrets.length === 1) throw new CliError(`${secretId} is the only secret: rotate one in first, or remove the callback`);
        await stores.tenants.put({ ...current, callback: { ...current.callback!, secrets: secrets.filter((s) => s.id !== secretId) } });
      });
      deps.stdout.write(`Retired secret ${secretId} of tenant ${tenantId}.\n`);
    });

  callback
    .command('remove')
    .description('stop notifying this tenant (state changes from now on are marked delivered without a request)')
    .argument('<tenantId>')
    .action(async (tenantId: string, _options: unknown, command: Command) => {
      await withStores(command, deps, state, async (stores) => {
        const { callback: _removed, ...rest } = await requireTenant(stores, tenantId);
        await stores.tenants.put(rest);
      });
      deps.stdout.write(`Removed the callback of tenant ${tenantId}.\n`);
    });

  const token = outcomes.command('pbx-token').description("tokens of a tenant's PBX Stats webhook URL: issue, list, revoke");

  token
    .command('issue')
    .description('issue a token and print the URL to paste into PBX Stats (Call Start, Call Answer, Call End); shown once')
    .argument('<tenantId>')
    .option('--api-url <url>', "the public base URL of the API (default $C2C_API_URL, else the local stack's)")
    .option('--time-zone <zone>', 'IANA zone of PBX timestamps sent without an offset (default: UTC)', parseTimeZone)
    .option('--json', 'print JSON')
    .action(async (tenantId: string, options: { apiUrl?: string; timeZone?: string; json?: boolean }, command: Command) => {
      const { token: secret, record } = issuePbxEventsToken();
      const apiUrl = await withStores(command, deps, state, async (stores) => {
        // On the local stack its own API is the default, as the README's examples run it (and as c2c doctor does).
        const url = options.apiUrl ?? deps.env.C2C_API_URL ?? (stores.target.kind === 'local' ? localApiUrl(deps.stackFile) : undefined);
        if (!url || !z.url().safeParse(url).success)
          throw new UsageError("--api-url (or C2C_API_URL) must be the API's base URL, e.g. https://api.example.com");
        const current = await requireTenant(stores, tenantId);
        const tokens = [...(current.pbxEvents?.tokens ?? []), record];
        const timeZone = options.timeZone ?? current.pbxEvents?.timeZone;
        await stores.tenants.put({ ...current, pbxEvents: { tokens, ...(timeZone ? { timeZone } : {}) } });
        return url;
      });
      const url = pbxEventsUrl(apiUrl, tenantId, secret);
      if (options.json) return writeJson(deps.stdout, { tokenId: record.id, url });
      deps.stdout.write(
        `Issued PBX events token ${record.id} for tenant ${tenantId}. Paste this URL into PBX Stats' webhooks:\n\n  ${url}\n\n`,
      );
      deps.stderr.write('It is shown only once (only a hash of the token is kept).\n');
    });

  token
    .command('list')
    .description('list the tokens (ids only)')
    .argument('<tenantId>')
    .option('--json', 'print JSON')
    .action(async (tenantId: string, options: { json?: boolean }, command: Command) => {
      const tenant = await withStores(command, deps, state, (stores) => requireTenant(stores, tenantId));
      const tokens = (tenant.pbxEvents?.tokens ?? []).map(({ hash: _hash, ...t }) => ({ ...t, revoked: t.revokedAt !== undefined }));
      if (options.json) return writeJson(deps.stdout, tokens);
      if (tokens.length === 0) return void deps.stdout.write(`No PBX events tokens for tenant ${tenantId}.\n`);
      deps.stdout.write(
        renderTable(tokens, [
          { header: 'ID', value: (t) => t.id },
          { header: 'CREATED', value: (t) => t.createdAt },
          { header: 'REVOKED', value: (t) => t.revokedAt ?? 'no' },
        ]),
      );
    });

  token
    .command('revoke')
    .description('revoke a token: its URL is refused with 401 from now on')
    .argument('<tenantId>')
    .argument('<tokenId>')
    .action(async (tenantId: string, tokenId: string, _options: unknown, command: Command) => {
      await withStores(command, deps, state, async (stores) => {
        const current = await requireTenant(stores, tenantId);
        const tokens = current.pbxEvents?.tokens ?? [];
        if (!tokens.some((t) => t.id === tokenId)) throw new CliError(`Tenant ${tenantId} has no PBX events token ${tokenId}`);
        const now = new Date().toISOString();
        await stores.tenants.put({
          ...current,
          pbxEvents: { ...current.pbxEvents, tokens: tokens.map((t) => (t.id === tokenId ? { ...t, revokedAt: t.revokedAt ?? now } : t)) },
        });
      });
      deps.stdout.write(`Revoked PBX events token ${tokenId} of tenant ${tenantId}.\n`);
    });

  const dead = outcomes
    .command('dead-letters')
    .description('deliveries given up on after the retry budget (notifications, CRM call logging): list, redrive');

  dead
    .command('list')
    .description('calls with dead-lettered deliveries, newest first, across tenants')
    .option('--tenant <tenantId>', 'only this tenant')
    .option('--transport <name>', 'only this transport (webhook, or a CRM: hubspot, pipedrive, salesforce)', parseTransport)
    .option('--limit <n>', 'at most this many (1-1000)', parseLimit, 100)
    .option('--log', 'show the dead-letter log (every dead-lettering, redriven ones included) instead')
    .option('--json', 'print JSON')
    .action(async (options: { tenant?: string; transport?: string; limit: number; log?: boolean; json?: boolean }, command: Command) => {
      const rows = await withStores(command, deps, state, async (stores) => {
        if (options.log) {
          const letters = await new DeadLetterRepository(stores.table).list(options.limit, options.tenant, options.transport);
          return letters.map((l) => ({ ...l, transport: l.transport ?? WEBHOOK_TRANSPORT }));
        }
        const found = await stores.calls.outbox.listNotifyDead(options.limit, options.tenant);
        const calls = await Promise.all(found.map((c) => stores.calls.get(c.tenantId, c.callId)));
        return calls.flatMap((call) => (call ? deadSlotsOf(call, options.transport) : []));
      });
      if (options.json) return writeJson(deps.stdout, rows);
      if (rows.length === 0) return void deps.stdout.write('No dead letters.\n');
      deps.stdout.write(
        renderTable(rows, [
          { header: 'DEAD SINCE', value: (r) => r.deadLetteredAt },
          { header: 'TENANT', value: (r) => r.tenantId },
          { header: 'CALL ID', value: (r) => r.callId },
          { header: 'TRANSPORT', value: (r) => r.transport },
          { header: 'EVENTS', value: (r) => `${r.fromEvent}..${r.eventCount - 1}` },
          { header: 'ATTEMPTS', value: (r) => String(r.attempts) },
          { header: 'LAST ERROR', value: (r) => r.lastError },
        ]),
      );
    });

  dead
    .command('redrive')
    .description('put dead-lettered deliveries back to work, due now, with a fresh retry budget')
    .option('--tenant <tenantId>', 'only this tenant')
    .option('--call <callId>', 'only this call (with --tenant)')
    .option('--transport <name>', "only this transport's deliveries (the others stay as they are)", parseTransport)
    .option('--all', 'every dead-lettered call')
    .action(async (options: { tenant?: string; call?: string; transport?: string; all?: boolean }, command: Command) => {
      if (!options.all && !options.tenant) throw new UsageError('say which: --tenant T [--call C], or --all');
      if (options.call && !options.tenant) throw new UsageError('--call needs --tenant');
      const redriven = await withStores(command, deps, state, (stores) =>
        redriveDeadDeliveries(stores.calls, new DeadLetterRepository(stores.table), {
          ...(options.all ? {} : { tenantId: options.tenant }),
          ...(options.call ? { tenantId: options.tenant, callId: options.call } : {}),
          ...(options.transport ? { transport: options.transport } : {}),
        }),
      );
      if (options.call && redriven === 0) throw new CliError(`Call ${options.call} of tenant ${options.tenant} is not dead-lettered`);
      deps.stdout.write(`Redrove ${redriven} call${redriven === 1 ? '' : 's'}: their deliveries go out on the next delivery run.\n`);
    });

  outcomes
    .command('orphans')
    .description('PBX events that matched no call of the tenant (kept 30 days), newest first')
    .argument('<tenantId>')
    .option('--limit <n>', 'at most this many (1-1000)', parseLimit, 50)
    .option('--json', 'print JSON')
    .action(async (tenantId: string, options: { limit: number; json?: boolean }, command: Command) => {
      const orphans = await withStores(command, deps, state, async (stores) => {
        await requireTenant(stores, tenantId);
        return new PbxEventRepository(stores.table).listOrphans(tenantId, options.limit);
      });
      if (options.json) return writeJson(deps.stdout, orphans);
      if (orphans.length === 0) return void deps.stdout.write(`No orphan PBX events for tenant ${tenantId}.\n`);
      deps.stdout.write(
        renderTable(orphans, [
          { header: 'RECEIVED', value: (o) => o.receivedAt },
          { header: 'EVENT', value: (o) => o.eventType },
          { header: 'UNIQUE ID', value: (o) => o.fields.unique_id ?? o.fields.uniqueid },
          { header: 'C2C CALL ID', value: (o) => o.fields.c2c_call_id },
          { header: 'TRANSPORT', value: (o) => o.transport },
        ]),
      );
    });

  return outcomes;
}

function printSecret(deps: CliDeps, secret: { id: string; secret: string }): void {
  deps.stdout.write(
    `New signing secret ${secret.id} (Standard Webhooks, give it to the CRM to verify webhook-signature):\n\n  ${secret.secret}\n\n`,
  );
}

function parseLimit(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1 || n > 1000) throw new InvalidArgumentError('expected a whole number from 1 to 1000');
  return n;
}

function parseTransport(value: string): string {
  if (!/^[a-z][a-z0-9_:-]{0,62}$/.test(value)) throw new InvalidArgumentError('expected a transport name such as webhook or hubspot');
  return value;
}

function parseTimeZone(value: string): string {
  if (!isTimeZone(value)) throw new InvalidArgumentError('expected an IANA time zone such as Europe/London');
  return value;
}

/** The local stack's API URL from its facts file (npm start writes it); undefined when absent or unreadable. */
function localApiUrl(stackFile: string): string | undefined {
  try {
    const facts = JSON.parse(readFileSync(stackFile, 'utf8')) as { apiUrl?: unknown };
    return typeof facts.apiUrl === 'string' ? facts.apiUrl : undefined;
  } catch {
    return undefined;
  }
}
