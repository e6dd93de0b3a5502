import type { Pacer, PaceRule } from './transport';

/** The fixed window a pace counts in at `nowMs`, how many deliveries it lets through, and how long until the next. */
export interface PaceWindow {
  /** Epoch seconds of the window's start: a multiple of `windowSec`. */
  start: number;
  windowSec: number;
  max: number;
  /** Ms from `nowMs` until the next window opens: how long a refused delivery waits. */
  untilNextMs: number;
}

/**
 * The window of a pace, pure: one second holding `perSecond` deliveries (rounded down, at least 1); a pace under one
 * per second counts in a window of as many seconds as one delivery needs (0.2 per second: one per 5 s).
 */
export function paceWindow(rule: PaceRule, nowMs: number): PaceWindow {
  if (!(rule.perSecond > 0)) throw new Error(`The pace of '${rule.key}' must be above 0 per second`);
  const windowSec = rule.perSecond >= 1 ? 1 : Math.ceil(1 / rule.perSecond);
  const max = Math.max(1, Math.floor(rule.perSecond * windowSec));
  const start = Math.floor(nowMs / 1000 / windowSec) * windowSec;
  return { start, windowSec, max, untilNextMs: (start + windowSec) * 1000 - nowMs };
}

/** What a shared counter of paces must do (lib/store/pace-counters.ts): count one in a window if it holds fewer than `max`. */
export interface PaceCounter {
  take(key: string, windowStart: number, windowSec: number, max: number): Promise<boolean>;
}

/** A {@link Pacer} over a counter shared by every deliverer: 0 when a delivery may go now, else the ms until the next window. */
export function counterPacer(counter: PaceCounter): Pacer {
  return {
    async take(rule, now) {
      const window = paceWindow(rule, now.getTime());
      return (await counter.take(rule.key, window.start, window.windowSec, window.max)) ? 0 : window.untilNextMs;
    },
  };
}
