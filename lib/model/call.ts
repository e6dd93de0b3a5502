import * as z from 'zod';

import { CALL_STATES, type CallState } from './call-states';
import { ALL_LEAD_TYPES } from './crm-connection';
import { integer } from './integer';

export { CALL_STATES, type CallState };

/** States of a call that never reached the PBX: kept for the shorter, refused retention (lib/policy/retention.ts). */
export const REFUSED_STATES = ['rejected', 'not_sent', 'cancelled'] as const satisfies readonly CallState[];

/**
 * States of a call that waits for the scheduler: `scheduled` until its time comes, `queued` until an agent
 * of its team is free. Only these may be cancelled, and only the scheduler's claim moves a call out of
 * them towards the PBX (docs/design.md, "Scheduled and queued calls").
 */
export const WAITING_STATES = ['scheduled', 'queued'] as const satisfies readonly CallState[];
export type WaitingState = (typeof WAITING_STATES)[number];
export const isWaiting = (state: CallState): state is WaitingState => (WAITING_STATES as readonly CallState[]).includes(state);

/** States the reconciler must settle: the GET may or may not have reached the PBX. */
export const PENDING_STATES: readonly CallState[] = ['dispatching', 'unknown'];

/**
 * Rank of each state on the one-way road of a call. A transition is allowed only to a higher rank,
 * which makes late and repeated events harmless. `not_sent` is the one way back: nothing left this
 * host, so a retry with the same key may dispatch again (that move is made by the ledger alone).
 */
const RANK: Record<CallState, number> = {
  accepted: 0,
  scheduled: 1,
  queued: 2,
  not_sent: 3,
  dispatching: 4,
  unknown: 5,
  dialing: 6,
  answered: 7,
  completed: 8,
  no_answer: 8,
  busy: 8,
  failed: 8,
  rejected: 8,
  cancelled: 8,
};

export function canTransition(from: CallState, to: CallState): boolean {
  return RANK[to] > RANK[from];
}

/** The states from which `to` may be reached: used as the condition of every state write. */
export function statesBefore(to: CallState): CallState[] {
  return CALL_STATES.filter((s) => canTransition(s, to));
}

export const REJECTION_REASONS = [
  'agent_not_found',
  'invalid_number',
  'destination_not_allowed',
  'outside_calling_hours',
  'pbx_rejected',
  'pbx_not_allowlisted',
  'team_not_found',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

export const callEventSchema = z.object({
  at: z.string(),
  state: z.enum(CALL_STATES),
  detail: z.string().optional(),
});
export type CallEvent = z.infer<typeof callEventSchema>;

/** The normalized class of a call's end (lib/pbx/hangup.ts), beside the cause exactly as the PBX sent it. */
export const HANGUP_CLASSES = ['answered', 'busy', 'no_answer', 'failed'] as const;

export const outcomeSchema = z.object({
  answeredAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  durationSec: z.number().nullable(),
  billSec: z.number().nullable(),
  hangupCause: z.string().nullable(),
  /** Absent on calls recorded before it existed. */
  hangupClass: z.enum(HANGUP_CLASSES).nullable().optional(),
  recordingUrl: z.string().nullable(),
});
export type CallOutcome = z.infer<typeof outcomeSchema>;

export const emptyOutcome = (): z.infer<typeof outcomeSchema> => ({
  answeredAt: null,
  endedAt: null,
  durationSec: null,
  billSec: null,
  hangupCause: null,
  hangupClass: null,
  recordingUrl: null,
});

/**
 * Why the router passed over an agent of the team (docs/api.md, "Teams"): busy placing another call, on a call,
 * away, over its per-minute cap, its record unusable (not found or no longer in the team), or free but another
 * member had been idle longer.
 */
export const PASS_REASONS = ['placing_call', 'on_call', 'away', 'rate_limited', 'incomplete', 'shorter_idle'] as const;
export type PassReason = (typeof PASS_REASONS)[number];

/** How a team call chose its agent: who, when, and why each other member was passed over. */
export const routingSchema = z.object({
  team: z.string(),
  /** The chosen agent's crmUserId; null while the call waits for one. */
  chosen: z.string().nullable(),
  decidedAt: z.string().nullable(),
  /** Members considered before the chosen one (or all of them, while none is free), with the reason. */
  passedOver: z.array(z.object({ crmUserId: z.string(), reason: z.enum(PASS_REASONS) })),
  /** How many times the router looked for an agent. */
  attempts: integer({ min: 0 }),
});
export type Routing = z.infer<typeof routingSchema>;

/** When a waiting call is due, and why it waits. */
export const scheduleSchema = z.object({
  /** The earliest time the call may dial. */
  notBefore: z.string(),
  /** `requested`: the request's notBefore; `calling_hours`: deferred to the next opening of the lead's hours. */
  reason: z.enum(['requested', 'calling_hours']),
});
export type Schedule = z.infer<typeof scheduleSchema>;

/** A team call's wait for a free agent. */
export const queueSchema = z.object({
  maxWaitSec: integer(),
  /** When the wait began (the call was queued). Null until then. */
  since: z.string().nullable(),
  /** When the wait ends: the call is then `not_sent` with reason `no_agent_available`. Null until queued. */
  until: z.string().nullable(),
});
export type Queue = z.infer<typeof queueSchema>;

/**
 * The core of the stored call item (lib/store/calls/stored-call.ts): as the ledger writes it, where a field without a
 * value may be left out (items written before it existed). Clients never see it as such: they read the call resource.
 */
export const callSchema = z.object({
  callId: z.string(),
  tenantId: z.string(),
  state: z.enum(CALL_STATES),
  reason: z.string().nullable(),
  agent: z.object({
    crmUserId: z.string().optional(),
    email: z.string().optional(),
    extension: z.string().optional(),
  }),
  /** The team the request named instead of an agent; absent on calls that named an agent. */
  team: z.string().nullable().optional(),
  routing: routingSchema.nullable().optional(),
  schedule: scheduleSchema.nullable().optional(),
  queue: queueSchema.nullable().optional(),
  to: z.string(),
  legB: z.string().nullable(),
  prefix: z.string().nullable(),
  /** The CRM record the call is about: `type` as the request named it (docs/crm-logging.md), absent when it named none. */
  lead: z.object({ id: z.string(), type: z.enum(ALL_LEAD_TYPES).optional() }).nullable(),
  customData: z.record(z.string(), z.string()),
  pbx: z
    .object({
      uniqueId: z.string().nullable(),
      message: z.string().nullable(),
      host: z.string().nullable(),
    })
    .nullable(),
  outcome: outcomeSchema,
  events: z.array(callEventSchema),
  source: z.string(),
  idempotencyKey: z.string(),
  duplicate: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

// The call resource (`Call`) and its schema live in ./call-resource.ts: only the OpenAPI document's build and the tests
// construct the schema, so the functions' bundles (each importing this module) do not build its ~50 schemas at load.
