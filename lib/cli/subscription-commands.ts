import { Command } from 'commander';
import { DomainError } from '../model/domain-error';
import type { SubscriptionResource } from '../model/subscription';
import { subscriptionInputSchema, type SubscriptionInput } from '../model/subscription-input';
import { SubscriptionDeliveryRepository } from '../store/subscription-deliveries';
import { SubscriptionRepository, tenantIdsWithCallback } from '../store/subscriptions';
import { CallbackMigration, type MigrationResult } from '../subscriptions/migrate';
import { Subscriptions } from '../subscriptions/subscriptions';
import { requireTenant, withStores, type CliDeps, type RunState, type Stores } from './context';
import { CliError, UsageError } from './errors';
import { renderTable, writeJson } from './io';
import { outboundPolicyOf } from './target';
import { wholeNumber } from './numbers';

const parseLimit = wholeNumber(1, 100);

/** How long the CLI's test ping may take. */
const PING_TIMEOUT_MS = 10_000;

/** Which option each field of the subscription's input comes from, to name it in a refusal. */
const OPTION_OF: Record<string, string> = {
  url: '--url',
  events: '--events',
  filter: '--agent/--team/--source/--states',
  description: '--description',
};

/**
 * `c2c subscriptions ...`: a tenant's webhook subscriptions (docs/api.md, "Subscriptions") from the operator's side,
 * over the table as every command: list, add (the signing secret printed once), remove, log (the delivery log), test
 * (a signed ping sent from here), and migrate (the tenant's callback URL becomes a subscription).
 */
export function subscriptionsCommand(deps: CliDeps, state: RunState): Command {
  const subs = new Command('subscriptions').description("a tenant's webhook subscriptions: list, add, remove, log, test, migrate");

  const useCase = (stores: Stores) =>
    new Subscriptions({
      subscriptions: new SubscriptionRepository(stores.table, stores.sealer),
      deliveries: new SubscriptionDeliveryRepository(stores.table),
      outbound: outboundPolicyOf(stores.target, deps.env),
      clock: () => new Date(),
      pingTimeoutMs: PING_TIMEOUT_MS,
    });

  subs
    .command('list')
    .description("the tenant's subscriptions: id, status, events, URL")
    .argument('<tenantId>')
    .option('--json', 'print JSON')
    .action(async (tenantId: string, options: { json?: boolean }, command: Command) => {
      const list = await withStores(command, deps, state, async (stores) => {
        await requireTenant(stores, tenantId);
        return useCase(stores).list(tenantId);
      });
      if (options.json) return writeJson(deps.stdout, list);
      if (list.length === 0) return void deps.stdout.write(`No subscriptions for tenant ${tenantId}.\n`);
      deps.stdout.write(renderSubscriptions(list));
    });

  subs
    .command('add')
    .description('add a subscription; its signing secret is printed once')
    .argument('<tenantId>')
    .requiredOption('--url <url>', 'https URL of the endpoint (http only to localhost)')
    .option('--events <list>', 'comma-separated call.<state> names, or * for every event', '*')
    .option('--agent <crmUserId>', 'only calls of this agent')
    .option('--team <team>', 'only calls to this team')
    .option('--source <source>', 'only calls from this source (api, hubspot, standard...)')
    .option('--states <list>', 'only events of these states (comma-separated)')
    .option('--description <text>', 'what it is for, up to 200 characters')
    .option('--json', 'print JSON')
    .action(async (tenantId: string, options: AddOptions, command: Command) => {
      const input = inputOf(options);
      const created = await withStores(command, deps, state, async (stores) => {
        await requireTenant(stores, tenantId);
        try {
          return await useCase(stores).create(tenantId, input, 'cli');
        } catch (error) {
          throw asUsage(error);
        }
      });
      if (options.json) return writeJson(deps.stdout, { ...created.subscription, secret: created.secret });
      deps.stdout.write(`Added subscription ${created.subscription.id} for tenant ${tenantId}: ${created.subscription.url}\n`);
      deps.stdout.write(
        `Signing secret (Standard Webhooks; give it to the endpoint to verify webhook-signature):\n\n  ${created.secret}\n\n`,
      );
      deps.stderr.write('It is shown only once.\n');
    });

  subs
    .command('remove')
    .description('delete a subscription: nothing more is sent to it')
    .argument('<tenantId>')
    .argument('<subscriptionId>')
    .action(async (tenantId: string, id: string, _options: unknown, command: Command) => {
      await withStores(command, deps, state, (stores) => useCase(stores).delete(tenantId, id));
      deps.stdout.write(`Removed subscription ${id} of tenant ${tenantId}.\n`);
    });

  subs
    .command('log')
    .description('the recent delivery attempts of a subscription, newest first (kept 7 days)')
    .argument('<tenantId>')
    .argument('<subscriptionId>')
    .option('--limit <n>', 'at most this many (1-100)', parseLimit, 20)
    .option('--json', 'print JSON')
    .action(async (tenantId: string, id: string, options: { limit: number; json?: boolean }, command: Command) => {
      const attempts = await withStores(command, deps, state, (stores) => useCase(stores).deliveries(tenantId, id, options.limit));
      if (options.json) return writeJson(deps.stdout, attempts);
      if (attempts.length === 0) return void deps.stdout.write(`No delivery attempts of ${id} in the last 7 days.\n`);
      deps.stdout.write(
        renderTable(attempts, [
          { header: 'AT', value: (a) => a.attemptedAt },
          { header: 'EVENT', value: (a) => a.event },
          { header: 'CALL ID', value: (a) => a.callId },
          { header: 'ATTEMPT', value: (a) => String(a.attempt) },
          { header: 'STATUS', value: (a) => a.status },
          { header: 'CODE', value: (a) => (a.responseCode === null ? null : String(a.responseCode)) },
          { header: 'MS', value: (a) => (a.latencyMs === null ? null : String(a.latencyMs)) },
          { header: 'NEXT', value: (a) => a.nextAttemptAt },
          { header: 'ERROR', value: (a) => a.error },
        ]),
      );
    });

  subs
    .command('test')
    .description("send a signed ping to the subscription's URL from this machine, and record it in its log")
    .argument('<tenantId>')
    .argument('<subscriptionId>')
    .option('--json', 'print JSON')
    .action(async (tenantId: string, id: string, options: { json?: boolean }, command: Command) => {
      const outcome = await withStores(command, deps, state, (stores) => useCase(stores).test(tenantId, id));
      if (options.json) writeJson(deps.stdout, outcome);
      else if (outcome.delivered) deps.stdout.write(`Delivered: HTTP ${outcome.responseCode} in ${outcome.latencyMs} ms.\n`);
      else deps.stdout.write(`Not delivered: ${outcome.error} (${outcome.latencyMs} ms).\n`);
      if (!outcome.delivered) throw new CliError(`The ping to ${id} was not delivered`);
    });

  subs
    .command('migrate')
    .description("the tenant's callback URL becomes its first subscription (every event, the same secrets); safe to run again")
    .argument('[tenantId]')
    .option('--all', 'every tenant that still has a callback URL (scans the table)')
    .option('--json', 'print JSON')
    .action(async (tenantId: string | undefined, options: { all?: boolean; json?: boolean }, command: Command) => {
      if (!options.all && tenantId === undefined) throw new UsageError('say which: <tenantId>, or --all');
      if (options.all && tenantId !== undefined) throw new UsageError('either <tenantId> or --all, not both');
      const results = await withStores(command, deps, state, async (stores) => {
        const migration = new CallbackMigration({
          tenants: stores.tenants,
          subscriptions: new SubscriptionRepository(stores.table, stores.sealer),
        });
        const ids = tenantId !== undefined ? [tenantId] : await tenantIdsWithCallback(stores.table);
        const done: MigrationResult[] = [];
        for (const id of ids) done.push(await migration.migrateCallbackToSubscription(id));
        return done;
      });
      if (options.json) return writeJson(deps.stdout, results);
      if (results.length === 0) return void deps.stdout.write('No tenant has a callback URL: nothing to migrate.\n');
      for (const r of results) deps.stdout.write(`${r.tenantId}: ${describeMigration(r)}\n`);
    });

  return subs;
}

