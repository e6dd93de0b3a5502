import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subscriptionTransports } from '../../lib/compose/notifier';
import { runDoctor } from '../../lib/doctor/run';
import type { SubscriptionInput } from '../../lib/model/subscription-input';
import { DEFAULT_NOTIFY_SETTINGS, NotificationDeliverer, type CallNotification } from '../../lib/notify/deliver';
import { newCallbackSecret } from '../../lib/notify/secrets';
import { registeredTransports } from '../../lib/notify/transports';
import { CallRepository } from '../../lib/store/calls';
import { DeadLetterRepository } from '../../lib/store/dead-letters';
import { SubscriptionDeliveryRepository } from '../../lib/store/subscription-deliveries';
import { SubscriptionRepository } from '../../lib/store/subscriptions';
import { FAILING_LIMIT_MS, SUBSCRIPTION_DETACH_AFTER_MS, subscriptionSlotName } from '../../lib/subscriptions/delivery';
import { CallbackMigration } from '../../lib/subscriptions/migrate';
import { newSubscriptionId, newSubscriptionSecret, Subscriptions } from '../../lib/subscriptions/subscriptions';
import { startWebhookReceiver, type WebhookReceiver } from '../../local/webhook-receiver';
import { MAX_SLOW_RUNS_PER_TARGET } from '../../lib/notify/slow-runs';
import { present } from '../support/api-body';
import { startHangingEndpoint } from '../support/hanging-endpoint';
import { bearer, invoke, seedTenant, startTestEnv, testSealer, useEnvForHandlers, type TestEnv } from '../support/env';

/**
 * Delivery to webhook subscriptions through the real engine, on dynalite, to real HTTP receivers that verify the
 * Standard Webhooks signature with the one secret they were given (local/webhook-receiver.ts).
 */

let env: TestEnv;
let create: typeof import('../../functions/calls-create').handler;
let calls: CallRepository;
let subscriptions: SubscriptionRepository;
let log: SubscriptionDeliveryRepository;
let deadLetters: DeadLetterRepository;
const receivers: WebhookReceiver[] = [];
const OUTBOUND = { allowPrivate: true };
const TIMEOUT_MS = 2_000;

/**
 * A pass waits this long on an endpoint before its attempt goes on by itself (production: SUBSCRIPTION_DETACH_AFTER_MS,
 * 250 ms). The tests that read a pass's result wait for the whole attempt (up to the request timeout): on a loaded
 * machine a local receiver can take longer than 250 ms, and the pass would answer `not_due` for an attempt still under
 * way. The hanging endpoint's test uses the production value, since detaching is what it checks.
 */
const WAIT_WHOLE_ATTEMPT_MS = TIMEOUT_MS + 1_000;

function deliverer(maxAgeMs = DEFAULT_NOTIFY_SETTINGS.maxAgeMs, detachAfterMs = WAIT_WHOLE_ATTEMPT_MS) {
  return new NotificationDeliverer({
    calls,
    transports: registeredTransports({ timeoutMs: TIMEOUT_MS, outbound: OUTBOUND }),
    transportsFor: subscriptionTransports({
      table: env.table,
      sealer: testSealer(),
      timeoutMs: TIMEOUT_MS,
      outbound: OUTBOUND,
      logger: { warn: () => undefined },
      detachAfterMs,
    }),
    getTenant: (tenantId) => env.tenants.get(tenantId),
    sink: deadLetters,
    settings: { ...DEFAULT_NOTIFY_SETTINGS, timeoutMs: TIMEOUT_MS, baseDelayMs: 10, maxDelayMs: 10, maxAgeMs },
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    random: () => 0.5,
  });
}

/** A receiver that verifies with one fresh secret, and a subscription of `tenantId` to it signed with that secret. */
async function subscribe(tenantId: string, input: Omit<SubscriptionInput, 'url'>, path = '/hook') {
  const secret = newSubscriptionSecret(new Date());
  const receiver = await startWebhookReceiver({ secrets: [secret.secret], onError: () => undefined });
  receivers.push(receiver);
  const subscription = await subscriptions.create(
    tenantId,
    {
      id: newSubscriptionId(),
      url: `${receiver.url}${path}`,
      events: input.events,
      filter: input.filter ?? null,
      description: null,
      origin: 'api',
    },
    [secret],
  );
  return { subscription, receiver, secret: secret.secret };
}

