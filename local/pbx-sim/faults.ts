import * as z from 'zod';

/** Failure modes the simulator can inject into dial requests. */
export const faultModes = ['none', 'latency', 'http_500', 'http_503', 'hang', 'reset', 'malformed', 'refuse', 'not_found'] as const;

/** One of {@link faultModes}. */
export type FaultMode = (typeof faultModes)[number];

/*
 * In these modes the caller cannot tell whether the call was placed, which is exactly what the ledger's
 * `unknown` state is for; by default the PBX did place it, so the CDR search has something to find.
 */
const placedByDefault: ReadonlySet<FaultMode> = new Set(['latency', 'hang', 'reset', 'malformed']);

const DEFAULT_LATENCY_MS = 1_000;

/** The body of `PUT /_sim/fault`, and the argument of `setFault`. */
export const faultSettingSchema = z.strictObject({
  mode: z.enum(faultModes),
  /** Delay before a `latency` answer. */
  latencyMs: z.number().int().min(0).max(600_000).optional(),
  /** Apply to the next N dial requests only, then fall back to `none`. Omitted: until changed. */
  times: z.number().int().min(1).optional(),
  /**
   * Whether the PBX really placed the call behind the fault (a CDR appears) when it would have accepted it.
   * Ignored by `latency`, whose answer is the normal one.
   */
  placed: z.boolean().optional(),
});

/** A fault as requested. */
export type FaultSetting = z.infer<typeof faultSettingSchema>;

/** The fault in force, as `GET /_sim/fault` shows it. */
export interface FaultState {
  mode: FaultMode;
  latencyMs: number;
  /** Dial requests left before the fault reverts to `none`; `null` means until changed. */
  remaining: number | null;
  placed: boolean;
}

const NO_FAULT: FaultState = { mode: 'none', latencyMs: 0, remaining: null, placed: false };

/** The fault switch: set at run time, consumed one dial request at a time. */
export class FaultSwitch {
  #state: FaultState = NO_FAULT;

  /** The fault in force. */
  get state(): FaultState {
    return { ...this.#state };
  }

  /** Replaces the fault in force. @throws {z.ZodError} on an invalid setting */
  set(setting: FaultSetting): void {
    const { mode, latencyMs, times, placed } = faultSettingSchema.parse(setting);
    this.#state =
      mode === 'none'
        ? NO_FAULT
        : {
            mode,
            latencyMs: mode === 'latency' ? (latencyMs ?? DEFAULT_LATENCY_MS) : 0,
            remaining: times ?? null,
            placed: placed ?? placedByDefault.has(mode),
          };
  }

  /** Back to `none`. */
  clear(): void {
    this.#state = NO_FAULT;
  }

  /** The fault to apply to the dial request at hand; counts it against `times`. */
  take(): FaultState {
    const taken = this.#state;
    if (taken.remaining !== null) {
      const remaining = taken.remaining - 1;
      this.#state = remaining > 0 ? { ...taken, remaining } : NO_FAULT;
    }
    return taken;
  }
}