interface AddOptions {
  url: string;
  events: string;
  agent?: string;
  team?: string;
  source?: string;
  states?: string;
  description?: string;
  json?: boolean;
}

const list = (value: string) =>
  value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');

/** The options as the API's body, checked by the same schema; a refusal names the option. */
function inputOf(options: AddOptions): SubscriptionInput {
  const filter = {
    ...(options.agent !== undefined ? { agent: options.agent } : {}),
    ...(options.team !== undefined ? { team: options.team } : {}),
    ...(options.source !== undefined ? { source: options.source } : {}),
    ...(options.states !== undefined ? { states: list(options.states) } : {}),
  };
  const parsed = subscriptionInputSchema.safeParse({
    url: options.url,
    events: list(options.events),
    filter: Object.keys(filter).length > 0 ? filter : null,
    description: options.description ?? null,
  });
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = String(issue?.path[0] ?? '');
  throw new UsageError(
    `${OPTION_OF[field] ?? field}: ${issue?.path.slice(1).join('.') || ''}${issue?.path.length ? ' ' : ''}${issue?.message}`,
  );
}

/** The use case's refusals of an operator's input, as usage errors naming the option. */
function asUsage(error: unknown): unknown {
  if (error instanceof DomainError && error.code === 'invalid_request') {
    const field = error.errors?.[0];
    return new UsageError(`${OPTION_OF[field?.path ?? ''] ?? field?.path ?? 'input'}: ${field?.message ?? error.message}`, {
      cause: error,
    });
  }
  return error;
}

function renderSubscriptions(list: SubscriptionResource[]): string {
  return renderTable(list, [
    { header: 'ID', value: (s) => s.id },
    { header: 'STATUS', value: (s) => (s.disabledReason ? `${s.status} (${s.disabledReason})` : s.status) },
    { header: 'EVENTS', value: (s) => s.events.join(',') },
    { header: 'FILTER', value: (s) => (s.filter ? JSON.stringify(s.filter) : null) },
    { header: 'URL', value: (s) => s.url },
    { header: 'DESCRIPTION', value: (s) => s.description },
  ]);
}

function describeMigration(result: MigrationResult): string {
  switch (result.outcome) {
    case 'migrated':
      return `the callback URL is subscription ${result.subscriptionId} now (every event, the same secrets); the callback was removed`;
    case 'already_migrated':
      return `already migrated (subscription ${result.subscriptionId})`;
    case 'no_callback':
      return 'no callback URL: nothing to migrate';
    case 'callback_differs':
      return `has subscription ${result.subscriptionId} from an earlier migration and a callback URL set since, to another URL: left as it is (remove one of them)`;
  }
}
