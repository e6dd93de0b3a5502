import { AgentRepository } from '../lib/store/agents';
import { ApiKeyRepository, SCOPES } from '../lib/store/api-keys';
import type { Table } from '../lib/store/client';
import { issuePbxEventsToken } from '../lib/calls/pbx-event-tokens';
import type { SecretSealer } from '../lib/secrets/seal';
import { TenantRepository } from '../lib/store/tenants';
import type { CallbackSettings } from '../lib/model/tenant';
import type { CrmSettings } from '../lib/model/crm-connection';

export interface DemoFacts {
  tenantId: string;
  apiKey: string;
  agents: Array<{ crmUserId: string; extension: string; email: string; name: string; teams: string[] }>;
  /** The token of the demo tenant's PBX Stats webhook URL, issued afresh on every start (only its hash is stored). */
  pbxEventsToken?: string;
}

/** Id of the demo's PBX events token: replaced on every start, so a kept data folder does not pile them up. */
const DEMO_TOKEN_ID = 'pt_localdemo';

export const DEMO_TENANT_ID = 'demo';
export const DEMO_AGENTS: DemoFacts['agents'] = [
  { crmUserId: 'u-17', extension: '1000', email: 'alice@example.com', name: 'Alice Agent', teams: ['sales'] },
  { crmUserId: 'u-18', extension: '1001', email: 'bob@example.com', name: 'Bob Agent', teams: ['sales'] },
  { crmUserId: 'u-19', extension: '1002', email: 'carol@example.com', name: 'Carol Agent', teams: ['sales'] },
];
/** The demo's team: every demo agent, so "call this lead" with `"team": "sales"` works out of the box. */
export const DEMO_TEAM = 'sales';

/**
 * The demo tenant of the local stack: its PBX is the simulator, its agents are the simulator's
 * registered extensions. A fresh API key is issued on every start (only its hash is stored, so an
 * older one cannot be shown again).
 */
export async function seedDemo(
  table: Table,
  pbxSimulatorUrl: string,
  options: { callback?: CallbackSettings; crm?: CrmSettings; sealer: SecretSealer },
): Promise<DemoFacts> {
  const tenants = new TenantRepository(table, options.sealer);
  const settings = {
    tenantId: DEMO_TENANT_ID,
    name: 'Demo Sales Ltd',
    crmId: '100',
    clientId: '200',
    defaultCountry: 'GB',
    pbx: { urlShape: 'click2call' as const, baseUrl: pbxSimulatorUrl, cdrApiUrl: `${pbxSimulatorUrl}/api/cdrs` },
    policy: { allowedCountries: ['GB', 'IE', 'US', 'DE', 'FR', 'IL'] },
  };
  const { token, record } = issuePbxEventsToken();
  record.id = DEMO_TOKEN_ID;
  const existing = await tenants.get(DEMO_TENANT_ID);
  if (existing) {
    // A kept data folder from an earlier run: the simulator may listen on another port now.
    const tokens = [...(existing.pbxEvents?.tokens ?? []).filter((t) => t.id !== DEMO_TOKEN_ID), record];
    await tenants.put({
      ...existing,
      pbx: { ...existing.pbx, ...settings.pbx },
      pbxEvents: { ...existing.pbxEvents, tokens },
      ...(options.callback ? { callback: options.callback } : {}),
      ...(options.crm ? { crm: options.crm } : {}),
    });
  } else {
    await tenants.create({
      ...settings,
      pbxEvents: { tokens: [record] },
      ...(options.callback ? { callback: options.callback } : {}),
      ...(options.crm ? { crm: options.crm } : {}),
    });
  }
  const { key } = await new ApiKeyRepository(table).issue(DEMO_TENANT_ID, 'local demo', [...SCOPES]);
  const agents = new AgentRepository(table);
  for (const { crmUserId, ...agent } of DEMO_AGENTS) await agents.put(DEMO_TENANT_ID, crmUserId, agent);
  return { tenantId: DEMO_TENANT_ID, apiKey: key, agents: DEMO_AGENTS, pbxEventsToken: token };
}
