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
  | { kind: 'delivered'; remoteId?: string }
  /** Try again later: after the backoff, and never sooner than `retryAfterMs` (a 429's or a 503's Retry-After). */
  | { kind: 'retry'; error: string; retryAfterMs?: number }
  /** The receiver refused our credentials (401/403 from a CRM): wait until they are fixed; never dead-lettered. */
  | { kind: 'held'; error: string }
  /** Permanent: trying again cannot help (the record is gone, the payload is refused as invalid). Dead-lettered now. */
  | { kind: 'dead'; error: string };

/** An attempt that did not deliver: what the engine's retry policy decides on (lib/notify/retry.ts). */
export type FailedDelivery = Exclude<DeliveryOutcome, { kind: 'delivered' }>;

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
