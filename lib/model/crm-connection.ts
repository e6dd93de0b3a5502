import * as z from 'zod';
import type { CallState } from './call-states';

/**
 * A tenant's connections to the CRMs its calls are logged in (docs/crm-logging.md): one per CRM, kept on the tenant
 * item with its secret sealed like every other tenant secret. The call-logging transports
 * (lib/notify/transports/<crm>.ts) read them through `targetOf(tenant)`.
 */
export const CRM_NAMES = ['hubspot', 'pipedrive', 'salesforce'] as const;
export type CrmName = (typeof CRM_NAMES)[number];

/** Set by a transport when the CRM refused our credentials (401/403): deliveries wait until the connection is fixed. */
const heldSchema = z.object({ at: z.string(), reason: z.string().max(500) });

const connectionBase = {
  connectedAt: z.string(),
  /** Present while the CRM refuses the credentials; `c2c crm connect` again (new credentials) clears it. */
  held: heldSchema.optional(),
};

/** A HubSpot private app's access token (scopes: docs/crm-logging.md). */
export const hubspotConnectionSchema = z.object({
  apiUrl: z.url(),
  token: z.string().min(1),
  ...connectionBase,
});

/** A Pipedrive API token and the company's API URL (https://COMPANY.pipedrive.com). */
export const pipedriveConnectionSchema = z.object({
  apiUrl: z.url(),
  token: z.string().min(1),
  ...connectionBase,
});

/** A Salesforce connected app's OAuth 2.0 client credentials flow: tokens are fetched and refreshed as they expire. */
export const salesforceConnectionSchema = z.object({
  instanceUrl: z.url(),
  /** Where tokens are asked for; the instance URL (the org's My Domain) when not given. */
  loginUrl: z.url(),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  ...connectionBase,
});

/** The final states a call can be logged in (a call is logged once, when it reaches one). */
export const LOGGABLE_STATES = [
  'completed',
  'no_answer',
  'busy',
  'failed',
  'rejected',
  'not_sent',
  'cancelled',
] as const satisfies readonly CallState[];
export type LoggableState = (typeof LOGGABLE_STATES)[number];

/** Default: every call that reached the PBX (it rang, or the PBX refused it). */
export const DEFAULT_LOGGED_STATES: readonly LoggableState[] = ['completed', 'no_answer', 'busy', 'failed', 'rejected'];

export const crmSettingsSchema = z.object({
  hubspot: hubspotConnectionSchema.optional(),
  pipedrive: pipedriveConnectionSchema.optional(),
  salesforce: salesforceConnectionSchema.optional(),
  /** Which final states are logged; absent: {@link DEFAULT_LOGGED_STATES}. */
  logStates: z.array(z.enum(LOGGABLE_STATES)).min(1).optional(),
});

export type HubSpotConnection = z.infer<typeof hubspotConnectionSchema>;
export type PipedriveConnection = z.infer<typeof pipedriveConnectionSchema>;
export type SalesforceConnection = z.infer<typeof salesforceConnectionSchema>;
export type CrmSettings = z.infer<typeof crmSettingsSchema>;
export type CrmConnection = HubSpotConnection | PipedriveConnection | SalesforceConnection;

/** The sealed field of each connection (lib/store/tenants.ts seals and opens it under `crm.<name>.<field>`). */
export const CRM_SECRET_FIELDS = { hubspot: 'token', pipedrive: 'token', salesforce: 'clientSecret' } as const satisfies Record<
  CrmName,
  string
>;

/** The record kinds a call's `lead.type` may name, per CRM (docs/api.md, "lead"); the first is the default. */
export const LEAD_TYPES = {
  hubspot: ['contact', 'company', 'deal'],
  pipedrive: ['person', 'organization', 'deal', 'lead'],
} as const;
/** Every kind a call request may name; Salesforce needs none (the id's key prefix says it). */
export const ALL_LEAD_TYPES = ['contact', 'company', 'deal', 'person', 'organization', 'lead'] as const;
export type LeadType = (typeof ALL_LEAD_TYPES)[number];

export const isLoggedState = (state: CallState, settings: CrmSettings | undefined): boolean =>
  (settings?.logStates ?? DEFAULT_LOGGED_STATES).includes(state as LoggableState);
