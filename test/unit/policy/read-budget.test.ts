import { describe, expect, it } from 'vitest';
import { ReadBudget, readCost, readsPerWindow, readWindow, READ_WINDOW_SEC } from '../../../lib/policy/read-budget';

describe('read budget arithmetic', () => {
  it.each([
    // items a request may read, reads a window holds, reads charged
    { items: 0, perWindow: 500, cost: 1 },
    { items: 1, perWindow: 500, cost: 1 },
    { items: 2, perWindow: 500, cost: 1 },
    { items: 100, perWindow: 500, cost: 1 },
    { items: 101, perWindow: 500, cost: 2 },
    { items: 1000, perWindow: 500, cost: 10 },
    { items: 10_001, perWindow: 500, cost: 101 },
    // never more than a whole window: a small budget still allows a report, in a window of its own
    { items: 10_001, perWindow: 10, cost: 10 },
    { items: 1, perWindow: 10, cost: 1 },
  ])('$items items in a window of $perWindow reads cost $cost', ({ items, perWindow, cost }) => {
    expect(readCost(items, perWindow)).toBe(cost);
  });

  it.each([
    { readsPerSecond: 1, perWindow: READ_WINDOW_SEC },
    { readsPerSecond: 50, perWindow: 50 * READ_WINDOW_SEC },
  ])('$readsPerSecond reads a second hold $perWindow a window', ({ readsPerSecond, perWindow }) => {
    expect(readsPerWindow(readsPerSecond)).toBe(perWindow);
  });

  it.each([
    // now (ms), window start (s), Retry-After (s): 1 to the window's length, never 0
    { nowMs: 1_700_000_000_000, start: 1_700_000_000, retryAfterSec: 10 },
    { nowMs: 1_700_000_000_999, start: 1_700_000_000, retryAfterSec: 10 },
    { nowMs: 1_700_000_001_000, start: 1_700_000_000, retryAfterSec: 9 },
    { nowMs: 1_700_000_009_999, start: 1_700_000_000, retryAfterSec: 1 },
    { nowMs: 1_700_000_010_000, start: 1_700_000_010, retryAfterSec: 10 },
  ])('at $nowMs ms: window $start, retry after $retryAfterSec s', ({ nowMs, start, retryAfterSec }) => {
    expect(readWindow(nowMs)).toEqual({ start, retryAfterSec });
  });
});

describe('ReadBudget', () => {
  const at = 1_700_000_003_500;
  function budgetWith(admits: boolean) {
    const charges: unknown[][] = [];
    const budget = new ReadBudget(
      {
        charge: (...args: unknown[]) => {
          charges.push(args);
          return Promise.resolve(admits);
        },
      },
      () => at,
    );
    return { budget, charges };
  }

  it("charges the window's counter the request's cost against the tenant's budget", async () => {
    const { budget, charges } = budgetWith(true);
    expect(await budget.charge('acme', { readsPerSecond: 5 }, 250)).toEqual({});
    expect(charges).toEqual([['acme', 'reads', 1_700_000_000, READ_WINDOW_SEC, 50, 3]]);
  });

  it('refuses with the seconds left in the window when the counter refuses', async () => {
    const { budget } = budgetWith(false);
    const { refusal } = await budget.charge('acme', { readsPerSecond: 5 }, 1);
    expect(refusal?.retryAfterSec).toBe(7);
    expect(refusal?.detail).toMatch(/5 reads a second, 50 per 10 s/);
  });
});
