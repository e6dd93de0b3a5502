import * as z from 'zod';
import { noControlCharacters } from './control-characters';

/** The crmUserIds the table may hold: agents written before control characters were refused among them. */
const storedCrmUserIdSchema = z.string().regex(/^[^\s#/?%\\]{1,128}$/, 'non-empty, at most 128 characters, no spaces or # / ? % \\');
/** A crmUserId as a caller gives it (path, body, CSV, command line). */
export const crmUserIdSchema = storedCrmUserIdSchema.check(noControlCharacters);
export const extensionSchema = z.string().regex(/^\d{1,12}$/, 'digits only, at most 12');
/** A team's name: what a call request names instead of an agent. No '#', which the store's keys use. */
export const teamNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'a letter or digit, then letters, digits, _ . -, at most 64');
/** Teams one agent may belong to. */
export const MAX_TEAMS_PER_AGENT = 20;

export const agentInputSchema = z.strictObject({
  extension: extensionSchema,
  email: z
    .email()
    .check(noControlCharacters)
    .max(254)
    .transform((e) => e.toLowerCase())
    .optional(),
  name: z.string().check(noControlCharacters).trim().min(1).max(200).optional(),
  teams: z
    .array(teamNameSchema)
    .max(MAX_TEAMS_PER_AGENT)
    .transform((teams) => [...new Set(teams)].sort())
    .optional(),
});
export type AgentInput = z.input<typeof agentInputSchema>;

export const agentSchema = z.object({
  tenantId: z.string(),
  crmUserId: storedCrmUserIdSchema,
  extension: extensionSchema,
  email: z.string().optional(),
  name: z.string().optional(),
  teams: z.array(z.string()).optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Agent = z.infer<typeof agentSchema>;

/** How a call request names its agent: exactly one of these. */
export type AgentRef = { crmUserId: string } | { email: string } | { extension: string };

/**
 * What the router knows of an agent at one moment: the lock of a call being placed, the call it is on (from our
 * own accepted dials and the PBX's Call Start/End events), and the away toggle. Times are epoch seconds.
 */
export interface AgentPresence {
  /** The call being placed for the agent holds the lock until this time (or lets go earlier). */
  lockedUntil?: number;
  /** The call the agent is on, and until when that counts without a Call End. */
  busyCallId?: string;
  busyUntil?: number;
  /** Away from `awayFrom` (inclusive) to `awayUntil` (exclusive). */
  awayFrom?: number;
  awayUntil?: number;
  /** When the agent last became free (a call ended): the longest idle goes first. */
  idleSince?: number;
}

export const AVAILABILITY = ['available', 'placing_call', 'on_call', 'away'] as const;
export type Availability = (typeof AVAILABILITY)[number];

/** Far future for an away toggle without an end (DynamoDB numbers compare fine; 9999-12-31). */
export const FOREVER_SEC = 253_402_300_799;

export function isAway(presence: AgentPresence | undefined, nowSec: number): boolean {
  if (presence?.awayFrom === undefined) return false;
  return presence.awayFrom <= nowSec && nowSec < (presence.awayUntil ?? FOREVER_SEC);
}

/** The agent's availability at `nowSec`: away first (the agent's own say), then a call being placed, then a call on. */
export function availabilityOf(presence: AgentPresence | undefined, nowSec: number): Availability {
  if (isAway(presence, nowSec)) return 'away';
  if (presence?.lockedUntil !== undefined && presence.lockedUntil >= nowSec) return 'placing_call';
  if (presence?.busyUntil !== undefined && presence.busyUntil >= nowSec) return 'on_call';
  return 'available';
}

/**
 * How long an agent counts as on a call once the PBX accepted its dial, until the PBX's Call Start or Call End
 * says more: the agent's phone rings now. Without PBX Stats events the agent is free again after this.
 */
export const ON_CALL_AFTER_DIAL_SEC = 90;
/** How long a Call Start keeps an agent on the call when its Call End never comes (a lost webhook). */
export const ON_CALL_MAX_SEC = 4 * 3600;
