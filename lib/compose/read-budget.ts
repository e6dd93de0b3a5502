import { MAX_TEAM_MEMBERSHIPS } from '../agents/directory';
import { MAX_CALLS_PER_REPORT } from '../stats/agent-stats';
import { DomainError } from '../model/domain-error';
import type { Tenant } from '../model/tenant';
import { ReadBudget } from '../policy/read-budget';
import { MAX_LIST_READS } from '../store/calls/queries';
import { RateLimitRepository } from '../store/rate-limits';
import { perRoot } from './root';
import { table } from './shared';

/**
 * The most items each read route of the API may read for one request: what the read budget charges it
 * (lib/policy/read-budget.ts). docs/api.md, "Read budget", shows the same table.
 */
export const READ_ITEMS = {
  /** GET /v1/calls/{callId}: the call. */
  call: 1,
  /** GET /v1/agents/{crmUserId}: the agent and its presence. */
  agent: 2,
  /** GET /v1/dnc?number=: the number's entry. */
  dnc: 1,
  /** GET /v1/calls: a page of `limit`; a filter applied as the index is read (a state, or a lead and an agent) may take several queries. */
  callsList: (q: { limit: number; state?: string; leadId?: string; agent?: string }) =>
    q.limit * (q.state !== undefined || (q.leadId !== undefined && q.agent !== undefined) ? MAX_LIST_READS : 1),
  /** GET /v1/agents: the agents and their presence; with a team, its membership items too. */
  agentsList: (q: { limit: number; team?: string }) => q.limit * (q.team === undefined ? 2 : 3),
  /** GET /v1/teams: the memberships and their agents' presence. */
  teams: 2 * MAX_TEAM_MEMBERSHIPS,
  /** GET /v1/stats/agents: the calls of the range. */
  stats: MAX_CALLS_PER_REPORT + 1,
} as const;

/** The read budget of the API's read routes: `charge` throws the 429 `read_rate_limited` (with Retry-After) when spent. */
export const readBudget = perRoot((r) => {
  const budget = new ReadBudget(new RateLimitRepository(table(r)), () => r.clock().getTime());
  return {
    /** @throws {DomainError} `read_rate_limited` (with its Retry-After): nothing more may be read for this request */
    charge: async (tenant: Pick<Tenant, 'tenantId' | 'policy'>, items: number): Promise<void> => {
      const { refusal } = await budget.charge(tenant.tenantId, tenant.policy, items);
      if (refusal) {
        throw new DomainError('read_rate_limited', refusal.detail, { retryAfterSec: refusal.retryAfterSec });
      }
    },
  };
});