const keys = new Map<string, string>();
const SALES = ['u-1', 'u-2', 'u-3', 'u-4'];

beforeAll(async () => {
  env = await startTestEnv();
  env.sim.setExtensions(['1000', '1001', '1002', '1003', '1100']);
  useEnvForHandlers(env);
  ({ handler: create } = await import('../../functions/calls-create'));
  calls = new CallRepository(env.table);
  subscriptions = new SubscriptionRepository(env.table, testSealer());
  log = new SubscriptionDeliveryRepository(env.table);
  deadLetters = new DeadLetterRepository(env.table);
  for (const tenantId of ['sd-filter', 'sd-log', 'sd-gone', 'sd-disable', 'sd-rotate', 'sd-late', 'sd-dead', 'sd-hang']) {
    const agents = SALES.map((crmUserId, i) => ({ crmUserId, extension: `${1000 + i}` }));
    keys.set(tenantId, (await seedTenant(env, { tenantId }, { agents: [...agents, { crmUserId: 'u-solo', extension: '1100' }] })).key);
    for (const [i, crmUserId] of SALES.entries()) await env.agents.put(tenantId, crmUserId, { extension: `${1000 + i}`, teams: ['sales'] });
  }
});

afterAll(async () => {
  for (const receiver of receivers) await receiver.close();
  await env?.stop();
});

