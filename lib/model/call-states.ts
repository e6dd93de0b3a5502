/**
 * The states of a call, in the order of its life. A module of its own, with no imports, so that the console's
 * browser code (lib/console/browser/) shares the one list without bundling zod.
 */
export const CALL_STATES = [
  'accepted',
  'scheduled',
  'queued',
  'dispatching',
  'dialing',
  'answered',
  'completed',
  'no_answer',
  'busy',
  'failed',
  'rejected',
  'unknown',
  'not_sent',
  'cancelled',
] as const;
export type CallState = (typeof CALL_STATES)[number];
