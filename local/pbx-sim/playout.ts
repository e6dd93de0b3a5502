import * as z from 'zod';

/** How a simulated call ends. */
export const playoutOutcomes = ['answered', 'busy', 'no_answer', 'failed'] as const;
export type PlayoutOutcome = (typeof playoutOutcomes)[number];

/** How one call plays out: rings `ringSec`, then (if answered) talks `talkSec`. Fractions allowed, so tests run fast. */
export const playoutSchema = z.strictObject({
  outcome: z.enum(playoutOutcomes),
  ringSec: z.number().min(0).max(3600).default(2),
  talkSec: z.number().min(0).max(86_400).default(40),
  /** The cause the PBX reports; default ANSWERED, BUSY, NO ANSWER or FAILED by outcome. Any text: accounts rename causes. */
  hangupCause: z.string().min(1).max(100).optional(),
});
export type Playout = z.infer<typeof playoutSchema>;

const digits = z.string().regex(/^\+?\d{1,20}$/, 'digits only (an optional leading +)');

/** A playout for calls from one agent extension, or to one number. */
export const playoutRuleSchema = playoutSchema.extend({
  match: z
    .strictObject({ extension: digits.optional(), number: digits.optional() })
    .refine((m) => m.extension !== undefined || m.number !== undefined, 'match needs an extension or a number'),
});
export type PlayoutRule = z.infer<typeof playoutRuleSchema>;

/** The body of `PUT /_sim/playout`: rules (first match wins) and the playout of every other call. */
export const playoutSettingSchema = z.strictObject({
  default: playoutSchema.optional(),
  rules: z.array(playoutRuleSchema).max(1000).default([]),
});
export type PlayoutSetting = z.input<typeof playoutSettingSchema>;

/** Every call is answered after 2 s and talks 40 s unless told otherwise. */
export const DEFAULT_PLAYOUT: Playout = { outcome: 'answered', ringSec: 2, talkSec: 40 };

const DEFAULT_CAUSE: Record<PlayoutOutcome, string> = { answered: 'ANSWERED', busy: 'BUSY', no_answer: 'NO ANSWER', failed: 'FAILED' };

/** The timeline of one call, in ms after it was placed, and the figures its CDR and webhooks report. */
export interface CallPlan {
  outcome: PlayoutOutcome;
  /** Absent when the call is never answered. */
  answerAfterMs?: number;
  endAfterMs: number;
  /** Whole seconds, as the PBX reports them (a started second counts). */
  durationSec: number;
  billSec: number;
  hangupCause: string;
}

/** The rules in force, and which playout a call gets. */
export class PlayoutTable {
  #default: Playout = DEFAULT_PLAYOUT;
  #rules: PlayoutRule[] = [];

  /** @throws {z.ZodError} on an invalid setting */
  set(setting: PlayoutSetting): void {
    const parsed = playoutSettingSchema.parse(setting);
    this.#default = parsed.default ?? DEFAULT_PLAYOUT;
    this.#rules = parsed.rules;
  }

  reset(): void {
    this.#default = DEFAULT_PLAYOUT;
    this.#rules = [];
  }

  get state(): { default: Playout; rules: PlayoutRule[] } {
    return { default: { ...this.#default }, rules: this.#rules.map((r) => ({ ...r })) };
  }

  /** The first rule that matches the agent's extension or the dialled number (without prefix or '+'), else the default. */
  resolve(call: { legA: string; legB: string }): Playout {
    const rule = this.#rules.find(
      (r) =>
        (r.match.extension === undefined || r.match.extension === call.legA) &&
        (r.match.number === undefined || r.match.number.replace(/^\+/, '') === call.legB),
    );
    if (!rule) return this.#default;
    const { match: _match, ...playout } = rule;
    return playout;
  }
}

/** The timeline a playout gives a call. */
export function planCall(playout: Playout): CallPlan {
  const ringMs = Math.round(playout.ringSec * 1000);
  const hangupCause = playout.hangupCause ?? DEFAULT_CAUSE[playout.outcome];
  if (playout.outcome === 'answered') {
    const talkMs = Math.round(playout.talkSec * 1000);
    return {
      outcome: 'answered',
      answerAfterMs: ringMs,
      endAfterMs: ringMs + talkMs,
      durationSec: Math.ceil((ringMs + talkMs) / 1000),
      billSec: Math.ceil(talkMs / 1000),
      hangupCause,
    };
  }
  return { outcome: playout.outcome, endAfterMs: ringMs, durationSec: Math.ceil(ringMs / 1000), billSec: 0, hangupCause };
}
