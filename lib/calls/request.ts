import { createHash } from 'node:crypto';
import * as z from 'zod';
import { CALL_ID_FIELD, FIELD_ALIASES, pbxEventFieldOf } from '../pbx/stats-event';
import { crmUserIdSchema, extensionSchema, teamNameSchema, type AgentRef } from '../model/agent';
import { noControlCharacters } from '../model/control-characters';
import { ALL_LEAD_TYPES, type LeadType } from '../model/crm-connection';
import { integer } from '../model/integer';

/** The longest a team call may wait for a free agent. */
export const MAX_WAIT_SEC = 3600;
/** How far ahead a call may be scheduled. */
export const MAX_SCHEDULE_AHEAD_DAYS = 30;

/** Query names we send to the PBX ourselves; custom data may not reuse them. */
export const RESERVED_QUERY_NAMES = ['leadid', CALL_ID_FIELD] as const;

/**
 * Why a custom data name is refused, or `undefined` when it may be used. Custom data comes back in
 * the PBX Stats events beside the PBX's own fields, so a name the event parser would read as one of
 * its fields (call id, event, unique id, cause, durations...) would let a caller speak for the PBX
 * about another call. The list is the parser's own (lib/pbx/stats-event.ts), so the two cannot drift.
 */
export function customDataNameProblem(name: string): string | undefined {
  if ((RESERVED_QUERY_NAMES as readonly string[]).includes(name.toLowerCase())) return 'this name is reserved';
  const field = pbxEventFieldOf(name);
  if (field) return `reserved: PBX Stats events would read this name as their own field ${FIELD_ALIASES[field][0]}`;
  return undefined;
}

const printable = /^[\x21-\x7e]{1,255}$/;

export const idempotencyKeySchema = z.string().regex(printable, '1-255 printable ASCII characters, no spaces');

const agentRefSchema = z.union(
  [
    z.strictObject({ crmUserId: crmUserIdSchema }),
    z.strictObject({
      email: z
        .email()
        .check(noControlCharacters)
        .max(254)
        .transform((e) => e.toLowerCase()),
    }),
    z.strictObject({ extension: extensionSchema }),
  ],
  { error: 'exactly one of crmUserId, email or extension' },
);

export const callRequestSchema = z
  .strictObject({
    /** Exactly one of `agent` and `team`. */
    agent: agentRefSchema.optional(),
    team: teamNameSchema.optional(),
    /** A team call may wait this long for a free agent (`queued`) instead of a 429 no_agent_available. */
    maxWaitSec: integer({ min: 1, max: MAX_WAIT_SEC }).optional(),
    /** The earliest time to dial (RFC 3339 with an offset): the call is `scheduled` until then. */
    notBefore: z.iso.datetime({ offset: true }).optional(),
    to: z.string().min(1).max(64),
    defaultCountry: z
      .string()
      .regex(/^[A-Za-z]{2}$/, 'ISO 3166-1 alpha-2 country code')
      .transform((c) => c.toUpperCase())
      .optional(),
    prefix: z
      .string()
      .regex(/^[0-9*#]{1,10}$/, "1-10 of the characters 0-9, '*' and '#'")
      .optional(),
    // Trimmed, as a webhook mapping trims what it reads: " 42" and "42" are one lead, one keyless subject.
    lead: z
      .strictObject({
        id: z.string().trim().check(noControlCharacters).min(1).max(128),
        type: z.enum(ALL_LEAD_TYPES).optional().meta({
          description:
            "The kind of CRM record `id` names, for call logging (docs/crm-logging.md): HubSpot contact (the default), company, deal; Pipedrive person (the default), organization, deal, lead. Salesforce needs none: the id's key prefix says it.",
        }),
      })
      .optional(),
    customData: z
      .record(
        z
          .string()
          .regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, 'names start with a letter: letters, digits, _ . -, at most 64')
          .superRefine((k, ctx) => {
            const problem = customDataNameProblem(k);
            if (problem) ctx.addIssue({ code: 'custom', message: problem });
          }),
        z
          .string()
          .max(256)
          .regex(/^[^\x00-\x1f\x7f]*$/, 'no control characters'),
      )
      .refine((r) => Object.keys(r).length <= 20, 'at most 20 entries')
      .optional(),
  })
  .superRefine((r, ctx) => {
    if ((r.agent === undefined) === (r.team === undefined)) {
      ctx.addIssue({ code: 'custom', path: [r.agent ? 'team' : 'agent'], message: 'exactly one of agent or team' });
    }
    if (r.maxWaitSec !== undefined && r.team === undefined) {
      ctx.addIssue({ code: 'custom', path: ['maxWaitSec'], message: 'only a team call waits for a free agent: name a team' });
    }
  });
export type CallRequest = z.infer<typeof callRequestSchema>;

/** Who a request asks for: one agent, or any free agent of a team. */
export type CallTarget = AgentRef | { team: string };

/** The request as the ledger sees it: what decides "same request" for a replay. */
export interface NormalizedCallRequest {
  agent: CallTarget;
  /** E.164 when the number is valid; the raw text otherwise (the call is then refused). */
  to: string;
  prefix?: string;
  leadId?: string;
  /** Part of "the same request" (a replay naming another kind of record is another request), not of the keyless subject. */
  leadType?: LeadType;
  customData: Record<string, string>;
  /** Part of "the same request": a replay that asks for another time or wait is another request. */
  notBefore?: string;
  maxWaitSec?: number;
}

/** Stable JSON: keys sorted, so the same request always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

export function requestHash(request: NormalizedCallRequest): string {
  return sha256(canonical(request)).toString('base64url');
}

/**
 * What "the same request" means for a caller that sent no key: the same agent, number and lead.
 * Custom data is left out, so a double click that carries other CRM fields is still one call. Every part is
 * canonical before it gets here: the number in E.164 (however it was spelt), the lead id trimmed, the agent as
 * resolved by its id (PlaceCall), so no re-spelling of one request opens a window of its own.
 */
export function dedupeSubject(request: NormalizedCallRequest): string {
  return sha256(canonical({ agent: request.agent, to: request.to, leadId: request.leadId }))
    .toString('base64url')
    .slice(0, 32);
}

/**
 * The key a keyless request proposes when it opens a dedupe window: unique to the subject and the
 * moment the window opens, so a request after the window has closed is a new call.
 */
export function windowIdempotencyKey(subject: string, openedAtMs: number): string {
  return `auto:${subject}:${openedAtMs.toString(36)}`;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * The call id is derived from the tenant and the idempotency key, so the one conditional put that
 * creates the call is also the reservation of the key: no second item, no transaction.
 */
export function callIdFor(tenantId: string, idempotencyKey: string): string {
  const digest = sha256(`${tenantId}\n${idempotencyKey}`);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of digest) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < 26) {
      out += CROCKFORD[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return `c_${out}`;
}
