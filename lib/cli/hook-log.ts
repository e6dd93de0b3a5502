import { Command, InvalidArgumentError } from 'commander';
import { HookDeliveryRepository } from '../store/hook-deliveries';
import type { WebhookSource } from '../crm/sources';
import { parseSource, SOURCE_ARGUMENT } from './hook-sources';
import { requireTenant, withStores, type CliDeps, type RunState } from './context';
import { renderTable, writeJson } from './io';

function parseLimit(value: string): number {
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new InvalidArgumentError('an integer from 1 to 100');
  return limit;
}

/**
 * `c2c hook log <tenant> <source>`: the source's last deliveries, newest first, with their verdict, why, and the call
 * each made (the same log as `GET /v1/hooks/deliveries?source=`, kept 7 days). Why a CRM's webhook did nothing,
 * without the stage's logs: a signature that does not match, a timestamp out of its window, no secret configured,
 * a payload the mapping cannot read, a call the policy refused.
 */
export function hookLogCommand(deps: CliDeps, state: RunState): Command {
  return new Command('log')
    .description("a source's last deliveries (7 days): verdict, why, and the call each made")
    .argument('<tenantId>')
    .argument('<source>', SOURCE_ARGUMENT, parseSource)
    .option('--limit <n>', 'how many (1-100)', parseLimit, 20)
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      `
Verdicts: accepted (a call placed, or its replay), rejected (authentic, the call refused: policy, mapping), refused
(not authenticated: signature_mismatch, timestamp_out_of_window, no_secret_configured, ...), malformed (authentic
but unreadable), failed (our side: store, PBX unreachable). docs/webhooks.md has each reason.`,
    )
    .action(async (tenantId: string, source: WebhookSource, options: { limit: number; json?: boolean }, command: Command) => {
      const deliveries = await withStores(command, deps, state, async (stores) => {
        await requireTenant(stores, tenantId);
        return new HookDeliveryRepository(stores.table).list(tenantId, source, options.limit);
      });
      if (options.json) return writeJson(deps.stdout, deliveries);
      if (deliveries.length === 0) {
        deps.stdout.write(`No delivery of ${source} for tenant ${tenantId} in the last 7 days.\n`);
        return;
      }
      deps.stdout.write(
        renderTable(deliveries, [
          { header: 'AT', value: (d) => d.at },
          { header: 'VERDICT', value: (d) => d.verdict },
          { header: 'STATUS', value: (d) => String(d.status) },
          { header: 'REASON', value: (d) => d.reason },
          { header: 'CALL', value: (d) => (d.callId ? `${d.callId}${d.state ? ` (${d.state})` : ''}` : null) },
        ]),
      );
    });
}
