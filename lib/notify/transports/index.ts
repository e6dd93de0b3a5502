import type { CrmName } from '../../model/crm-connection';
import type { OutboundPolicy } from '../../net/outbound';
import type { NotificationTransport } from '../transport';
import { hubspotTransport } from './hubspot';
import { pipedriveTransport } from './pipedrive';
import { salesforceTransport } from './salesforce';
import { webhookTransport } from './webhook';

/** What every transport may be built from (a transport that needs more, a CRM's token store, adds it here). */
export interface TransportOptions {
  /** Per request to a receiver (NOTIFY_TIMEOUT_MS). */
  timeoutMs: number;
  outbound: OutboundPolicy;
  /** Where a call-logging transport flags a connection whose credentials the CRM refused (401/403). */
  crmConnections?: CrmConnectionFlags;
}

/** The tenant store's side of a held CRM connection: the flag the doctor, the console and `c2c crm show` read. */
export interface CrmConnectionFlags {
  /**
   * `at`: when the refused attempt started; `connectedAt`: the refused connection's (`target.connection.connectedAt`).
   * Only that connection is flagged: one made since (new credentials) is left alone.
   */
  hold(tenantId: string, crm: CrmName, reason: string, at: Date, connectedAt?: string): Promise<void>;
}

/**
 * The registry: every notification transport of the service, one file each beside this one. Each delivers every
 * call's events on its own progress marker; the order here is only the order of their log lines.
 */
const TRANSPORTS: ReadonlyArray<(options: TransportOptions) => NotificationTransport> = [
  webhookTransport,
  hubspotTransport,
  pipedriveTransport,
  salesforceTransport,
];

export function registeredTransports(options: TransportOptions): NotificationTransport[] {
  return TRANSPORTS.map((build) => build(options));
}
