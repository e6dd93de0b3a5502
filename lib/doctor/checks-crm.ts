/** The doctor's check of each CRM connection the tenant's calls are logged through (docs/crm-logging.md). */
import { CRM_NAMES, type CrmName } from '../model/crm-connection';
import type { Tenant } from '../model/tenant';
import type { ConnectionCheck, NotificationTransport } from '../notify/transport';
import type { CheckId, CheckResult } from './check-result';

const TITLES: Record<CrmName, string> = { hubspot: 'HubSpot logging', pipedrive: 'Pipedrive logging', salesforce: 'Salesforce logging' };

/** The command that connects each CRM anew (new credentials clear a hold). */
const RECONNECT: Record<CrmName, string> = {
  hubspot: '`c2c crm connect <tenant> hubspot --token-env <VAR>`',
  pipedrive: '`c2c crm connect <tenant> pipedrive --token-env <VAR> --api-url <url>`',
  salesforce: '`c2c crm connect <tenant> salesforce --instance-url <url> --client-id <client id> --client-secret-env <VAR>`',
};

/** What asking a connection came to: its transport's read-only check, or why there was none. */
export type CrmProbe =
  { kind: 'checked'; result: ConnectionCheck } | { kind: 'no-transport' } | { kind: 'no-check' } | { kind: 'failed'; error: string };

/**
 * Asks each connection of the tenant through its registered transport's `check` (one read-only request proving the
 * credentials and the scopes or permissions logging needs). A held connection is not asked: the CRM refused it, and
 * the doctor reports why.
 */
export async function probeCrmConnections(
  tenant: Tenant,
  transports: readonly NotificationTransport[],
  now: Date,
): Promise<Partial<Record<CrmName, CrmProbe>>> {
  const probes: Partial<Record<CrmName, CrmProbe>> = {};
  await Promise.all(
    CRM_NAMES.filter((name) => tenant.crm?.[name] && !tenant.crm[name].held).map(async (name) => {
      const transport = transports.find((t) => t.name === name);
      const target = transport?.targetOf(tenant);
      if (!transport || target === undefined) probes[name] = { kind: 'no-transport' };
      else if (!transport.check) probes[name] = { kind: 'no-check' };
      else {
        try {
          probes[name] = { kind: 'checked', result: await transport.check(target, now) };
        } catch (error) {
          probes[name] = { kind: 'failed', error: error instanceof Error ? error.message : String(error) };
        }
      }
    }),
  );
  return probes;
}

/** One line per connected CRM: ok, or what is wrong in the CRM's own words and what to do. */
export function checkCrmConnections(tenant: Tenant, probes: Partial<Record<CrmName, CrmProbe>>): CheckResult[] {
  return CRM_NAMES.flatMap((name): CheckResult[] => {
    const connection = tenant.crm?.[name];
    if (!connection) return [];
    const id = `crm-${name}` as CheckId;
    const title = TITLES[name];
    const reconnect = `Fix the credentials in ${title.replace(' logging', '')} (docs/crm-logging.md), then connect again: ${RECONNECT[name]} (the held calls are logged then).`;
    if (connection.held) {
      return [
        {
          id,
          title,
          status: 'problem',
          message: `Held since ${connection.held.at}: ${connection.held.reason}. Calls wait to be logged until the connection is fixed.`,
          fix: reconnect,
          details: { held: connection.held, connectedAt: connection.connectedAt },
        },
      ];
    }
    const probe = probes[name] ?? { kind: 'no-transport' };
    switch (probe.kind) {
      case 'checked':
        return [
          probe.result.ok
            ? { id, title, status: 'ok', message: probe.result.detail }
            : { id, title, status: 'problem', message: probe.result.detail, fix: reconnect },
        ];
      case 'failed':
        return [{ id, title, status: 'problem', message: `The check failed: ${probe.error}`, fix: reconnect }];
      case 'no-check':
        return [{ id, title, status: 'warn', message: 'Connected; this version has no read-only check for it.' }];
      case 'no-transport':
        return [{ id, title, status: 'warn', message: 'Connected, but this version does not log calls there: nothing is sent.' }];
    }
  });
}
