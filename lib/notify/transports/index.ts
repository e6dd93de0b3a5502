import type { OutboundPolicy } from '../../net/outbound';
import type { CrmConnectionFlags, NotificationTransport } from '../transport';

export type { CrmConnectionFlags } from '../transport';
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
