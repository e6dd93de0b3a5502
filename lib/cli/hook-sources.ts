import { InvalidArgumentError } from 'commander';
import { isWebhookSource, SOURCE_ADAPTERS, WEBHOOK_SOURCES, type WebhookSource } from '../crm/sources';

/** The `<source>` argument of every `c2c hook` command: a name of the registry (lib/crm/sources). */
export function parseSource(value: string): WebhookSource {
  if (!isWebhookSource(value)) throw new InvalidArgumentError(`expected one of ${WEBHOOK_SOURCES.join(', ')}`);
  return value;
}

/** The help of that argument. */
export const SOURCE_ARGUMENT = WEBHOOK_SOURCES.join(' | ');

/** The sources, each with its docs, under `c2c hook --help`. */
export const SOURCES_HELP = `Sources: ${WEBHOOK_SOURCES.join(', ')}. Setup per CRM and the answers each sender gets: docs/webhooks.md.
${WEBHOOK_SOURCES.map((s) => `  ${s.padEnd(10)} ${SOURCE_ADAPTERS[s].docs}`).join('\n')}`;

/** The route a source's deliveries go to. */
export const hookPath = (source: WebhookSource, tenantId: string) => `/v1/hooks/${source}/${tenantId}`;
