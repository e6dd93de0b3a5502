import type { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { DeadLetter } from '../store/dead-letters';
import type { StoredCall } from '../store/calls';
import type { Tenant } from '../model/tenant';
import { systemClock, type Clock } from '../time/clock';
import type { CallKey, DeliverySlot, DeliveryState, OutboxStore } from './outbox';
import { backoffMs, nextStep, type RetrySettings } from './retry';
import { SlowRuns } from './slow-runs';
import type { AttemptReport, FailedDelivery, NotificationTransport, Pacer, SequencedEvent } from './transport';

/** Where notifications that ran out of retries go: the table's DLQ log (locally and in AWS, where a Pipe copies it to SQS). */
export interface DeadLetterSink {
  send(letter: DeadLetter): Promise<void>;
}

export interface NotifySettings extends Omit<RetrySettings, 'heldRecheckMs'> {
  /** Per request to a receiver (the transports' timeout). */
  timeoutMs: number;
  /** Calls delivered at once by `deliverDue` (each call's events stay in order). */
  concurrency: number;
  /** Calls taken from the outbox index per `deliverDue` run. */
  batchSize: number;
  /** A held delivery (credentials refused) is looked at again after this long; default 15 min. */
  heldRecheckMs?: number;
  /**
   * How long the recorded start of an attempt (`DeliverySlot.begin`) holds its slot: other deliverers leave the slot
   * alone meanwhile, and after it take the attempt as one of unknown outcome. Longer than any pass can run (the
   * notify functions' timeouts, 60 s); default 90 s.
   */
  attemptLeaseMs?: number;
}

const DEFAULT_HELD_RECHECK_MS = 15 * 60_000;
const DEFAULT_ATTEMPT_LEASE_MS = 90_000;

/** What the engine reports besides its logs; an interface so that tests need no CloudWatch. */
export interface DeliveryMetrics {
  /** A delivery was held: the receiver refused our credentials (a CRM connection to re-authorise). */
  held(transport: string): void;
}

export const DEFAULT_NOTIFY_SETTINGS: NotifySettings = {
  timeoutMs: 5_000,
  baseDelayMs: 5_000,
  maxDelayMs: 5 * 60_000,
  maxAgeMs: 24 * 3600_000,
  maxAttempts: 0,
  concurrency: 8,
  batchSize: 100,
  heldRecheckMs: DEFAULT_HELD_RECHECK_MS,
};

export interface EngineDeps {
  outbox: OutboxStore;
  /** Every transport delivers every call's events, each on its own slot of the outbox. */
  transports: readonly NotificationTransport[];
  /**
   * The tenant's own transports besides those (one per webhook subscription), read once per pass (per run of
   * `deliverMany`): each delivers on its own slot as the others do. Their names must differ from the static ones'.
   */
  transportsFor?: (tenant: Tenant) => Promise<readonly NotificationTransport[]>;
  getTenant: (tenantId: string) => Promise<Tenant | undefined>;
  sink: DeadLetterSink;
  settings: NotifySettings;
  logger: Pick<PowertoolsLogger, 'info' | 'warn' | 'error'>;
  now?: Clock;
  /** In [0, 1): the jitter of the backoff. */
  random?: () => number;
  /** Enforces the transports' `paceOf`; without one, nothing is paced. */
  pacer?: Pacer;
  metrics?: DeliveryMetrics;
}

/** What one pass over a call did. */
export type CallDeliveryResult =
  /** Every event is delivered (or there was nothing to deliver); the call left the outbox. */
  | 'delivered'
  /** The tenant has no target for the transport (no callback URL): the events were marked delivered, nothing sent. */
  | 'skipped'
  /** A delivery failed: the call waits in the outbox for its next attempt. */
  | 'retrying'
  /** The receiver refused our credentials: the call waits in the outbox until they are fixed. */
  | 'held'
  /** The retry budget ran out (or the failure was permanent): the call's notifications were dead-lettered. */
  | 'dead_lettered'
  /** The connection's pace is used up: left in the outbox, untouched, for the next run. */
  | 'paced'
  /** In backoff, or dead-lettered earlier: left alone. */
  | 'not_due'
  | 'missing'
  /** The pass failed (a store error): the call stays in the outbox, the next run tries again. */
  | 'error';

export interface DeliveryReport {
  calls: number;
  sent: number;
  results: Partial<Record<CallDeliveryResult, number>>;
}

type Pass = { result: CallDeliveryResult; sent: number; wrote?: boolean };

/** How a pass finds a tenant and its own transports: cached for a run of `deliverMany`. */
interface TenantLookup {
  getTenant: (tenantId: string) => Promise<Tenant | undefined>;
  transportsFor: (tenant: Tenant) => Promise<readonly NotificationTransport[]>;
}

/** Of several transports' passes over one call, the result that needs attention first. */
const PRECEDENCE: CallDeliveryResult[] = [
  'error',
  'dead_lettered',
  'retrying',
  'held',
  'paced',
  'not_due',
  'delivered',
  'skipped',
  'missing',
];

/**
 * The notification engine, the same for every transport: delivers each state change of a call (its `events`, the
 * outbox) through every registered transport, each on its own progress marker, in order, the marker advancing on
 * each delivery. The first failure stops that transport's run on the call and schedules the next attempt
 * (lib/notify/retry.ts: backoff with jitter, capped, or the receiver's Retry-After), so a receiver that is down
 * loses nothing: delivery resumes where it stopped. A run of failures older than `maxAgeMs` is dead-lettered and
 * waits for a redrive.
 *
 * At least once: a crash between a delivery and the write of the marker delivers that event again; transports
 * give receivers what to dedupe on (the webhook's `webhook-id`, a CRM's remote id).
 */
export class DeliveryEngine {
  protected readonly now: Clock;
  private readonly random: () => number;
  private readonly slow: SlowRuns;

  constructor(private readonly deps: EngineDeps) {
    this.now = deps.now ?? systemClock;
    this.random = deps.random ?? Math.random;
    this.slow = new SlowRuns(() => this.now().getTime());
  }

  /** One pass over the calls due in the outbox index: the scheduled retry, and the local stack's poller. */
  async deliverDue(): Promise<DeliveryReport> {
    const due = await this.deps.outbox.listDue(this.now().toISOString(), this.deps.settings.batchSize);
    return this.deliverMany(due);
  }

  /** Delivers several calls, `concurrency` at a time, one tenant read per tenant. */
  async deliverMany(calls: ReadonlyArray<CallKey>): Promise<DeliveryReport> {
    const report: DeliveryReport = { calls: 0, sent: 0, results: {} };
    const tenants = new Map<string, Promise<Tenant | undefined>>();
    const owned = new Map<string, Promise<readonly NotificationTransport[]>>();
    const lookup: TenantLookup = {
      getTenant: (tenantId) => {
        let tenant = tenants.get(tenantId);
        if (!tenant) tenants.set(tenantId, (tenant = this.deps.getTenant(tenantId)));
        return tenant;
      },
      transportsFor: (tenant) => {
        let transports = owned.get(tenant.tenantId);
        if (!transports) owned.set(tenant.tenantId, (transports = this.tenantTransports(tenant)));
        return transports;
      },
    };
    const queue = [...new Map(calls.map((c) => [`${c.tenantId}#${c.callId}`, c])).values()];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        // One call's trouble must not hold up the others' notifications.
        const { result, sent } = await this.deliverCallWith(next, lookup, true).catch((error: unknown) => {
          this.deps.logger.error('Notification pass failed', { tenantId: next?.tenantId, callId: next?.callId, error: error as Error });
          return { result: 'error' as const, sent: 0 };
        });
        report.calls++;
        report.sent += sent;
        report.results[result] = (report.results[result] ?? 0) + 1;
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.deps.settings.concurrency) }, worker));
    return report;
  }

  /** Delivers what is undelivered of one call, unless it is in backoff or dead-lettered. */
  async deliverCall(tenantId: string, callId: string): Promise<CallDeliveryResult> {
    const lookup: TenantLookup = { getTenant: this.deps.getTenant, transportsFor: (tenant) => this.tenantTransports(tenant) };
    return (await this.deliverCallWith({ tenantId, callId }, lookup, false)).result;
  }

  /** Resolves once every slot run that a pass stopped waiting for has ended (lib/notify/slow-runs.ts). */
  idle(): Promise<void> {
    return this.slow.idle();
  }

  private async tenantTransports(tenant: Tenant): Promise<readonly NotificationTransport[]> {
    if (!this.deps.transportsFor) return [];
    const names = new Set(this.deps.transports.map((t) => t.name));
    // A name taken by a static transport would share its slot: left out, loudly.
    return (await this.deps.transportsFor(tenant)).filter((t) => {
      if (!names.has(t.name)) return true;
      this.deps.logger.error('A tenant transport has the name of a registered one: left out', {
        tenantId: tenant.tenantId,
        transport: t.name,
      });
      return false;
    });
  }

  /** Exponential, capped, with jitter (lib/notify/retry.ts). */
  backoffMs(attempts: number): number {
    return backoffMs(attempts, this.deps.settings, this.random);
  }

  /**
   * @param fromIndex the call was found in the outbox index: when it has nothing left, take it out. Otherwise (a
   *   stream record, which the deliverer's own writes also produce) a call with nothing left costs one read, no write.
   */
  private async deliverCallWith(key: CallKey, lookup: TenantLookup, fromIndex: boolean): Promise<Pass> {
    const call = await this.deps.outbox.get(key.tenantId, key.callId);
    if (!call) return { result: 'missing', sent: 0 };
    const { outbox } = this.deps;
    const states = this.deps.transports.map((t) => outbox.slot(t.name, []).stateOf(call));
    if (!fromIndex && !hasWork(states, call.events.length)) {
      const given = states.some((s) => s.next < call.events.length && s.retry?.deadLetteredAt);
      return { result: given ? 'not_due' : 'delivered', sent: 0 };
    }
    const tenant = await lookup.getTenant(key.tenantId);
    const transports = [...this.deps.transports, ...(tenant ? await lookup.transportsFor(tenant) : [])];
    const targets = transports.map((t) => (tenant ? t.targetOf(tenant) : undefined));
    // The transports with somewhere to deliver: the index waits for their slots only.
    const live = transports.filter((_, i) => targets[i] !== undefined).map((t) => t.name);
    // Each transport on its own marker, side by side: one slow receiver never holds up another.
    const passes = await Promise.all(transports.map((t, i) => this.runSlot(t, key, call, tenant, targets[i], live, fromIndex)));
    if (fromIndex || passes.some((p) => 'error' in p || p.wrote)) await outbox.settle(key, live, this.now(), this.leaseMs());
    const failed = passes.find((p): p is { error: Error } => 'error' in p);
    if (failed) throw failed.error;
    const done = passes as Pass[];
    const result = PRECEDENCE.find((r) => done.some((p) => p.result === r)) ?? 'delivered';
    return { result, sent: done.reduce((sum, p) => sum + p.sent, 0) };
  }

  private leaseMs(): number {
    return this.deps.settings.attemptLeaseMs ?? DEFAULT_ATTEMPT_LEASE_MS;
  }

  /**
   * One transport's pass over the call. A transport that allows it (`detachAfterMs`) is waited for that long only:
   * then its run goes on by itself and settles the call when it ends, and this pass moves on (lib/notify/slow-runs.ts).
   */
  private async runSlot(
    transport: NotificationTransport,
    key: CallKey,
    call: StoredCall,
    tenant: Tenant | undefined,
    target: unknown,
    live: readonly string[],
    fromIndex: boolean,
  ): Promise<Pass | { error: Error }> {
    const waitMs = transport.detachAfterMs;
    const keys = { run: `${key.tenantId}#${key.callId}#${transport.name}`, target: `${key.tenantId}#${transport.name}` };
    if (waitMs !== undefined && this.slow.isRunning(keys.run)) return { result: 'not_due', sent: 0 };
    const gated = waitMs === undefined ? undefined : () => this.slow.isFull(keys.target);
    const run = this.deliverThrough(transport, key, call, tenant, target, live, fromIndex, gated).catch((error: unknown) => ({
      error: error as Error,
    }));
    if (waitMs === undefined) return run;
    const first = await this.slow.wait(run, waitMs, keys, async (pass) => {
      if ('error' in pass) this.deps.logger.error('Notification pass failed', { ...key, transport: transport.name, error: pass.error });
      await this.deps.outbox.settle(key, live, this.now(), this.leaseMs()).catch((error: unknown) => {
        this.deps.logger.error('Notification pass failed', { ...key, transport: transport.name, error: error as Error });
      });
    });
    // Going on by itself: it may have written already, so the call is filed after this pass too.
    return first === 'detached' ? { result: 'not_due', sent: 0, wrote: true } : first.done;
  }

  private async deliverThrough(
    transport: NotificationTransport,
    key: CallKey,
    first: StoredCall,
    tenant: Tenant | undefined,
    target: unknown,
    live: readonly string[],
    fromIndex: boolean,
    gated?: () => boolean,
  ): Promise<Pass> {
    const slot = this.deps.outbox.slot(transport.name, live);
    let sent = 0;
    let wrote = false;
    let call = first;
    let state = slot.stateOf(call);
    if (state.retry?.deadLetteredAt) return { result: 'not_due', sent };
    if (!fromIndex && state.next >= call.events.length) return { result: 'delivered', sent };
    if (state.retry && state.retry.nextAttemptAt > this.now().toISOString()) return { result: 'not_due', sent };
    // No target: a slot of its own waits, unwritten, for a target; the webhook's marker alone is passed over to the end.
    if (target === undefined && !slot.keepsIndex) return { result: 'skipped', sent };

    // Each pass either advances the marker, or re-reads after losing a race to a concurrent writer.
    for (let pass = 0; pass < call.events.length + 10; pass++) {
      const from = state;
      const wanted = target === undefined ? -1 : nextWanted(transport, call, from.next, target);
      if (wanted < 0) {
        // No target, or nothing (more) this transport wants, or still indexed after the last delivery (a crash after
        // it, or an index set by a write that lost a race): mark the rest done and leave the outbox.
        if (await slot.finish(key, from, call.events.length))
          return { result: target === undefined ? 'skipped' : 'delivered', sent, wrote: true };
      } else {
        const now = this.now();
        const staleBefore = new Date(now.getTime() - this.leaseMs()).toISOString();
        // Another deliverer's attempt is under way: it settles this slot.
        if (from.startedAt && from.startedAt > staleBefore) return { result: 'not_due', sent, wrote };
        const pace = transport.paceOf?.(target);
        if (pace && this.deps.pacer && (await this.deps.pacer.take(pace, now)) > 0) return { result: 'paced', sent, wrote };
        // The receiver has all the slow runs it may: left untouched for a later pass.
        if (gated?.()) return { result: 'paced', sent, wrote };
        const begun = await slot.begin(key, from, now.toISOString(), staleBefore);
        if (begun) {
          wrote ||= begun !== from;
          const event: SequencedEvent = { ...call.events[wanted]!, sequence: wanted };
          // A start found without an outcome: the receiver may have acted on it.
          const attempt = Math.max((from.retry?.attempts ?? 0) + 1, from.startedAt ? 2 : 1);
          const outcome = await transport.deliver(call, event, {
            tenant: tenant!,
            target,
            now,
            attempt,
            ...(from.remoteId !== undefined ? { remoteId: from.remoteId } : {}),
          });
          const report = (next: AttemptReport['next']) =>
            this.reportAttempt(transport, target, { call, event, attempt, at: now, outcome, next });
          if (outcome.kind === 'gone') {
            // Nothing more goes to this target for the call: the slot is finished, nothing dead-lettered.
            await slot.finish(key, begun, call.events.length);
            await report({ kind: 'gone' });
            return { result: 'skipped', sent, wrote: true };
          }
          if (outcome.kind !== 'delivered') {
            const failed = await this.recordFailure(transport, slot, key, call, begun, outcome, target);
            await report(failed.next);
            return { result: failed.result, sent, wrote: true };
          }
          // Told while the marker moves: a log of the transport's own need not hold up the next event.
          const reported = report({ kind: 'delivered' });
          sent++;
          const to = wanted + 1;
          const last = to === call.events.length;
          const advanced = await slot.advance(key, begun, to, last, outcome.remoteId);
          await reported;
          if (advanced) {
            if (last) return { result: 'delivered', sent, wrote: true };
            const remoteId = outcome.remoteId ?? from.remoteId;
            state = { next: to, ...(remoteId !== undefined ? { remoteId } : {}) };
            wrote = true;
            continue;
          }
          // The last one we knew of, but an event came meanwhile: keep the call indexed, still count this one.
          if (last && (await slot.advance(key, begun, to, false, outcome.remoteId))) wrote = true;
        }
      }
      // A condition failed: another deliverer moved on, or a new event arrived. Start again from the item.
      const fresh = await this.deps.outbox.get(key.tenantId, key.callId);
      if (!fresh) return { result: 'missing', sent, wrote };
      call = fresh;
      state = slot.stateOf(call);
      if (state.retry?.deadLetteredAt) return { result: 'not_due', sent, wrote };
    }
    this.deps.logger.warn('Notification pass gave up after repeated races', { ...key, transport: transport.name });
    return { result: 'retrying', sent, wrote };
  }

  /** Stores what a failed attempt leads to: the next attempt, a hold, or a dead letter. */
  private async recordFailure(
    transport: NotificationTransport,
    slot: DeliverySlot,
    key: CallKey,
    call: StoredCall,
    state: DeliveryState,
    outcome: FailedDelivery,
    target: unknown,
  ): Promise<{ result: CallDeliveryResult; next: AttemptReport['next'] }> {
    const settings = { ...this.deps.settings, heldRecheckMs: this.deps.settings.heldRecheckMs ?? DEFAULT_HELD_RECHECK_MS };
    const step = nextStep(outcome, state.retry, this.now(), settings, this.random);
    const { attempts, since, lastError, nextAttemptAt } = step.retry;
    const log = { ...key, transport: transport.name, attempts, lastError, callbackHost: transport.hostOf(target) };
    if (step.kind === 'dead') {
      const { deadLetteredAt } = step.retry;
      // The letter first: a crash between the two leaves a duplicate letter, never a silent loss.
      await this.deps.sink.send({
        ...key,
        transport: transport.name,
        fromEvent: state.next,
        eventCount: call.events.length,
        attempts,
        since,
        lastError,
        deadLetteredAt,
        callbackHost: log.callbackHost,
      });
      await slot.giveUp(key, state, step.retry);
      this.deps.logger.error('Notifications dead-lettered', { ...log, since });
      return { result: 'dead_lettered', next: { kind: 'dead' } };
    }
    await slot.retryLater(key, state, step.retry);
    if (step.kind === 'held') {
      this.deps.metrics?.held(transport.name);
      this.deps.logger.warn('Notifications held: the receiver refused our credentials', { ...log, nextAttemptAt });
      return { result: 'held', next: { kind: 'held', at: nextAttemptAt } };
    }
    this.deps.logger.warn('Notification failed; will retry', { ...log, nextAttemptAt });
    return { result: 'retrying', next: { kind: 'retry', at: nextAttemptAt } };
  }

  /** Tells the transport what became of an attempt (`attempted`); its failure is logged, never the delivery's. */
  private async reportAttempt(transport: NotificationTransport, target: unknown, report: AttemptReport): Promise<void> {
    if (!transport.attempted) return;
    try {
      await transport.attempted(report, target);
    } catch (error) {
      this.deps.logger.error('Recording a delivery attempt failed', {
        tenantId: report.call.tenantId,
        callId: report.call.callId,
        transport: transport.name,
        error: error as Error,
      });
    }
  }
}

/**
 * Whether a pass has anything to do for the slots as read: one behind and not given up. A slot not yet written counts
 * only when no slot is (a registry without the webhook): otherwise every new event leaves the webhook's marker behind,
 * and that pass, reading the tenant, gives every transport its turn.
 */
function hasWork(states: readonly DeliveryState[], eventCount: number): boolean {
  const anyKept = states.some((s) => !s.fresh);
  return states.some((s) => s.next < eventCount && !s.retry?.deadLetteredAt && (!s.fresh || !anyKept));
}

/** The first event at or after `from` that the transport delivers; -1 when there is none. */
function nextWanted(transport: NotificationTransport, call: StoredCall, from: number, target: unknown): number {
  for (let i = from; i < call.events.length; i++) if (transport.wants({ ...call.events[i]!, sequence: i }, call, target)) return i;
  return -1;
}
