import * as z from 'zod';

import { CALL_STATES, type CallState } from './call-states';

export { CALL_STATES, type CallState };

/** States of a call that never reached the PBX: kept for the shorter, refused retention (lib/calls/retention.ts). */
export const REFUSED_STATES = ['rejected', 'not_sent'] as const satisfies readonly CallState[];

/** States the reconciler must settle: the GET may or may not have reached the PBX. */
export const PENDING_STATES: readonly CallState[] = ['dispatching', 'unknown'];

/**
 * Rank of each state on the one-way road of a call. A transition is allowed only to a higher rank,
 * which makes late and repeated events harmless. `not_sent` is the one way back: nothing left this
 * host, so a retry with the same key may dispatch again (that move is made by the ledger alone).
 */
const RANK: Record<CallState, number> = {
  accepted: 0,
  not_sent: 1,
  dispatching: 2,
  unknown: 3,
  dialing: 4,
  answered: 5,
  completed: 6,
  no_answer: 6,
  busy: 6,
  failed: 6,
  rejected: 6,
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

/** The call resource of docs/api.md: what clients read, and the core of the stored item. */
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
  to: z.string(),
  legB: z.string().nullable(),
  prefix: z.string().nullable(),
  lead: z.object({ id: z.string() }).nullable(),
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
export type Call = z.infer<typeof callSchema>;
