import * as z from 'zod';
import { CALL_STATES } from './call-states';
import { ALL_LEAD_TYPES, CRM_NAMES } from './crm-connection';
import { callEventSchema, HANGUP_CLASSES, outcomeSchema, queueSchema, routingSchema, scheduleSchema } from './call';

/**
 * The call resource of docs/api.md ("The call resource"): what every answer, listing, problem `call`, notification
 * and the CLI's --json carry (lib/calls/resource.ts makes it). One shape in every state: every field of the call and
 * of its objects is present, null where there is no value; `agent` is null while a team call has no member yet.
 */
/** The states of a call's logging in one CRM (lib/calls/logged.ts says what each means). */
export const LOGGED_STATES = ['logged', 'pending', 'held', 'dead', 'skipped'] as const;

/** A call's logging in one CRM, as the call resource carries it: the activity's id once logged, the last error while not. */
export const callLoggedSchema = z.object({
  crm: z.enum(CRM_NAMES),
  state: z.enum(LOGGED_STATES),
  remoteId: z.string().nullable(),
  error: z.string().nullable(),
});
export type CallLogged = z.infer<typeof callLoggedSchema>;

export const callResourceSchema = z.object({
  callId: z.string(),
  tenantId: z.string(),
  state: z.enum(CALL_STATES),
  reason: z.string().nullable(),
  agent: z
    .object({
      crmUserId: z.string().nullable(),
      /** The email the request named the agent by; null when it named it otherwise. */
      email: z.string().nullable(),
      extension: z.string().nullable(),
    })
    .nullable(),
  team: z.string().nullable(),
  routing: routingSchema.nullable(),
  schedule: scheduleSchema.nullable(),
  queue: queueSchema.nullable(),
  to: z.string(),
  legB: z.string().nullable(),
  prefix: z.string().nullable(),
  lead: z.object({ id: z.string(), type: z.enum(ALL_LEAD_TYPES).nullable() }).nullable(),
  customData: z.record(z.string(), z.string()),
  /** Where the call was logged, per CRM connection (docs/crm-logging.md); empty when the tenant logs in no CRM. */
  logged: z.array(callLoggedSchema),
  pbx: z.object({ uniqueId: z.string().nullable(), message: z.string().nullable(), host: z.string().nullable() }).nullable(),
  outcome: outcomeSchema.extend({ hangupClass: z.enum(HANGUP_CLASSES).nullable() }),
  events: z.array(callEventSchema.extend({ detail: z.string().nullable() })),
  source: z.string(),
  idempotencyKey: z.string(),
  duplicate: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Call = z.infer<typeof callResourceSchema>;
export type CallResourceEvent = Call['events'][number];
