import type { CallPolicy } from '../model/call-policy';
import type { RateLimitRepository } from '../store/rate-limits';

/**
 * The per-tenant read budget of the API's read routes. What it meters is DynamoDB read work: one read per started 100
 * items a request read, at least one. A request is charged its first read before it reads (refused there, with nothing
 * read, when the window is spent) and, once it has read, what it read beyond that: so a listing or a report that reads a
 * handful of items costs one read, whatever it might have read. The budget is `readsPerSecond` (tenant policy), counted
 * over fixed windows of {@link READ_WINDOW_SEC} seconds: long enough for one report, short enough that a burst waits
 * seconds.
 */
export const READ_WINDOW_SEC = 10;
/** Items of a listing or a report that count as one read. */
export const ITEMS_PER_READ = 100;

/** Reads a tenant may spend in one window. */
export function readsPerWindow(readsPerSecond: number): number {
  return readsPerSecond * READ_WINDOW_SEC;
}

/** Reads that `items` items cost: one per started {@link ITEMS_PER_READ}, at least one. */
export function readCost(items: number): number {
  return Math.max(1, Math.ceil(items / ITEMS_PER_READ));
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

/** What a request was charged before it read, and in which window: what {@link ReadBudget.settle} completes. */
export interface ReadCharge {
  windowStart: number;
  reads: number;
}

/**
 * Charges a tenant's reads on the window's counter (lib/store/rate-limits.ts): one conditional write per request before
 * it reads, and one more after only for a request that read more than it was charged.
 */
export class ReadBudget {
  constructor(
    private readonly counter: Pick<RateLimitRepository, 'charge' | 'settle'>,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /**
   * Charges the reads of `items` items, before (or alongside) reading them; a refusal charges nothing. Never more than a
   * whole window, so that no request is refused in every window.
   */
  async charge(
    tenantId: string,
    policy: Pick<CallPolicy, 'readsPerSecond'>,
    items: number,
  ): Promise<{ charged: ReadCharge; refusal?: never } | { refusal: ReadRefusal; charged?: never }> {
    const perWindow = readsPerWindow(policy.readsPerSecond);
    const reads = Math.min(perWindow, readCost(items));
    const window = readWindow(this.now());
    if (await this.counter.charge(tenantId, 'reads', window.start, READ_WINDOW_SEC, perWindow, reads)) {
      return { charged: { windowStart: window.start, reads } };
    }
    return {
      refusal: {
        detail:
          `This tenant's read budget is spent: ${policy.readsPerSecond} reads a second, ${perWindow} per ${READ_WINDOW_SEC} s. ` +
          `Nothing was read; try again in ${window.retryAfterSec} s.`,
        retryAfterSec: window.retryAfterSec,
      },
    };
  }

  /**
   * After the read: charges the reads of the `items` read that {@link charge} did not, on the window it charged. Never
   * refused (they were read), so it may overdraw the window, whose next requests are then refused until it ends; no
   * write when the first charge covered them.
   */
  async settle(tenantId: string, charged: ReadCharge, items: number): Promise<void> {
    const owed = readCost(items) - charged.reads;
    if (owed > 0) await this.counter.settle(tenantId, 'reads', charged.windowStart, READ_WINDOW_SEC, owed);
  }
}
