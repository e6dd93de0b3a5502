/**
 * Whether the keys-only call indexes list what the whole-item indexes list (docs/operations.md, "Narrowing the call
 * indexes"): the check between the backfill and the switch. Per tenant it reads both listings in full, keys only;
 * per agent too (an agent's calls are a part of the tenant's, so the agents cost about one more read of the
 * listing); per lead a sample, since a lead has a few calls and each costs a query on each side.
 */
import { CALL_INDEX, CALL_INDEX_ATTR, narrowAgentPk, narrowLeadPk, narrowTenantPk } from './call-index-keys';
import { CallIndexMigrationError, MAX_LISTED_IDS, tenantsWithCalls } from './call-index-migration';
import type { Table } from './client';
import { callsByAgentPk, callsByLeadPk, callsByTenantPk, callSk, INDEX } from './keys';
import { queryPages, type PagedQuery } from './query-pages';

export const DEFAULT_LEAD_SAMPLE = 100;

export interface VerifyOptions {
  /** One tenant only; default every tenant with calls (found by a scan of the table). */
  tenantId?: string;
  /** Leads checked per tenant, the most recently called first; default {@link DEFAULT_LEAD_SAMPLE}. */
  leadSample?: number;
}

/** One listing on both sides: how many calls each lists, and the ids one lists and the other does not (the first few). */
export interface ListingComparison {
  scope: 'tenant' | 'agent' | 'lead';
  tenantId: string;
  /** The agent's CRM user id or the lead's id; the tenant's id for the tenant's listing. */
  subject: string;
  legacy: number;
  narrow: number;
  /** In the old listing and not in the new one: would vanish from the API's listing at the switch. */
  missing: number;
  missingCalls: string[];
  /** In the new listing only: calls written since the old index was last read, or written in `narrow` mode. */
  onlyNarrow: number;
  onlyNarrowCalls: string[];
}

export interface VerifyReport {
  /** True when no listing checked misses a call the old one has: the switch loses nothing. */
  safe: boolean;
  tenants: number;
  agentsChecked: number;
  leadsChecked: number;
  /** Leads seen in the old listings, of which `leadsChecked` were compared. */
  leadsSeen: number;
  /** Every tenant's comparison, and the agents' and leads' that differ. */
  comparisons: ListingComparison[];
}

const idOf = (item: Record<string, unknown>) => (typeof item.sk === 'string' ? item.sk.slice(callSk('').length) : '');

/** A listing's call ids, newest first, keys only; an index the table does not have is a clear error, not an SDK one. */
async function listIds(table: Table, index: string, keyAttr: string, key: string, projection: string[] = []) {
  const input: PagedQuery = {
    IndexName: index,
    KeyConditionExpression: '#pk = :pk',
    ProjectionExpression: ['#pk', 'sk', ...projection].join(', '),
    ExpressionAttributeNames: { '#pk': keyAttr },
    ExpressionAttributeValues: { ':pk': key },
    ScanIndexForward: false,
  };
  const items: Array<Record<string, unknown>> = [];
  try {
    for await (const page of queryPages(table, input)) items.push(...page.items);
  } catch (error) {
    if (error instanceof Error && error.name === 'ValidationException' && /index/i.test(error.message)) {
      throw new CallIndexMigrationError(
        `Index ${index} is not there (${error.message}): verify compares the old and the new call indexes while the table has both (docs/operations.md)`,
        { cause: error },
      );
    }
    throw error;
  }
  return items;
}

function compare(
  scope: ListingComparison['scope'],
  tenantId: string,
  subject: string,
  legacy: string[],
  narrow: string[],
): ListingComparison {
  const inNarrow = new Set(narrow);
  const inLegacy = new Set(legacy);
  const missing = legacy.filter((id) => !inNarrow.has(id));
  const onlyNarrow = narrow.filter((id) => !inLegacy.has(id));
  return {
    scope,
    tenantId,
    subject,
    legacy: legacy.length,
    narrow: narrow.length,
    missing: missing.length,
    missingCalls: missing.slice(0, MAX_LISTED_IDS),
    onlyNarrow: onlyNarrow.length,
    onlyNarrowCalls: onlyNarrow.slice(0, MAX_LISTED_IDS),
  };
}

const differs = (c: ListingComparison) => c.missing > 0 || c.onlyNarrow > 0;
const suffixAfter = (prefix: string, value: unknown) =>
  typeof value === 'string' && value.startsWith(prefix) && value.length > prefix.length ? value.slice(prefix.length) : undefined;

/**
 * Compares the old and new listings of every tenant with calls (or one), of every agent those listings name, and of a
 * sample of their leads. The old side is read first: a call written while the check runs shows, at worst, in the new
 * listing only, which is no reason to hold the switch. The new indexes are eventually consistent, as the old are: a call
 * written a moment before can be missing, and a second run shows whether it still is.
 */
export async function verifyCallIndexes(table: Table, options: VerifyOptions = {}): Promise<VerifyReport> {
  const tenants = options.tenantId !== undefined ? [options.tenantId] : await tenantsWithCalls(table);
  const leadSample = options.leadSample ?? DEFAULT_LEAD_SAMPLE;
  const report: VerifyReport = { safe: true, tenants: tenants.length, agentsChecked: 0, leadsChecked: 0, leadsSeen: 0, comparisons: [] };
  const record = (comparison: ListingComparison, always: boolean) => {
    if (comparison.missing > 0) report.safe = false;
    if (always || differs(comparison)) report.comparisons.push(comparison);
  };
  for (const tenantId of tenants) {
    const legacyItems = await listIds(table, INDEX.gsi3, 'gsi3pk', callsByTenantPk(tenantId), ['gsi1pk', 'gsi2pk']);
    const narrowItems = await listIds(table, CALL_INDEX.byTenant, CALL_INDEX_ATTR.tenant, narrowTenantPk(tenantId));
    record(compare('tenant', tenantId, tenantId, legacyItems.map(idOf), narrowItems.map(idOf)), true);

    const agents = new Set<string>();
    const leads = new Set<string>();
    for (const item of legacyItems) {
      const agent = suffixAfter(callsByAgentPk(tenantId, ''), item.gsi2pk);
      const lead = suffixAfter(callsByLeadPk(tenantId, ''), item.gsi1pk);
      if (agent) agents.add(agent);
      if (lead) leads.add(lead);
    }
    for (const agent of agents) {
      const legacy = await listIds(table, INDEX.gsi2, 'gsi2pk', callsByAgentPk(tenantId, agent));
      const narrow = await listIds(table, CALL_INDEX.byAgent, CALL_INDEX_ATTR.agent, narrowAgentPk(tenantId, agent));
      record(compare('agent', tenantId, agent, legacy.map(idOf), narrow.map(idOf)), false);
      report.agentsChecked++;
    }
    report.leadsSeen += leads.size;
    for (const lead of [...leads].slice(0, leadSample)) {
      const legacy = await listIds(table, INDEX.gsi1, 'gsi1pk', callsByLeadPk(tenantId, lead));
      const narrow = await listIds(table, CALL_INDEX.byLead, CALL_INDEX_ATTR.lead, narrowLeadPk(tenantId, lead));
      record(compare('lead', tenantId, lead, legacy.map(idOf), narrow.map(idOf)), false);
      report.leadsChecked++;
    }
  }
  return report;
}
