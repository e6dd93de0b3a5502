import * as z from 'zod';
import { coercedInteger, integer } from './integer';

/** How long a delivery stays in the log (the item's TTL). */
export const HOOK_LOG_RETENTION_SEC = 7 * 86_400;

/**
 * What became of one webhook delivery: `accepted` (a call was placed or found: a replay), `rejected` (authentic, but
 * the call was refused: a policy, the mapping), `refused` (not authenticated: the signature, the timestamp, no
 * secret), `malformed` (authentic but unreadable), `failed` (our side: the store, the PBX unreachable).
 */
export const HOOK_VERDICTS = ['accepted', 'rejected', 'refused', 'malformed', 'failed'] as const;

/**
 * One entry of the log. It says why, never what: no number, no payload, no header, no secret; the call id is the way
 * to the rest (GET /v1/calls/{callId}, under the calls' own retention and erasure).
 */
export const hookDeliverySchema = z.object({
  at: z.string(),
  source: z.string(),
  verdict: z.enum(HOOK_VERDICTS),
  /** The HTTP status the sender got. */
  status: integer(),
  /** The precise reason (`signature_mismatch`, `timestamp_out_of_window`, `no_secret_configured`...) or problem code. */
  reason: z.string().nullable(),
  callId: z.string().nullable(),
  /** The call's state in the answer (`dialing`, `unknown`, `rejected`...). */
  state: z.string().nullable(),
  /** The request id of the answer, to find its log lines. */
  requestId: z.string().nullable(),
});
export type HookDelivery = z.infer<typeof hookDeliverySchema>;

/**
 * The query of GET /v1/hooks/deliveries: which source, and how many of its last deliveries. The sources are the
 * registry's (lib/crm/sources), which the model may not import: the composition gives them.
 */
export const hookDeliveriesQuerySchemaOf = (sources: readonly [string, ...string[]]) =>
  z.strictObject({
    source: z.enum(sources),
    limit: coercedInteger({ min: 1, max: 100 }).default(50),
  });
