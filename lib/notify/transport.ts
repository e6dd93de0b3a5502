import type { CallEvent } from '../model/call';
import type { CrmName } from '../model/crm-connection';
import type { Tenant } from '../model/tenant';
import type { StoredCall } from '../store/calls';

/** An event of a call with its index in `call.events`: 0, 1, 2... per call, the order every transport delivers in. */
export type SequencedEvent = CallEvent & { sequence: number };

/**
 * What one delivery attempt came to, in the domain's words (a transport maps its protocol onto these: an HTTP
 * status, a CRM's error body). The engine (lib/notify/engine.ts) decides what happens next (lib/notify/retry.ts).
 */
export type DeliveryOutcome =
  /** The receiver has the event. `remoteId`: what the receiver created (a CRM's activity id), kept with the call. */
  (
    | { kind: 'delivered'; remoteId?: string }
    /** Try again later: after the backoff, and never sooner than `retryAfterMs` (a 429's or a 503's Retry-After). */
    | { kind: 'retry'; error: string; retryAfterMs?: number }
    /** The receiver refused our credentials (401/403 from a CRM): wait until they are fixed; never dead-lettered. */
    | { kind: 'held'; error: string }
    /** Permanent: trying again cannot help (the record is gone, the payload is refused as invalid). Dead-lettered now. */
    | { kind: 'dead'; error: string }
    /**
     * The target is gone for good (a subscription's endpoint answered `410 Gone`): the slot is finished, nothing is
     * dead-lettered, nothing more is sent to it for this call.
     */
    | { kind: 'gone'; error: string }
  ) & {
    /** What the receiver answered, where the transport measured it (a subscription's delivery log shows it). */
    answer?: ReceiverAnswer;
  };

/** The receiver's HTTP status (null when none came: a timeout, a refused connection) and how long the attempt took. */
export interface ReceiverAnswer {
  responseCode: number | null;
  latencyMs: number;
}

/** An attempt that did not deliver: what the engine's retry policy decides on (lib/notify/retry.ts). */
export type FailedDelivery = Exclude<DeliveryOutcome, { kind: 'delivered' } | { kind: 'gone' }>;

/**
 * What the engine made of one attempt, once its outcome is stored: for a transport that keeps a log of its own
 * (`attempted`). `next`: delivered; tried again at `at` (a failure, or a hold); dead-lettered; or the target gone.
 */
export interface AttemptReport {
  call: StoredCall;
  event: SequencedEvent;
  /** As in the context of `deliver`: 1 on a first try of this event. */
  attempt: number;
  /** The engine's clock when the attempt started. */
  at: Date;
  outcome: DeliveryOutcome;
  next: { kind: 'delivered' } | { kind: 'retry' | 'held'; at: string } | { kind: 'dead' } | { kind: 'gone' };
}

/** What the engine knows when it asks a transport to deliver one event. */
export interface DeliveryContext<Target> {
  tenant: Tenant;
  /** Where this tenant's deliveries of this transport go (`targetOf`). */
  target: Target;
  /** The engine's clock, read just before this attempt. */
  now: Date;
  /**
   * 1 on a first try of this event, more after failures. Above 1 the previous attempt's outcome may be unknown (a
   * timeout after the receiver acted): an idempotent transport looks before it creates again.
   */
  attempt: number;
  /** The remote id a previous delivery of this call kept (`delivered.remoteId`), if any. */
  remoteId?: string;
}

/** A shared pace per remote connection: at most `perSecond` deliveries under `key`, across every worker. */
export interface PaceRule {
  key: string;
  perSecond: number;
}

/**
 * One way of telling the outside world about a call's state changes: the Standard Webhooks POST to the tenant's
 * callback URL today (lib/notify/transports/webhook.ts), CRM call logging next. A transport knows its protocol only;
 * the outbox, the order, the retries with backoff, the dead letters and the redrive are the engine's, the same for
 * every transport. Register one in lib/notify/transports/index.ts (docs/design.md, "Adding a transport").
 *
 * Methods, not function properties: a registry holds transports of different targets as `NotificationTransport`.
 */
export interface NotificationTransport<Target = unknown> {
  /** Stable: names the transport's progress marker on the call, its logs and its dead letters. */
  readonly name: string;
  /** Where the tenant's deliveries go; undefined: not set up for this tenant, its events are passed over unsent. */
  targetOf(tenant: Tenant): Target | undefined;
  /** Whether this transport delivers `event` to `target` at all (a CRM logs the call once, on a final state the tenant logs). */
  wants(event: SequencedEvent, call: StoredCall, target: Target): boolean;
  /** Delivers one event, within the transport's own timeout; answers an outcome, throws only on a bug. */
  deliver(call: StoredCall, event: SequencedEvent, context: DeliveryContext<Target>): Promise<DeliveryOutcome>;
  /** The host deliveries go to, for logs and dead letters (never a path, a token or a secret). */
  hostOf(target: Target): string | null;
  /** The pace this target shares with every other delivery to the same connection; undefined: unpaced. */
  paceOf?(target: Target): PaceRule | undefined;
  /** The doctor's read-only check of the target (a CRM's token, scopes, permissions); undefined: no check. */
  check?(target: Target, now: Date): Promise<ConnectionCheck>;
  /**
   * Told of each attempt after the engine stored its outcome (a subscription's delivery log, its failure run). Its
   * errors are logged, never the delivery's.
   */
  attempted?(report: AttemptReport, target: Target): Promise<void>;
  /**
   * Only for a transport whose receivers dedupe (a repeat is harmless, as a webhook's `webhook-id` makes it): a pass
   * waits this long for the transport's slot, then moves on and lets the attempt finish by itself (lib/notify/slow-runs.ts),
   * so that a hanging receiver holds up no other call. Undefined: the pass waits for it.
   */
  readonly detachAfterMs?: number;
}

/** A read-only look at a target, for the doctor: what works, or what is missing in the receiver's own words. */
export type ConnectionCheck = { ok: true; detail: string } | { ok: false; detail: string };

/** Takes a slot of a pace: 0 when a delivery may go now, else how many ms until one may. */
export interface Pacer {
  take(rule: PaceRule, now: Date): Promise<number>;
}

/** The tenant store's side of a held CRM connection: the flag the doctor, the console and `c2c crm show` read. */
export interface CrmConnectionFlags {
  /**
   * `at`: when the refused attempt started; `connectedAt`: the refused connection's (`target.connection.connectedAt`).
   * Only that connection is flagged: one made since (new credentials) is left alone.
   */
  hold(tenantId: string, crm: CrmName, reason: string, at: Date, connectedAt?: string): Promise<void>;
}
