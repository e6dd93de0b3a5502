import * as z from 'zod';
import { crmUserIdSchema, teamNameSchema } from './agent';
import { CALL_STATES } from './call-states';
import { noControlCharacters } from './control-characters';
import { integer } from './integer';

/**
 * Webhook subscriptions (docs/api.md, "Subscriptions"): several endpoints per tenant, each with its events, its filter
 * and its own Standard Webhooks signing secret, as Stripe's and Svix's webhook endpoints.
 */

/** Subscriptions one tenant may have (docs/api.md, `subscription_limit`). */
export const MAX_SUBSCRIPTIONS = 20;
/** How long the secret a rotation replaces still signs, beside the new one. */
export const SECRET_OVERLAP_MS = 24 * 3600 * 1000;
/** How long an attempt stays in a subscription's delivery log (the item's TTL). */
export const SUBSCRIPTION_LOG_RETENTION_SEC = 7 * 86_400;

/** The event names a subscription may ask for: `call.<state>` of every call state, or `*` alone for all of them. */
export const SUBSCRIPTION_EVENTS = CALL_STATES.map((state) => `call.${state}` as const);
export type SubscriptionEvent = (typeof SUBSCRIPTION_EVENTS)[number];
/** The event name that stands for every event. */
export const EVERY_EVENT = '*';

export const subscriptionIdSchema = z.string().regex(/^sub_[A-Za-z0-9_-]{8,16}$/, 'sub_ followed by 8-16 letters, digits, _ or -');

const filterTextSchema = (max: number) => z.string().check(noControlCharacters).min(1).max(max);

/** Which calls' events a subscription receives, besides their names: every member given must match (and). */
export const subscriptionFilterSchema = z.strictObject({
  /** The call's agent, by crmUserId (a team call once its agent is chosen). */
  agent: crmUserIdSchema.optional(),
  /** The team the call request named. */
  team: teamNameSchema.optional(),
  /** Where the call came from: `api`, or a webhook source (`hubspot`, `standard`...). */
  source: filterTextSchema(40).optional(),
  /** The states of the event (with `events`, both must hold). */
  states: z.array(z.enum(CALL_STATES)).min(1).optional(),
});
export type SubscriptionFilter = z.infer<typeof subscriptionFilterSchema>;

export const SUBSCRIPTION_STATUSES = ['enabled', 'disabled'] as const;
export const SUBSCRIPTION_ORIGINS = ['api', 'cli', 'callback'] as const;

/** A signing secret as the subscription keeps it: no value here (sealed in the store, opened only to sign). */
export const subscriptionSecretInfoSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  createdAt: z.string(),
  /** Set by a rotation: until then it still signs, beside the newer one. */
  expiresAt: z.string().nullable(),
});

/** A subscription as the store answers it (its secrets' ids and dates only). */
export const subscriptionSchema = z.object({
  tenantId: z.string(),
  id: subscriptionIdSchema,
  url: z.string(),
  events: z.array(z.string()).min(1),
  filter: subscriptionFilterSchema.nullable(),
  description: z.string().nullable(),
  status: z.enum(SUBSCRIPTION_STATUSES),
  disabledReason: z.string().nullable(),
  /** When the endpoint began failing without a success since (set by the delivery side); null while it delivers. */
  failingSince: z.string().nullable(),
  /**
   * When a disabled subscription was enabled again (absent: never disabled, `createdAt` stands): deliveries resume
   * with the events from then on; what happened while it was disabled is not sent (lib/subscriptions/delivery.ts).
   */
  enabledAt: z.string().nullable().optional(),
  /** How it was made: over the API, by the CLI, or migrated from the tenant's callback URL. */
  origin: z.enum(SUBSCRIPTION_ORIGINS),
  secrets: z.array(subscriptionSecretInfoSchema).min(1),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Subscription = z.infer<typeof subscriptionSchema>;

/** A signing secret with its value: only to sign a delivery, or shown once when made. */
export interface OpenedSubscriptionSecret {
  id: string;
  secret: string;
  createdAt: string;
  expiresAt: string | null;
}

/** A subscription with its secrets that still sign, opened: what a delivery signs with. */
export type SubscriptionWithSecrets = Omit<Subscription, 'secrets'> & { secrets: OpenedSubscriptionSecret[] };

/** The resource of docs/api.md ("Subscriptions"): no secret, no tenant. Its schema, which only the API's document reads, is in lib/openapi/subscription-routes.ts. */
export interface SubscriptionResource {
  id: string;
  url: string;
  events: string[];
  filter: SubscriptionFilter | null;
  description: string | null;
  status: (typeof SUBSCRIPTION_STATUSES)[number];
  disabledReason: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Whether a secret still signs at `now`. */
export const isLiveSecret = (secret: { expiresAt: string | null }, now: Date): boolean =>
  secret.expiresAt === null || Date.parse(secret.expiresAt) > now.getTime();

export function subscriptionResource(subscription: Subscription | SubscriptionWithSecrets): SubscriptionResource {
  const { id, url, events, filter, description, status, disabledReason, createdAt, updatedAt } = subscription;
  return { id, url, events, filter, description, status, disabledReason, createdAt, updatedAt };
}

export const DELIVERY_ATTEMPT_STATUSES = ['delivered', 'failed', 'pending', 'dead'] as const;

/** One attempt of a subscription's delivery log (GET /v1/subscriptions/{id}/deliveries): what, how it went, what next. */
export const deliveryAttemptSchema = z.object({
  id: z.string(),
  /** `call.<state>`, `ping` (a test), or `subscription.disabled`. */
  event: z.string(),
  callId: z.string().nullable(),
  /** 1 for a first try of this event, more for retries. */
  attempt: integer({ min: 1 }),
  status: z.enum(DELIVERY_ATTEMPT_STATUSES),
  /** The endpoint's HTTP status; null when none came back (timeout, refused connection, refused address). */
  responseCode: integer().nullable(),
  latencyMs: integer({ min: 0 }).nullable(),
  /** Why it failed, in a few words (`HTTP 500`, `no answer within 5000 ms`); never a body or a secret. */
  error: z.string().nullable(),
  attemptedAt: z.string(),
  nextAttemptAt: z.string().nullable(),
});
export type DeliveryAttempt = z.infer<typeof deliveryAttemptSchema>;

/** What the delivery side records of an attempt: the log gives it its id, and the time when none is given. */
export type DeliveryAttemptInput = Omit<DeliveryAttempt, 'id' | 'attemptedAt' | 'error'> & { attemptedAt?: string; error?: string | null };
