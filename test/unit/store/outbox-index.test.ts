import { describe, expect, it } from 'vitest';
import { indexTargetOf, isFinalState, PARKED_RECHECK_MS, type SlotView } from '../../../lib/store/calls/outbox-index';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const at = (ms: number) => new Date(NOW.getTime() + ms).toISOString();
const LEASE = 90_000;
const target = (slots: SlotView[], final = true, eventCount = 5) => indexTargetOf({ eventCount, final, slots, now: NOW, leaseMs: LEASE });

describe('indexTargetOf: where a call belongs in the outbox index, by its live slots', () => {
  it('out when no slot is behind (or no slot is live)', () => {
    expect(target([{ next: 5 }, { next: 5, remoteId: 'a1' } as SlotView])).toEqual({ kind: 'out' });
    expect(target([])).toEqual({ kind: 'out' });
  });

  it('due now for a slot behind with no retry, at the earliest next attempt otherwise', () => {
    expect(target([{ next: 5 }, { next: 3 }])).toEqual({ kind: 'due', at: at(0) });
    expect(
      target([
        { next: 4, retry: { nextAttemptAt: at(60_000) } },
        { next: 3, retry: { nextAttemptAt: at(30_000) } },
      ]),
    ).toEqual({
      kind: 'due',
      at: at(30_000),
    });
    expect(target([{ next: 4, retry: { nextAttemptAt: at(60_000) } }, { next: 3 }])).toEqual({ kind: 'due', at: at(0) });
  });

  it("at the end of a started attempt's lease, or now once it is over", () => {
    expect(target([{ next: 0, startedAt: at(-30_000) }])).toEqual({ kind: 'due', at: at(60_000) });
    expect(target([{ next: 0, startedAt: at(-120_000) }])).toEqual({ kind: 'due', at: at(0) });
  });

  it('ignores dead-lettered slots while another is still behind', () => {
    expect(
      target([
        { next: 0, retry: { nextAttemptAt: at(0), deadLetteredAt: at(-5) } },
        { next: 4, retry: { nextAttemptAt: at(9_000) } },
      ]),
    ).toEqual({
      kind: 'due',
      at: at(9_000),
    });
  });

  it('dead (at the latest give-up) when every slot behind is dead-lettered and no event can come; else looked at again later', () => {
    const dead = (ms: number): SlotView => ({ next: 2, retry: { nextAttemptAt: at(ms), deadLetteredAt: at(ms) } });
    expect(target([dead(-9_000), dead(-4_000), { next: 5 }])).toEqual({ kind: 'dead', at: at(-4_000) });
    expect(target([dead(-9_000), { next: 5 }], false)).toEqual({ kind: 'due', at: at(PARKED_RECHECK_MS) });
  });
});

describe('isFinalState', () => {
  it.each([
    ['completed', true],
    ['no_answer', true],
    ['cancelled', true],
    ['rejected', true],
    ['dialing', false],
    ['not_sent', false],
    ['unknown', false],
    ['accepted', false],
  ] as const)('%s: %s', (state, final) => {
    expect(isFinalState(state)).toBe(final);
  });
});
