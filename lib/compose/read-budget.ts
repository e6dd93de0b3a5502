import { DomainError } from '../model/domain-error';
import type { Tenant } from '../model/tenant';
import { ITEMS_PER_READ, ReadBudget, type ReadCharge } from '../policy/read-budget';
import { RateLimitRepository } from '../store/rate-limits';
import { meterReads, ReadTally } from '../store/read-meter';
import { perRoot } from './root';
import { table } from './readers';

/**
 * The items each read by id of the API reads: what the read budget charges it, alongside the read. Listings, the teams
 * summary and reports are charged what they read instead (`metered`). docs/api.md, "Read budget", shows the costs.
 */
export const READ_ITEMS = {
  /** GET /v1/calls/{callId}: the call. */
  call: 1,
  /** GET /v1/agents/{crmUserId}: the agent and its presence. */
  agent: 2,
  /** GET /v1/dnc?number=: the number's entry. */
  dnc: 1,
} as const;

type Reader = Pick<Tenant, 'tenantId' | 'policy'>;

/** The read budget of the API's read routes: both methods throw the 429 `read_rate_limited` (with Retry-After) when it is spent. */
export const readBudget = perRoot((r) => {
  const store = table(r);
  meterReads(store.doc);
  const budget = new ReadBudget(new RateLimitRepository(store), () => r.clock().getTime());
  const admit = async (tenant: Reader, items: number): Promise<ReadCharge> => {
    const { charged, refusal } = await budget.charge(tenant.tenantId, tenant.policy, items);
    if (refusal) throw new DomainError('read_rate_limited', refusal.detail, { retryAfterSec: refusal.retryAfterSec });
    return charged;
  };
  return {
    /**
     * Charges a read of `items` items whose size is known before it runs (a read by id).
     *
     * @throws {DomainError} `read_rate_limited` (with its Retry-After): nothing more may be read for this request
     */
    charge: async (tenant: Reader, items: number): Promise<void> => {
      await admit(tenant, items);
    },
    /**
     * Runs `read` (a listing, the teams summary, a report) charged what it reads: its first read before it starts,
     * the rest once it is done, whether it answered or threw (a report refused past its bound read all the same).
     *
     * @throws {DomainError} `read_rate_limited` (with its Retry-After), before `read` runs: nothing was read
     */
    metered: async <T>(tenant: Reader, read: () => Promise<T>): Promise<T> => {
      const charged = await admit(tenant, ITEMS_PER_READ);
      const tally = new ReadTally();
      try {
        return await tally.run(read);
      } finally {
        await budget.settle(tenant.tenantId, charged, tally.items);
      }
    },
  };
});
