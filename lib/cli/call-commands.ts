import { userInfo } from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import { EraseNumber } from '../privacy/erase-number';
import { CALL_STATES, WAITING_STATES, type CallState } from '../model/call';
import { CancelCall } from '../calls/cancel-call';
import { maskNumber, normalizeNumber, type NormalizedNumber } from '../policy/phone';
import { AuditRepository } from '../store/audit';
import { migrateLegacyWorkKeys } from '../store/legacy-work-keys';
import { toCallResource } from '../calls/resource';
import type { StoredCall } from '../store/calls';
import { PbxEventRepository } from '../store/pbx-events';
import { requireTenant, withStores, type CliDeps, type RunState } from './context';
import { CliError } from './errors';
import { maskPhoneNumber, renderTable, writeJson } from './io';
import { wholeNumber } from './numbers';

const parseLimit = wholeNumber(1, 500);

interface ListOptions {
  lead?: string;
  agent?: string;
  state?: CallState;
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
  showNumbers?: boolean;
  json?: boolean;
}

export function callsCommand(deps: CliDeps, state: RunState): Command {
  const calls = new Command('calls').description(
    "a tenant's calls: list them, see the waiting ones and cancel one, the flagged ones (across tenants), erase a number's calls; migrate-work-keys once after an upgrade",
  );

  calls
    .command('list')
    .description("list a tenant's calls, newest first")
    .argument('<tenantId>')
    .option('--lead <id>', 'only calls for this CRM lead id')
    .option('--agent <crmUserId>', 'only calls of this agent')
    .addOption(new Option('--state <state>', 'only calls in this state').choices(CALL_STATES))
    .option('--from <iso>', 'created at or after this ISO time', parseIsoTime)
    .option('--to <iso>', 'created at or before this ISO time', parseIsoTime)
    .option('--limit <n>', 'at most this many calls (1-500)', parseLimit, 20)
    .option('--cursor <cursor>', 'continue a listing where it stopped')
    .option('--show-numbers', 'show phone numbers in full (masked by default)')
    .option('--json', 'print JSON')
    .action(async (tenantId: string, options: ListOptions, command: Command) => {
      const page = await withStores(command, deps, state, async (stores) => {
        await requireTenant(stores, tenantId);
        return stores.calls.queries.list(
          tenantId,
          {
            ...(options.lead !== undefined ? { leadId: options.lead } : {}),
            ...(options.agent !== undefined ? { crmUserId: options.agent } : {}),
            ...(options.state !== undefined ? { state: options.state } : {}),
            ...(options.from !== undefined ? { from: options.from } : {}),
            ...(options.to !== undefined ? { to: options.to } : {}),
          },
          { limit: options.limit, ...(options.cursor !== undefined ? { cursor: options.cursor } : {}) },
        );
      });
      const items = page.items.map((call) => shownCall(call, options.showNumbers === true));
      if (options.json) return writeJson(deps.stdout, { items, nextCursor: page.nextCursor ?? null });
      if (items.length === 0) deps.stdout.write(`No calls for tenant ${tenantId}${options.cursor ? ' after this cursor' : ''}.\n`);
      else deps.stdout.write(callTable(page.items, options.showNumbers === true, false));
      if (page.nextCursor) deps.stdout.write(`More: --cursor ${page.nextCursor}\n`);
    });

  calls
    .command('migrate-work-keys')
    .description(
      "once, after upgrading to per-tenant work lists: moves calls and dead letters still on the shared keys (DUE_CALLS, PENDING_CALLS, FLAGGED_CALLS, NOTIFY_PENDING, NOTIFY_DEAD, DLQ) to their tenant's; safe to run again",
    )
    .action(async (_options: unknown, command: Command) => {
      const moved = await withStores(command, deps, state, (stores) =>
        migrateLegacyWorkKeys(stores.table, stores.calls.work, stores.calls.ledger.workShards),
      );
      deps.stdout.write(
        `Moved ${moved.due} due, ${moved.pending} pending, ${moved.flagged} flagged, ${moved.notify} outbox and ${moved.dead} dead-lettered calls, and ${moved.dlq} dead letters, to their tenants' keys.\n`,
      );
    });

  calls
    .command('flagged')
    .description('calls the reconciler gave up on (state unknown, no CDR found): for a human to check, across tenants')
    .option('--limit <n>', 'at most this many calls (1-500)', parseLimit, 50)
    .option('--show-numbers', 'show phone numbers in full (masked by default)')
    .option('--json', 'print JSON')
    .action(async (options: { limit: number; showNumbers?: boolean; json?: boolean }, command: Command) => {
      const flagged = await withStores(command, deps, state, (stores) => stores.calls.queries.listFlagged(options.limit));
      if (options.json) {
        return writeJson(
          deps.stdout,
          flagged.map((call) => ({ ...shownCall(call, options.showNumbers === true), reconcile: call.reconcile ?? null })),
        );
      }
      if (flagged.length === 0) return void deps.stdout.write('No flagged calls.\n');
      deps.stdout.write(callTable(flagged, options.showNumbers === true, true));
    });

  calls
    .command('waiting')
    .description("a tenant's scheduled and queued calls, the soonest due first: what the scheduler will dial")
    .argument('<tenantId>')
    .option('--show-numbers', 'show phone numbers in full (masked by default)')
    .option('--json', 'print JSON')
    .action(async (tenantId: string, options: { showNumbers?: boolean; json?: boolean }, command: Command) => {
      const waiting = await withStores(command, deps, state, async (stores) => {
        await requireTenant(stores, tenantId);
        const all: StoredCall[] = [];
        for (const waitingState of WAITING_STATES) {
          let cursor: string | undefined;
          do {
            const page = await stores.calls.queries.list(tenantId, { state: waitingState }, { limit: 500, ...(cursor ? { cursor } : {}) });
            all.push(...page.items);
            cursor = page.nextCursor;
          } while (cursor);
        }
        return all.sort((a, b) => dueOf(a).localeCompare(dueOf(b)));
      });
      if (options.json)
        return writeJson(
          deps.stdout,
          waiting.map((call) => shownCall(call, options.showNumbers === true)),
        );
      if (waiting.length === 0) return void deps.stdout.write(`No scheduled or queued calls for tenant ${tenantId}.\n`);
      const number = (call: StoredCall) => (options.showNumbers ? call.to : maskPhoneNumber(call.to));
      deps.stdout.write(
        renderTable(waiting, [
          { header: 'CALL ID', value: (c) => c.callId },
          { header: 'STATE', value: (c) => c.state },
          { header: 'DUE', value: (c) => (c.state === 'queued' ? `waits until ${c.queue?.until ?? '?'}` : (c.schedule?.notBefore ?? '')) },
          { header: 'WHY', value: (c) => (c.state === 'queued' ? 'no agent free' : (c.schedule?.reason ?? '')) },
          {
            header: 'TEAM/AGENT',
            value: (c) => (c.team ? `team ${c.team}` : (c.crmUserId ?? c.agent.crmUserId ?? c.agent.email ?? c.agent.extension)),
          },
          { header: 'TO', value: number },
          { header: 'LEAD', value: (c) => c.lead?.id },
        ]),
      );
    });

  calls
    .command('cancel')
    .description('cancel a scheduled or queued call (a call already sent to the PBX cannot be cancelled)')
    .argument('<tenantId>')
    .argument('<callId>')
    .option('--by <name>', "who cancels, kept in the call's events (default: your OS user name)", parseBy)
    .option('--json', 'print JSON')
    .action(async (tenantId: string, callId: string, options: { by?: string; json?: boolean }, command: Command) => {
      const by = options.by ?? operatorName(deps.env);
      const outcome = await withStores(command, deps, state, async (stores) => {
        await requireTenant(stores, tenantId);
        return new CancelCall({ calls: stores.calls }).execute(tenantId, callId, `by ${by} (c2c)`);
      });
      if (outcome.kind === 'not_found') throw new CliError(`No call ${callId} for tenant ${tenantId}.`);
      if (options.json) return writeJson(deps.stdout, { outcome: outcome.kind, call: outcome.call });
      if (outcome.kind === 'cancelled') return void deps.stdout.write(`Call ${callId} is cancelled: it will not be dialled.\n`);
      throw new CliError(
        outcome.kind === 'already_dispatched'
          ? `Call ${callId} was already sent to the PBX (state ${outcome.call.state}): it can no longer be cancelled.`
          : `Call ${callId} ended ${outcome.call.state} without being sent: there is nothing to cancel.`,
      );
    });

  calls
    .command('erase')
    .description(
      "erase every call, call event and PBX event of one number (a data subject's erasure request); leaves an audit record without the number",
    )
    .argument('<tenantId>')
    .requiredOption('--number <e164>', 'the number, in E.164 (e.g. +447766889900)', parseE164)
    .option('--by <name>', 'who asks, for the audit record (default: your OS user name)', parseBy)
    .option('--json', 'print JSON')
    .action(async (tenantId: string, options: { number: NormalizedNumber; by?: string; json?: boolean }, command: Command) => {
      const by = options.by ?? operatorName(deps.env);
      const counts = await withStores(command, deps, state, async (stores) => {
        const tenant = await requireTenant(stores, tenantId);
        const erase = new EraseNumber({
          calls: stores.calls,
          pbxEvents: new PbxEventRepository(stores.table),
          audit: new AuditRepository(stores.table),
        });
        return erase.execute({ tenant, number: options.number, by });
      });
      if (options.json) return writeJson(deps.stdout, { tenantId, ...counts, by });
      const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
      deps.stdout.write(
        `Erased ${maskNumber(options.number.e164)} from tenant ${tenantId}: ${plural(counts.calls, 'call')} (with their events), ` +
          `${plural(counts.pbxEvents, 'raw PBX event')}, ${plural(counts.orphanPbxEvents, 'orphan PBX event')}, ` +
          `${plural(counts.pbxLinks, 'PBX unique_id link')}. Audit record written (by ${by}, without the number).\n`,
      );
    });

  return calls;
}

