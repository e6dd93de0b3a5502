import * as z from 'zod';
import { noControlCharacters } from './control-characters';
import { EVERY_EVENT, SUBSCRIPTION_EVENTS, subscriptionFilterSchema } from './subscription';
import { isCallbackUrl } from './tenant';
import { coercedInteger } from './integer';

// What callers send to the subscription routes (docs/api.md, "Subscriptions"), apart from the stored shapes of
// ./subscription.ts: the functions that deliver events read subscriptions and do not build these at cold start.

const urlSchema = z
  .string()
  .max(2048, 'at most 2048 characters')
  .pipe(z.url('a URL'))
  .refine(isCallbackUrl, 'https only (http is accepted for localhost)')
  .refine((value) => {
    const url = new URL(value);
    return url.username === '' && url.password === '';
  }, 'no credentials in the URL (they would be stored and shown in clear)');

const eventSchema = z.string().refine((name) => name === EVERY_EVENT || (SUBSCRIPTION_EVENTS as readonly string[]).includes(name), {
  message: `unknown event: "*" or call.<state> (${SUBSCRIPTION_EVENTS.join(', ')})`,
});

const eventsSchema = z
  .array(eventSchema)
  .min(1, 'at least one event, or ["*"] for every event')
  .max(SUBSCRIPTION_EVENTS.length)
  .refine((events) => !events.includes(EVERY_EVENT) || events.length === 1, '"*" stands alone: it means every event')
  .refine((events) => new Set(events).size === events.length, 'each event once');

const descriptionSchema = z.string().check(noControlCharacters).max(200, 'at most 200 characters');

/** The body of POST /v1/subscriptions. */
export const subscriptionInputSchema = z.strictObject({
  url: urlSchema,
  events: eventsSchema,
  filter: subscriptionFilterSchema.nullable().optional(),
  description: descriptionSchema.nullable().optional(),
});
export type SubscriptionInput = z.infer<typeof subscriptionInputSchema>;

/** The body of PATCH /v1/subscriptions/{id}: members sent replace the current ones; `null` removes a filter or description. */
export const subscriptionPatchSchema = z.strictObject({
  url: urlSchema.optional(),
  events: eventsSchema.optional(),
  filter: subscriptionFilterSchema.nullable().optional(),
  description: descriptionSchema.nullable().optional(),
  /** `enabled` re-enables a subscription disabled for failing (and clears its failure run); `disabled` pauses it. */
  status: z.enum(['enabled', 'disabled']).optional(),
});
export type SubscriptionPatch = z.infer<typeof subscriptionPatchSchema>;

/** The query of GET /v1/subscriptions/{id}/deliveries. */
export const deliveriesQuerySchema = z.strictObject({
  limit: coercedInteger({ min: 1, max: 100 }).default(20),
});
