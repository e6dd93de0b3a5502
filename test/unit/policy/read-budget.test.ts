import { describe, expect, it } from 'vitest';
import { ReadBudget, readCost, readsPerWindow, readWindow, READ_WINDOW_SEC } from '../../../lib/policy/read-budget';

describe('read budget arithmetic', () => {
  it.each([
    // items read, reads they cost: one per started 100, at least one
    { items: 0, cost: 1 },
    { items: 1, cost: 1 },
    { items: 2, cost: 1 },
    { items: 100, cost: 1 },
    { items: 101, cost: 2 },
    { items: 1000, cost: 10 },
    { items: 10_001, cost: 101 },
  ])('$items items cost $cost reads', ({ items, cost }) => {
    expect(readCost(items)).toBe(cost);
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
    const settles: unknown[][] = [];
    const budget = new ReadBudget(
      {
        charge: (...args: unknown[]) => {
          charges.push(args);
          return Promise.resolve(admits);
        },
        settle: (...args: unknown[]) => {
          settles.push(args);
          return Promise.resolve();
        },
      },
      () => at,
    );
    return { budget, charges, settles };
  }

  it("charges the window's counter the request's cost against the tenant's budget", async () => {
    const { budget, charges } = budgetWith(true);
    expect(await budget.charge('acme', { readsPerSecond: 5 }, 250)).toEqual({ charged: { windowStart: 1_700_000_000, reads: 3 } });
    expect(charges).toEqual([['acme', 'reads', 1_700_000_000, READ_WINDOW_SEC, 50, 3]]);
  });

  it('charges never more than a whole window before reading, so that no request is refused in every window', async () => {
    const { budget, charges } = budgetWith(true);
    expect(await budget.charge('acme', { readsPerSecond: 1 }, 10_001)).toEqual({ charged: { windowStart: 1_700_000_000, reads: 10 } });
    expect(charges).toEqual([['acme', 'reads', 1_700_000_000, READ_WINDOW_SEC, 10, 10]]);
  });

  it('refuses with the seconds left in the window when the counter refuses', async () => {
    const { budget } = budgetWith(false);
    const { refusal } = await budget.charge('acme', { readsPerSecond: 5 }, 1);
    expect(refusal?.retryAfterSec).toBe(7);
    expect(refusal?.detail).toMatch(/5 reads a second, 50 per 10 s/);
  });

  it.each([
    // reads charged before, items then read, reads settled after (none: no write)
    { charged: 1, items: 0, owed: undefined },
    { charged: 1, items: 100, owed: undefined },
    { charged: 1, items: 101, owed: 1 },
    { charged: 1, items: 10_001, owed: 100 },
    { charged: 2, items: 150, owed: undefined },
    { charged: 10, items: 10_001, owed: 91 },
  ])('charged $charged, read $items items: settles $owed more on the window it charged', async ({ charged, items, owed }) => {
    const { budget, settles } = budgetWith(true);
    // The read ended in a later window: what it owes still goes on the window it was charged in.
    await budget.settle('acme', { windowStart: 1_699_999_990, reads: charged }, items);
    expect(settles).toEqual(owed === undefined ? [] : [['acme', 'reads', 1_699_999_990, READ_WINDOW_SEC, owed]]);
  });
});
