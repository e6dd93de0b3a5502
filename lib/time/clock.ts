/**
 * Where the service reads the time: every use case and repository that stamps or compares times takes one,
 * injected at the composition root (lib/compose/), so that a test can set the time instead of waiting for it.
 */
export type Clock = () => Date;

/** The system clock. `new Date()` is read at each call, so a test's fake timers (`vi.setSystemTime`) reach it too. */
export const systemClock: Clock = () => new Date();
