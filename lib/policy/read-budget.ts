import type { CallPolicy } from '../model/call-policy';
import type { RateLimitRepository } from '../store/rate-limits';

/**
 * The per-tenant read budget of the API's read routes. What it meters is DynamoDB read work, so a request is charged for
 * the most it may read, before it reads more than its first item: one read per item fetched by key, one read per started
 * 100 items a listing or a report may read. The budget is `readsPerSecond` (tenant policy), counted over fixed
 * windows of {@link READ_WINDOW_SEC} seconds: long enough for one report, short enough that a burst waits seconds.
 */
export const READ_WINDOW_SEC = 10;
/** Items of a listing or a report that count as one read. */
export const ITEMS_PER_READ = 100;

/** Reads a tenant may spend in one window. */
export function readsPerWindow(readsPerSecond: number): number {
  return readsPerSecond * READ_WINDOW_SEC;
}

/**
 * Reads charged to a request that may read `items` items: one per started {@link ITEMS_PER_READ}, at least one, and
 * never more than a whole window (so a tenant with a small budget can still ask for a report, in a window of its own).
 */
export function readCost(items: number, perWindow: number): number {
  return Math.min(perWindow, Math.max(1, Math.ceil(items / ITEMS_PER_READ)));
}

/** The window `nowMs` falls in, and the whole seconds until it ends (the `Retry-After` of a refusal: 1 to the window's length). */
export function readWindow(nowMs: number): { start: number; retryAfterSec: number } {
  const nowSec = Math.floor(nowMs / 1000);
  const start = nowSec - (nowSec % READ_WINDOW_SEC);
  return { start, retryAfterSec: start + READ_WINDOW_SEC - nowSec };
}

export interface ReadRefusal {
  detail: string;
  retryAfterSec: number;
}

/** Charges a tenant's reads: one conditional write of the window's counter (lib/store/rate-limits.ts) per request. */
export class ReadBudget {
  constructor(
    private readonly counter: Pick<RateLimitRepository, 'charge'>,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Charges the reads of a request that may read `items` items; a refusal charges nothing. */
  async charge(tenantId: string, policy: Pick<CallPolicy, 'readsPerSecond'>, items: number): Promise<{ refusal?: ReadRefusal }> {
    const perWindow = readsPerWindow(policy.readsPerSecond);
    const cost = readCost(items, perWindow);
    const window = readWindow(this.now());
    if (await this.counter.charge(tenantId, 'reads', window.start, READ_WINDOW_SEC, perWindow, cost)) return {};
    return {
      refusal: {
        detail:
          `This tenant's read budget is spent: ${policy.readsPerSecond} reads a second, ${perWindow} per ${READ_WINDOW_SEC} s ` +
          `(this request costs ${cost}). Nothing was read; try again in ${window.retryAfterSec} s.`,
        retryAfterSec: window.retryAfterSec,
      },
    };
  }
}
