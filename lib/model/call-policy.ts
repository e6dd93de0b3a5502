import * as z from 'zod';
import { integer } from './integer';

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM');
const WEEKDAYS = [1, 2, 3, 4, 5];

/**
 * One opening of the calling hours: from `start` to `end` (local HH:MM, `end` excluded) on each of `days` (0 = Sunday).
 * An `end` before `start` runs past midnight into the next day. The checks that a window is well formed (days given,
 * `start` not `end`) are the input's (lib/tenants/settings.ts): a stored item never stops reading.
 */
export const callingWindowSchema = z.object({
  days: z.array(integer({ min: 0, max: 6 })),
  start: hhmm,
  end: hhmm,
});
export type CallingWindow = z.infer<typeof callingWindowSchema>;

/**
 * When leads may be rung: several windows a day and different ones by day (e.g. Mon-Fri 09:00-13:00 and 14:00-20:00,
 * Sat 10:00-14:00), a call being allowed inside any of them. The first shape held one window (`{ start, end, days }`,
 * days Monday to Friday by default): it still reads, as that one window.
 */
export const callingHoursSchema = z.preprocess(
  (value) => {
    if (typeof value !== 'object' || value === null || 'windows' in value || !('start' in value)) return value;
    const { start, end, days } = value as { start: unknown; end: unknown; days?: unknown };
    return { windows: [{ days: days ?? WEEKDAYS, start, end }] };
  },
  z.object({ windows: z.array(callingWindowSchema) }),
);
export type CallingHours = z.infer<typeof callingHoursSchema>;

/** A tenant's rules for what may be dialled, when, how often, and how long calls are kept. */
export const callPolicySchema = z.object({
  /** ISO 3166-1 alpha-2 codes a lead may be in; empty means the tenant's default country only. */
  allowedCountries: z.array(z.string().regex(/^[A-Z]{2}$/)).default([]),
  allowPremiumRate: z.boolean().default(false),
  allowSharedCost: z.boolean().default(false),
  allowUnknownType: z.boolean().default(false),
  /** E.164 digit prefixes never dialled (without '+'), e.g. "4490" or "882". */
  denyPrefixes: z.array(z.string().regex(/^\d{1,15}$/)).default([]),
  /** Checked in the destination's time zone; absent means any time. */
  callingHours: callingHoursSchema.optional(),
  /**
   * The law's calling hours for the lead's country (lib/policy/legal-hours.ts: the US, Canada, France, Spain, Italy,
   * Australia), on top of `callingHours`: a call must be inside both. A country the table has no row for: only
   * `callingHours`. Set with `--calling-hours legal`.
   */
  legalCallingHours: z.boolean().default(false),
  /**
   * What becomes of a call asked for outside the calling hours: `refuse` (422 outside_calling_hours) or `defer`
   * (the call is `scheduled` for the next opening in the lead's time zone). A webhook source may say otherwise.
   */
  outsideCallingHours: z.enum(['refuse', 'defer']).default('refuse'),
  caps: z
    .object({
      perDestination: z.object({ max: integer({ min: 1 }), windowSec: integer({ min: 1 }) }).default({ max: 3, windowSec: 900 }),
      perAgentPerMinute: integer({ min: 1 }).default(10),
      perTenantPerSecond: integer({ min: 1 }).default(20),
    })
    .default({ perDestination: { max: 3, windowSec: 900 }, perAgentPerMinute: 10, perTenantPerSecond: 20 }),
  /**
   * The tenant's read budget on the API's read routes, in reads a second (lib/policy/read-budget.ts: one read is up to
   * 100 items a request read, at least one a request), counted over 10-second windows.
   */
  readsPerSecond: integer({ min: 1, max: 100_000 }).default(50),
  /**
   * Scheduled and queued calls the tenant may have waiting at once. Past it, a new waiting call is refused (429
   * waiting_limit) and nothing is written: one tenant's key cannot fill the scheduler's runs (docs/design.md).
   */
  maxWaitingCalls: integer({ min: 1, max: 100_000 }).default(1000),
  /** Window of the key derived when a caller sends no Idempotency-Key. */
  dedupeWindowSec: integer({ min: 1, max: 3600 }).default(60),
  /**
   * Days a call, its events and its raw PBX events are kept from the call's creation (DynamoDB TTL). 400: a year
   * of history for yearly reports and disputes, plus a month of slack.
   */
  retentionDays: integer({ min: 1, max: 3650 }).default(400),
  /**
   * Days a call that never reached the PBX (`rejected`, `not_sent`) is kept. Nobody's phone rang, so there is
   * no call to account for: 30 days leave support a month to answer "why did my click not ring?" and match how
   * long orphan PBX events and dead letters are kept. Never longer than `retentionDays`.
   */
  refusedRetentionDays: integer({ min: 1, max: 3650 }).default(30),
});
export type CallPolicy = z.infer<typeof callPolicySchema>;
