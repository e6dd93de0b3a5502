import { CRM_NAMES, CRM_SECRET_FIELDS, DEFAULT_LOGGED_STATES, type CrmName, type CrmSettings } from '../model/crm-connection';
import { maskSecret } from './io';

/** The CRM settings as `c2c tenant show --json` prints them: each connection's secret replaced by the mask. */
export function maskCrm(crm: CrmSettings): CrmSettings {
  const masked: Record<string, unknown> = { ...crm };
  for (const name of CRM_NAMES) {
    const connection = crm[name];
    if (connection) masked[name] = { ...connection, [CRM_SECRET_FIELDS[name]]: maskSecret('set') };
  }
  return masked;
}

/** One line for `c2c tenant show`: the connected CRMs, a held one marked. */
export function crmSummary(crm: CrmSettings | undefined): string | undefined {
  const names = CRM_NAMES.filter((name) => crm?.[name]);
  if (names.length === 0) return undefined;
  return `${names.map((name) => (crm?.[name]?.held ? `${name} (held)` : name)).join(', ')} (c2c crm show)`;
}

/** A connection as `c2c crm show` lists it: never its secret. */
export interface ConnectionRow {
  crm: CrmName;
  /** The API's origin deliveries go to (Salesforce: the instance). */
  apiUrl: string;
  /** Salesforce only: where tokens are asked for, and the connected app's client id. */
  loginUrl?: string;
  clientId?: string;
  connectedAt: string;
  held: { at: string; reason: string } | null;
}

export function connectionRows(crm: CrmSettings | undefined): ConnectionRow[] {
  const rows: ConnectionRow[] = [];
  const held = (h: { at: string; reason: string } | undefined) => h ?? null;
  if (crm?.hubspot)
    rows.push({ crm: 'hubspot', apiUrl: crm.hubspot.apiUrl, connectedAt: crm.hubspot.connectedAt, held: held(crm.hubspot.held) });
  if (crm?.pipedrive) {
    rows.push({ crm: 'pipedrive', apiUrl: crm.pipedrive.apiUrl, connectedAt: crm.pipedrive.connectedAt, held: held(crm.pipedrive.held) });
  }
  if (crm?.salesforce) {
    const { instanceUrl, loginUrl, clientId, connectedAt } = crm.salesforce;
    rows.push({ crm: 'salesforce', apiUrl: instanceUrl, loginUrl, clientId, connectedAt, held: held(crm.salesforce.held) });
  }
  return rows;
}

/** The final states logged, and whether that is the default. */
export function loggedStatesOf(crm: CrmSettings | undefined): { states: string[]; isDefault: boolean } {
  return crm?.logStates ? { states: [...crm.logStates], isDefault: false } : { states: [...DEFAULT_LOGGED_STATES], isDefault: true };
}
