import { describe, expect, it } from 'vitest';
import { counterPacer, paceWindow, type PaceCounter } from '../../../lib/notify/pace';

const at = (iso: string) => Date.parse(iso);

describe('paceWindow', () => {
  it.each([
    ['10 per second', 10, '2026-03-01T12:00:00.250Z', { windowSec: 1, max: 10, untilNextMs: 750 }],
    ['a fraction rounds down', 2.7, '2026-03-01T12:00:00.000Z', { windowSec: 1, max: 2, untilNextMs: 1000 }],
    ['one per second', 1, '2026-03-01T12:00:00.999Z', { windowSec: 1, max: 1, untilNextMs: 1 }],
    ['one per 5 s', 0.2, '2026-03-01T12:00:03.000Z', { windowSec: 5, max: 1, untilNextMs: 2000 }],
    ['one per 3 s at 0.4', 0.4, '2026-03-01T12:00:00.500Z', { windowSec: 3, max: 1, untilNextMs: 2500 }],
  ] as const)('%s', (_name, perSecond, now, expected) => {
    const window = paceWindow({ key: 'crm#t1', perSecond }, at(now));
    expect(window).toMatchObject(expected);
    expect(window.start % window.windowSec).toBe(0);
    expect(window.start * 1000).toBeLessThanOrEqual(at(now));
  });

  it('refuses a pace of nothing', () => {
    expect(() => paceWindow({ key: 'crm#t1', perSecond: 0 }, 0)).toThrow(/above 0/);
    expect(() => paceWindow({ key: 'crm#t1', perSecond: Number.NaN }, 0)).toThrow(/above 0/);
  });
});

describe('counterPacer', () => {
  it("asks the counter for the rule's key and window, and waits for the next window when refused", async () => {
    const asked: unknown[] = [];
    let room = true;
    const counter: PaceCounter = { take: (...args) => (asked.push(args), Promise.resolve(room)) };
    const pacer = counterPacer(counter);
    const now = new Date('2026-03-01T12:00:07.400Z');
    expect(await pacer.take({ key: 'hubspot#t1', perSecond: 10 }, now)).toBe(0);
    room = false;
    expect(await pacer.take({ key: 'hubspot#t1', perSecond: 10 }, now)).toBe(600);
    expect(asked).toEqual([
      ['hubspot#t1', Math.floor(now.getTime() / 1000), 1, 10],
      ['hubspot#t1', Math.floor(now.getTime() / 1000), 1, 10],
    ]);
  });
});