/** An E.164 number (the '+' and the country code required: an erasure must not guess a country). */
function parseE164(value: string): NormalizedNumber {
  const number = value.trim().startsWith('+') ? normalizeNumber(value, undefined) : undefined;
  if (!number) throw new InvalidArgumentError('expected a valid phone number in E.164, such as +447766889900');
  return number;
}

function parseBy(value: string): string {
  const by = value.trim();
  if (by.length === 0 || by.length > 100) throw new InvalidArgumentError('expected a name of 1 to 100 characters');
  return by;
}

/** The operator's OS user name: who ran the erasure, when they did not say. */
function operatorName(env: NodeJS.ProcessEnv): string {
  try {
    return userInfo().username;
  } catch {
    // No passwd entry for this uid (some containers).
    return env.USER ?? env.LOGNAME ?? 'unknown';
  }
}

/** When a waiting call is next looked at: its time for a scheduled call, the end of its wait for a queued one. */
const dueOf = (call: StoredCall) => (call.state === 'queued' ? (call.queue?.until ?? '') : (call.schedule?.notBefore ?? ''));

function shownCall(call: StoredCall, showNumbers: boolean) {
  const resource = toCallResource(call);
  if (showNumbers) return resource;
  return { ...resource, to: maskPhoneNumber(resource.to) ?? '', legB: maskPhoneNumber(resource.legB) };
}

function callTable(calls: StoredCall[], showNumbers: boolean, withTenant: boolean): string {
  const number = (call: StoredCall) => (showNumbers ? call.to : maskPhoneNumber(call.to));
  return renderTable(calls, [
    { header: 'CREATED', value: (c) => c.createdAt },
    ...(withTenant ? [{ header: 'TENANT', value: (c: StoredCall) => c.tenantId }] : []),
    { header: 'CALL ID', value: (c) => c.callId },
    { header: 'STATE', value: (c) => c.state },
    { header: 'REASON', value: (c) => c.reason },
    { header: 'AGENT', value: (c) => c.crmUserId ?? c.agent.crmUserId ?? c.agent.email ?? c.agent.extension },
    { header: 'TO', value: number },
    { header: 'LEAD', value: (c) => c.lead?.id },
    ...(withTenant ? [{ header: 'TRIES', value: (c: StoredCall) => c.reconcile?.tries.toString() }] : []),
  ]);
}

function parseIsoTime(value: string): string {
  const time = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(time))
    throw new InvalidArgumentError('expected an ISO 8601 time such as 2026-01-31T09:00:00Z');
  return new Date(time).toISOString();
}