let seq = 0;
async function placeCall(tenantId: string, body: Record<string, unknown> = { agent: { crmUserId: 'u-solo' } }): Promise<string> {
  const res = await invoke(create, {
    method: 'POST',
    route: '/v1/calls',
    headers: { ...bearer(keys.get(tenantId)!), 'idempotency-key': `subs-delivery-${Date.now()}-${++seq}` },
    body: { to: '+44 7766 889900', ...body },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return present(res.body.callId, 'callId');
}

async function complete(tenantId: string, callId: string) {
  const at = new Date().toISOString();
  await calls.transition(tenantId, callId, { from: ['dialing'], to: 'answered', outcome: { answeredAt: at } });
  await calls.transition(tenantId, callId, { from: ['answered'], to: 'completed', outcome: { billSec: 30, hangupClass: 'answered' } });
}

const of = (receiver: WebhookReceiver, callId: string) => receiver.notifications().filter((n) => n.data.call.callId === callId);
const sequences = (notifications: CallNotification[]) => notifications.map((n) => n.data.event.sequence);
const eventCount = async (tenantId: string, callId: string) => (await calls.get(tenantId, callId))!.events.length;
const isDue = async (callId: string) =>
  (await calls.listNotifyDue(new Date(Date.now() + 365 * 86_400_000).toISOString(), 1000)).some((c) => c.callId === callId);

describe('delivery to webhook subscriptions', () => {
  it('a subscription to call.completed for team sales gets exactly those, signed with its own secret; one to * gets everything', async () => {
    const every = await subscribe('sd-filter', { events: ['*'] });
    const sales = await subscribe('sd-filter', { events: ['call.completed'], filter: { team: 'sales' } });
    const teamCalls = [await placeCall('sd-filter', { team: 'sales' }), await placeCall('sd-filter', { team: 'sales' })];
    const solo = await placeCall('sd-filter');
    for (const callId of [...teamCalls, solo]) await complete('sd-filter', callId);
    const d = deliverer();
    for (const callId of [...teamCalls, solo]) expect(await d.deliverCall('sd-filter', callId)).toBe('delivered');

    for (const callId of [...teamCalls, solo]) {
      const count = await eventCount('sd-filter', callId);
      expect(sequences(of(every.receiver, callId))).toEqual(Array.from({ length: count }, (_, i) => i));
    }
    expect(sales.receiver.notifications().map((n) => [n.data.call.callId, n.type])).toEqual(
      teamCalls.map((callId) => [callId, 'call.completed']),
    );
    // Verified by each receiver with its own secret alone, one signature each, the callback's webhook-id.
    for (const { receiver } of [every, sales]) {
      const received = receiver.deliveries();
      expect(received.every((r) => r.verified && r.status === 204)).toBe(true);
      for (const r of received) {
        const body = JSON.parse(r.body) as CallNotification;
        expect(r.webhookId).toBe(`${body.data.call.callId}.${body.data.event.sequence}`);
      }
    }
    expect(sales.receiver.deliveries()).toHaveLength(2);
    // Each subscription has its own slot on the call item; the call left the outbox.
    const stored = await calls.get('sd-filter', teamCalls[0]!);
    expect(Object.keys(stored?.deliveries ?? {}).sort()).toEqual(
      [subscriptionSlotName(every.subscription.id), subscriptionSlotName(sales.subscription.id)].sort(),
    );
    expect(await isDue(teamCalls[0]!)).toBe(false);
  });

  it('records every attempt in the delivery log; a failure starts the failure run and schedules a retry, a success ends it', async () => {
    const { subscription, receiver } = await subscribe('sd-log', { events: ['call.completed'] });
    receiver.setDown(true, 503);
    const callId = await placeCall('sd-log');
    await complete('sd-log', callId);
    const d = deliverer();
    expect(await d.deliverCall('sd-log', callId)).toBe('retrying');
    const slot = (await calls.get('sd-log', callId))?.deliveries?.[subscriptionSlotName(subscription.id)];
    const [failed] = await log.list('sd-log', subscription.id);
    expect(failed).toMatchObject({
      event: 'call.completed',
      callId,
      attempt: 1,
      status: 'failed',
      responseCode: 503,
      error: 'HTTP 503',
      nextAttemptAt: present(slot?.retry?.nextAttemptAt, 'the retry'),
    });
    expect(failed?.latencyMs).toEqual(expect.any(Number));
    const failing = (await subscriptions.get('sd-log', subscription.id))?.failingSince;
    expect(failing).toBe(failed?.attemptedAt);
    expect(await isDue(callId)).toBe(true);

    receiver.setDown(false);
    await new Promise((r) => setTimeout(r, 20));
    await d.deliverDue();
    const [delivered] = await log.list('sd-log', subscription.id);
    expect(delivered).toMatchObject({ attempt: 2, status: 'delivered', responseCode: 204, error: null, nextAttemptAt: null });
    expect((await subscriptions.get('sd-log', subscription.id))?.failingSince).toBeNull();
    expect(of(receiver, callId).map((n) => n.type)).toEqual(['call.completed']);
    expect(await isDue(callId)).toBe(false);
  });

  it('a subscription whose secret does not open fails alone: the others deliver', async () => {
    const broken = await subscribe('sd-log', { events: ['call.completed'] });
    const fine = await subscribe('sd-log', { events: ['call.completed'] });
    // A sealed value moved from another subscription: bound to that one, it does not open here.
    const item = await env.table.doc.send(
      new GetCommand({ TableName: env.table.name, Key: { pk: 'TENANT#sd-log', sk: `SUB#${fine.subscription.id}` } }),
    );
    await env.table.doc.send(
      new UpdateCommand({
        TableName: env.table.name,
        Key: { pk: 'TENANT#sd-log', sk: `SUB#${broken.subscription.id}` },
        UpdateExpression: 'SET secrets = :secrets',
        ExpressionAttributeValues: { ':secrets': item.Item?.secrets as unknown },
      }),
    );
    const callId = await placeCall('sd-log');
    await complete('sd-log', callId);
    expect(await deliverer().deliverCall('sd-log', callId)).toBe('retrying');
    expect(of(fine.receiver, callId).map((n) => n.type)).toEqual(['call.completed']);
    expect(broken.receiver.deliveries()).toEqual([]);
    expect((await log.list('sd-log', broken.subscription.id))[0]).toMatchObject({
      status: 'failed',
      responseCode: null,
      error: 'the signing secret could not be opened',
    });
    await subscriptions.delete('sd-log', broken.subscription.id);
  });

  it('a 410 Gone deletes the subscription and ends its slot: no dead letter, no attempt after it', async () => {
    const gone = await subscribe('sd-gone', { events: ['*'] });
    const other = await subscribe('sd-gone', { events: ['*'] });
    gone.receiver.setDown(true, 410);
    const callId = await placeCall('sd-gone');
    await complete('sd-gone', callId);
    expect(await deliverer().deliverCall('sd-gone', callId)).toBe('delivered');
    expect(await subscriptions.get('sd-gone', gone.subscription.id)).toBeUndefined();
    const count = await eventCount('sd-gone', callId);
    expect((await calls.get('sd-gone', callId))?.deliveries?.[subscriptionSlotName(gone.subscription.id)]).toEqual({ next: count });
    expect((await deadLetters.list(100, 'sd-gone')).filter((l) => l.callId === callId)).toEqual([]);
    expect(gone.receiver.deliveries()).toHaveLength(1);
    expect(sequences(of(other.receiver, callId))).toHaveLength(count);

    const next = await placeCall('sd-gone');
    await complete('sd-gone', next);
    expect(await deliverer().deliverCall('sd-gone', next)).toBe('delivered');
    expect(gone.receiver.deliveries()).toHaveLength(1);
    expect(await isDue(next)).toBe(false);
  });

  it('3 days of failures disable it with a subscription.disabled notice to the others; re-enabled, it gets the events from then on', async () => {
    const failing = await subscribe('sd-disable', { events: ['*'] });
    const sibling = await subscribe('sd-disable', { events: ['call.completed'], filter: { team: 'sales' } });
    failing.receiver.setDown(true, 500);
    const since = new Date(Date.now() - FAILING_LIMIT_MS - 60_000).toISOString();
    expect(await subscriptions.markFailing('sd-disable', failing.subscription.id, since)).toBe(true);
    const callId = await placeCall('sd-disable');
    await complete('sd-disable', callId);
    expect(await deliverer().deliverCall('sd-disable', callId)).toBe('retrying');

    const disabled = await subscriptions.get('sd-disable', failing.subscription.id);
    expect(disabled).toMatchObject({ status: 'disabled', disabledReason: `failing since ${since} (3 days)` });
    // The notice: whatever the sibling's events and filter, signed with its secret, the subscription without a secret.
    const notices = sibling.receiver.deliveries().filter((r) => r.type === 'subscription.disabled');
    expect(notices).toHaveLength(1);
    expect(notices[0]?.verified).toBe(true);
    const notice = JSON.parse(notices[0]!.body) as { type: string; timestamp: string; data: Record<string, Record<string, unknown>> };
    expect(notice.data.reason).toBe(`failing since ${since} (3 days)`);
    expect(notice.data.subscription).toMatchObject({ id: failing.subscription.id, status: 'disabled', url: failing.subscription.url });
    expect(Object.keys(notice.data.subscription!)).not.toContain('secrets');
    expect(notices[0]?.body).not.toContain(failing.secret.slice('whsec_'.length));
    expect((await log.list('sd-disable', sibling.subscription.id))[0]).toMatchObject({
      event: 'subscription.disabled',
      status: 'delivered',
    });
    // The doctor shows it.
    const doctor = await runDoctor({ tenantId: 'sd-disable', table: env.table, where: 'dynalite', timeoutMs: 1000, sealer: testSealer() });
    expect(doctor.checks.find((c) => c.id === 'subscriptions')).toMatchObject({ status: 'problem' });
    expect(doctor.checks.find((c) => c.id === 'subscriptions')?.message).toContain(`${failing.subscription.id} (127.0.0.1:`);

    // Disabled: no attempt, and the outbox does not wait for it.
    failing.receiver.setDown(false);
    const straddling = await placeCall('sd-disable');
    await calls.transition('sd-disable', straddling, {
      from: ['dialing'],
      to: 'answered',
      outcome: { answeredAt: new Date().toISOString() },
    });
    expect(await deliverer().deliverCall('sd-disable', straddling)).toBe('delivered');
    expect(await isDue(straddling)).toBe(false);

    const api = new Subscriptions({ subscriptions, deliveries: log, outbound: OUTBOUND, clock: () => new Date(), pingTimeoutMs: 1000 });
    await new Promise((r) => setTimeout(r, 5));
    expect((await api.patch('sd-disable', failing.subscription.id, { status: 'enabled' })).status).toBe('enabled');
    await calls.transition('sd-disable', straddling, {
      from: ['answered'],
      to: 'completed',
      outcome: { billSec: 3, hangupClass: 'answered' },
    });
    const d = deliverer();
    expect(await d.deliverCall('sd-disable', straddling)).toBe('delivered');
    // The first call's retry comes due: its events are older than the re-enabling, so nothing of it is sent.
    await d.deliverDue();
    expect(await isDue(callId)).toBe(false);
    expect(failing.receiver.notifications().map((n) => [n.data.call.callId, n.type])).toEqual([[straddling, 'call.completed']]);
  });

  it('signs with every live secret during a rotation: a receiver with either one verifies', async () => {
    const { subscription, receiver, secret } = await subscribe('sd-rotate', { events: ['call.completed'] });
    const next = newSubscriptionSecret(new Date());
    await subscriptions.rotateSecret('sd-rotate', subscription.id, next);
    const callId = await placeCall('sd-rotate');
    await complete('sd-rotate', callId);
    receiver.setSecrets([next.secret]);
    expect(await deliverer().deliverCall('sd-rotate', callId)).toBe('delivered');
    const [received] = receiver.deliveries();
    expect(received?.verified).toBe(true);
    const old = await startWebhookReceiver({ secrets: [secret], onError: () => undefined });
    receivers.push(old);
    await subscriptions.update('sd-rotate', subscription.id, () => ({ url: old.url }));
    const another = await placeCall('sd-rotate');
    await complete('sd-rotate', another);
    expect(await deliverer().deliverCall('sd-rotate', another)).toBe('delivered');
    expect(old.deliveries()[0]?.verified).toBe(true);
  });

  it('a subscription gets the events from its creation on; the one migrated from the callback also what the callback had not sent', async () => {
    const callback = newCallbackSecret();
    const before = await startWebhookReceiver({ secrets: [callback.secret], onError: () => undefined });
    receivers.push(before);
    await env.tenants.update('sd-late', (t) => ({ ...t, callback: { url: before.url, secrets: [callback] } }));
    const callId = await placeCall('sd-late');
    const d = deliverer();
    expect(await d.deliverCall('sd-late', callId)).toBe('delivered');
    const sentByCallback = of(before, callId).length;
    expect(sentByCallback).toBeGreaterThan(0);
    await calls.transition('sd-late', callId, { from: ['dialing'], to: 'answered', outcome: { answeredAt: new Date().toISOString() } });

    await new Promise((r) => setTimeout(r, 5));
    const late = await subscribe('sd-late', { events: ['*'] });
    const migration = await new CallbackMigration({ tenants: env.tenants, subscriptions }).migrateCallbackToSubscription('sd-late');
    expect(migration.outcome).toBe('migrated');
    await calls.transition('sd-late', callId, { from: ['answered'], to: 'completed', outcome: { billSec: 3, hangupClass: 'answered' } });
    expect(await d.deliverCall('sd-late', callId)).toBe('delivered');
    const count = await eventCount('sd-late', callId);
    expect(of(late.receiver, callId).map((n) => n.type)).toEqual(['call.completed']);
    // The callback's receiver, now a subscription: the answer it had not had yet, and the end; nothing twice.
    expect(sequences(of(before, callId))).toEqual(Array.from({ length: count }, (_, i) => i));
    expect(before.deliveries().filter((r) => r.refused === 'duplicate')).toEqual([]);
  });

  it('dead-letters per subscription, naming its slot; a redrive of that slot alone delivers', async () => {
    const down = await subscribe('sd-dead', { events: ['call.completed'] });
    const up = await subscribe('sd-dead', { events: ['call.completed'] });
    down.receiver.setDown(true, 500);
    const callId = await placeCall('sd-dead');
    await complete('sd-dead', callId);
    expect(await deliverer(0).deliverCall('sd-dead', callId)).toBe('dead_lettered');
    const name = subscriptionSlotName(down.subscription.id);
    const letters = (await deadLetters.list(100, 'sd-dead')).filter((l) => l.callId === callId);
    expect(letters.map((l) => [l.transport, l.callbackHost])).toEqual([[name, new URL(down.receiver.url).host]]);
    expect((await log.list('sd-dead', down.subscription.id))[0]).toMatchObject({ status: 'dead', nextAttemptAt: null });
    expect(of(up.receiver, callId)).toHaveLength(1);

    down.receiver.setDown(false);
    const { redriveDeadDeliveries } = await import('../../lib/cli/redrive');
    expect(await redriveDeadDeliveries(calls, deadLetters, { tenantId: 'sd-dead', transport: name })).toBe(1);
    await deliverer().deliverDue();
    expect(of(down.receiver, callId).map((n) => n.type)).toEqual(['call.completed']);
    expect(of(up.receiver, callId)).toHaveLength(1);
  });

  it('a hanging endpoint holds up no pass: its attempts go on by themselves, at most 4 at once, while the other gets every event', async () => {
    const hanging = await startHangingEndpoint();
    try {
      const stuck = await subscriptions.create(
        'sd-hang',
        { id: newSubscriptionId(), url: hanging.url, events: ['*'], filter: null, description: null, origin: 'api' },
        [newSubscriptionSecret(new Date())],
      );
      const fast = await subscribe('sd-hang', { events: ['*'] });
      const placed: string[] = [];
      for (let i = 0; i < MAX_SLOW_RUNS_PER_TARGET + 2; i++) {
        const callId = await placeCall('sd-hang', { agent: { crmUserId: SALES[i % SALES.length] } });
        await complete('sd-hang', callId);
        placed.push(callId);
      }
      const d = deliverer(undefined, SUBSCRIPTION_DETACH_AFTER_MS);
      const results = [];
      for (const callId of placed) results.push(await d.deliverCall('sd-hang', callId));
      // Every pass returned while the endpoint still holds its requests: the attempts are under way, none settled.
      const slot = subscriptionSlotName(stuck.id);
      const slots = await Promise.all(placed.map(async (callId) => (await calls.get('sd-hang', callId))?.deliveries?.[slot]));
      expect(results).toEqual([...Array<string>(MAX_SLOW_RUNS_PER_TARGET).fill('not_due'), 'paced', 'paced']);
      expect(hanging.requests()).toBe(MAX_SLOW_RUNS_PER_TARGET);
      expect(slots.slice(0, MAX_SLOW_RUNS_PER_TARGET).every((s) => s?.startedAt !== undefined && s.retry === undefined)).toBe(true);
      // With 4 going on, the endpoint gets no more: its slots on the other calls are left for a later pass.
      expect(slots.slice(MAX_SLOW_RUNS_PER_TARGET)).toEqual([undefined, undefined]);
      // The other endpoint gets every event before any hanging attempt has even timed out (TIMEOUT_MS): nothing waited on
      // the hanging one. Polled, not read once: on a loaded machine its own attempts may outlast the 250 ms a pass waits.
      for (const callId of placed) {
        const events = Array.from({ length: await eventCount('sd-hang', callId) }, (_, i) => i);
        await expect.poll(() => sequences(of(fast.receiver, callId)), { timeout: TIMEOUT_MS / 2, interval: 25 }).toEqual(events);
      }
      expect(hanging.requests()).toBe(MAX_SLOW_RUNS_PER_TARGET);

      await d.idle();
      const after = await calls.get('sd-hang', placed[0]!);
      expect(after?.deliveries?.[slot]?.retry).toMatchObject({ attempts: 1, lastError: 'timeout' });
      expect(after?.deliveries?.[slot]?.startedAt).toBeUndefined();
      expect((await log.list('sd-hang', stuck.id)).map((a) => [a.status, a.responseCode, a.error])).toEqual(
        Array<unknown>(MAX_SLOW_RUNS_PER_TARGET).fill(['failed', null, 'timeout']),
      );
      for (const callId of placed) expect(await isDue(callId)).toBe(true);
    } finally {
      await hanging.close();
    }
  }, 20_000);
});
