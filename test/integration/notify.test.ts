import type { DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NotificationDeliverer, webhookIdOf, type NotifySettings } from '../../lib/notify/deliver';
import { newCallbackSecret } from '../../lib/notify/secrets';
import { CallRepository } from '../../lib/store/calls';
import { DeadLetterRepository } from '../../lib/store/dead-letters';
import { callSk, DEFAULT_WORK_SHARDS, notifyPendingPk, tenantPk } from '../../lib/store/keys';
import { startWebhookReceiver, type WebhookReceiver } from '../../local/webhook-receiver';
import { present } from '../support/api-body';
import { bearer, invoke, seedTenant, startTestEnv, useEnvForHandlers, type TestEnv } from '../support/env';
import { anyOf } from '../support/match';

/**
 * Outcome notifications against dynalite and a real HTTP receiver that verifies signatures and
 * dedupes on webhook-id. Time is a test clock shared by the deliverer and the receiver, so an hour
 * of outage takes milliseconds.
 */

let env: TestEnv;
let create: typeof import('../../functions/calls-create').handler;
let calls: CallRepository;
let deadLetters: DeadLetterRepository;
let receiver: WebhookReceiver;
let key: string;
let noCallbackKey: string;
let clock = Date.now();
const now = () => new Date(clock);
const secret = newCallbackSecret();
const TENANT = 'notify-acme';

const SETTINGS: NotifySettings = {
  timeoutMs: 2_000,
  baseDelayMs: 5_000,
  maxDelayMs: 5 * 60_000,
  maxAgeMs: 24 * 3600_000,
  maxAttempts: 0,
  concurrency: 4,
  batchSize: 100,
};

function deliverer(settings: Partial<NotifySettings> = {}) {
  return new NotificationDeliverer({
    calls,
    getTenant: (tenantId) => env.tenants.get(tenantId),
    sink: deadLetters,
    settings: { ...SETTINGS, ...settings },
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    now,
    random: () => 0.5,
  });
}

beforeAll(async () => {
  env = await startTestEnv();
  useEnvForHandlers(env);
  ({ handler: create } = await import('../../functions/calls-create'));
  calls = new CallRepository(env.table);
  deadLetters = new DeadLetterRepository(env.table);
  receiver = await startWebhookReceiver({ secrets: [secret.secret], now: () => clock });
  ({ key } = await seedTenant(env, { tenantId: TENANT, callback: { url: receiver.url, secrets: [secret] } }));
  ({ key: noCallbackKey } = await seedTenant(env, { tenantId: 'notify-none' }));
});

afterAll(async () => {
  await receiver?.close();
  await env?.stop();
});

beforeEach(async () => {
  receiver.setDown(false);
  // Start each test with an empty outbox: what earlier tests left is delivered (or skipped) now.
  clock += 24 * 3600_000;
  await deliverer().deliverDue();
});

let seq = 0;
async function placeCall(apiKey = key): Promise<string> {
  const res = await invoke(create, {
    method: 'POST',
    route: '/v1/calls',
    headers: { ...bearer(apiKey), 'idempotency-key': `notify-${Date.now()}-${++seq}` },
    body: { agent: { crmUserId: 'u-17' }, to: '+44 7766 889900' },
  });
  expect(res.status).toBe(201);
  return present(res.body.callId, 'callId');
}

async function answerAndComplete(callId: string, tenantId = TENANT) {
  await calls.transition(tenantId, callId, { from: ['dialing'], to: 'answered', outcome: { answeredAt: now().toISOString() } });
  await calls.transition(tenantId, callId, { from: ['answered'], to: 'completed', outcome: { billSec: 30, hangupClass: 'answered' } });
}

const notificationsOf = (callId: string) => receiver.notifications().filter((n) => n.data.call.callId === callId);
const deliveriesOf = (callId: string) => receiver.deliveries().filter((d) => d.webhookId?.startsWith(`${callId}.`));

describe('outcome notifications', () => {
  it('delivers every state change, signed, in order, one webhook-id per event', async () => {
    const callId = await placeCall();
    expect(await deliverer().deliverDue()).toMatchObject({ calls: 1, sent: 3 });
    await answerAndComplete(callId);
    expect(await deliverer().deliverDue()).toMatchObject({ calls: 1, sent: 2 });

    const received = notificationsOf(callId);
    expect(received.map((n) => n.type)).toEqual(['call.accepted', 'call.dispatching', 'call.dialing', 'call.answered', 'call.completed']);
    expect(received.map((n) => n.data.event.sequence)).toEqual([0, 1, 2, 3, 4]);
    expect(deliveriesOf(callId).map((d) => d.webhookId)).toEqual([0, 1, 2, 3, 4].map((i) => webhookIdOf(callId, i)));
    expect(deliveriesOf(callId).every((d) => d.verified)).toBe(true);
    const last = received.at(-1)!;
    expect(last.data.call).toMatchObject({ callId, state: 'completed', outcome: { billSec: 30 } });
    expect(last.data.call).not.toHaveProperty('notified');
    expect(last.data.call).not.toHaveProperty('requestHash');

    const stored = await calls.get(TENANT, callId);
    expect(stored).toMatchObject({ notified: 5 });
    expect(stored?.notify).toBeUndefined();
    expect(await calls.listNotifyDue(now().toISOString(), 100)).toEqual([]);
    // Nothing more to send: another pass sends nothing.
    expect((await deliverer().deliverDue()).sent).toBe(0);
  });

  it('loses nothing while the receiver is down for an hour, and resumes in order when it is back', async () => {
    const callId = await placeCall();
    receiver.setDown(true);
    const d = deliverer();
    let attempts = 0;
    for (let minute = 0; minute < 60; minute++) {
      if (minute === 20) await calls.transition(TENANT, callId, { from: ['dialing'], to: 'answered' });
      if (minute === 25) await calls.transition(TENANT, callId, { from: ['answered'], to: 'completed' });
      const report = await d.deliverDue();
      attempts += report.results.retrying ?? 0;
      clock += 60_000;
    }
    const during = await calls.get(TENANT, callId);
    expect(during?.notified).toBe(0);
    expect(during?.notify).toMatchObject({ lastError: 'HTTP 503' });
    // Backoff: 5 s, 10 s, 20 s ... capped at 5 min, so an hour takes about 15 attempts, not 60 or 720.
    expect(attempts).toBeGreaterThanOrEqual(12);
    expect(attempts).toBeLessThanOrEqual(20);
    expect(during?.notify?.attempts).toBe(attempts);
    expect(notificationsOf(callId)).toHaveLength(0);

    receiver.setDown(false);
    clock += 5 * 60_000;
    expect(await d.deliverDue()).toMatchObject({ sent: 5, results: { delivered: 1 } });
    expect(notificationsOf(callId).map((n) => n.type)).toEqual([
      'call.accepted',
      'call.dispatching',
      'call.dialing',
      'call.answered',
      'call.completed',
    ]);
    const ids = deliveriesOf(callId).map((x) => x.webhookId);
    // Event 0 was tried on every attempt with the same id; after dedupe each id counts once.
    expect(new Set(ids)).toEqual(new Set([0, 1, 2, 3, 4].map((i) => webhookIdOf(callId, i))));
    expect(ids.filter((id) => id === webhookIdOf(callId, 0))).toHaveLength(attempts + 1);
    expect((await calls.get(TENANT, callId))?.notify).toBeUndefined();
  });

  it('dead-letters past the max age, leaves the call alone until a redrive, then delivers everything', async () => {
    const callId = await placeCall();
    receiver.setDown(true, 500);
    const d = deliverer({ maxAgeMs: 10 * 60_000 });
    const results: string[] = [];
    for (let minute = 0; minute < 15; minute++) {
      const report = await d.deliverDue();
      results.push(...Object.keys(report.results));
      clock += 60_000;
    }
    expect(results).toContain('dead_lettered');
    const dead = await calls.get(TENANT, callId);
    expect(dead?.notify).toMatchObject({ deadLetteredAt: anyOf(String), lastError: 'HTTP 500' });
    expect(await calls.outbox.listNotifyDead(100)).toContainEqual({ tenantId: TENANT, callId });
    const letters = (await deadLetters.list()).filter((l) => l.callId === callId);
    expect(letters).toEqual([
      expect.objectContaining({
        tenantId: TENANT,
        fromEvent: 0,
        eventCount: 3,
        lastError: 'HTTP 500',
        callbackHost: new URL(receiver.url).host,
      }),
    ]);

    // The receiver is back, and the call ends meanwhile: still dead, nothing is sent until a redrive.
    receiver.setDown(false);
    await answerAndComplete(callId);
    const sentBefore = deliveriesOf(callId).length;
    expect((await d.deliverDue()).sent).toBe(0);
    expect(await d.deliverCall(TENANT, callId)).toBe('not_due');
    expect(deliveriesOf(callId)).toHaveLength(sentBefore);

    expect(await calls.outbox.redriveNotifications(TENANT, callId, now().toISOString())).toBe(true);
    expect(await d.deliverDue()).toMatchObject({ sent: 5, results: { delivered: 1 } });
    expect(notificationsOf(callId).map((n) => n.data.event.sequence)).toEqual([0, 1, 2, 3, 4]);
    expect(await calls.outbox.listNotifyDead(100)).not.toContainEqual({ tenantId: TENANT, callId });
  });

  it('dead-letters after max attempts when they are limited', async () => {
    const callId = await placeCall();
    receiver.setDown(true);
    const d = deliverer({ maxAttempts: 3 });
    const results: string[] = [];
    for (let i = 0; i < 5; i++) {
      results.push(...Object.keys((await d.deliverDue()).results));
      clock += 10 * 60_000;
    }
    expect(results.filter((r) => r === 'retrying')).toHaveLength(2);
    expect(results.filter((r) => r === 'dead_lettered')).toHaveLength(1);
    expect((await calls.get(TENANT, callId))?.notify?.attempts).toBe(3);
  });

  it('treats a receiver that refuses the signature as down (it is not verified, it gets retried)', async () => {
    const callId = await placeCall();
    receiver.setSecrets([newCallbackSecret().secret]);
    try {
      expect((await deliverer().deliverDue()).results).toMatchObject({ retrying: 1 });
      expect(deliveriesOf(callId).map((x) => x.status)).toEqual([401]);
    } finally {
      receiver.setSecrets([secret.secret]);
    }
  });

  it('signs with every live secret while one is rotated in', async () => {
    const next = newCallbackSecret();
    const tenant = (await env.tenants.get(TENANT))!;
    await env.tenants.put({ ...tenant, callback: { url: receiver.url, secrets: [secret, next] } });
    receiver.setSecrets([next.secret]);
    try {
      const callId = await placeCall();
      await deliverer().deliverDue();
      const first = deliveriesOf(callId)[0]!;
      expect(first.verified).toBe(true);
      expect(notificationsOf(callId)).toHaveLength(3);
    } finally {
      receiver.setSecrets([secret.secret]);
      await env.tenants.put({ ...(await env.tenants.get(TENANT))!, callback: { url: receiver.url, secrets: [secret] } });
    }
  });

  it('marks the events of a tenant without a callback URL delivered, sending nothing', async () => {
    const callId = await placeCall(noCallbackKey);
    const before = receiver.deliveries().length;
    expect((await deliverer().deliverDue()).results).toMatchObject({ skipped: 1 });
    expect(receiver.deliveries()).toHaveLength(before);
    expect(await calls.get('notify-none', callId)).toMatchObject({ notified: 3 });
    expect(await calls.listNotifyDue(now().toISOString(), 100)).toEqual([]);
  });

  it('keeps the first copy of each event in order when two deliverers race over the same calls', async () => {
    // One after the other: an agent has one call in flight at a time.
    const ids = [await placeCall(), await placeCall(), await placeCall()];
    for (const id of ids) await answerAndComplete(id);
    await Promise.all([deliverer().deliverDue(), deliverer().deliverDue(), deliverer().deliverDue()]);
    for (const id of ids) {
      expect(notificationsOf(id).map((n) => n.data.event.sequence)).toEqual([0, 1, 2, 3, 4]);
      expect(await calls.get(TENANT, id)).toMatchObject({ notified: 5 });
    }
    expect(await calls.listNotifyDue(now().toISOString(), 100)).toEqual([]);
  });
});

describe('the AWS entry points', () => {
  it('the stream function delivers the calls named in its records', async () => {
    const { handler } = await import('../../functions/notify');
    const callId = await placeCall();
    const record = (sequenceNumber: string) => ({
      eventName: 'MODIFY',
      dynamodb: {
        SequenceNumber: sequenceNumber,
        // As the stream carries a call item: its ids are in its keys only (lib/store/calls/stored-call.ts writes no id attributes).
        NewImage: {
          pk: { S: tenantPk(TENANT) },
          sk: { S: callSk(callId) },
          type: { S: 'call' },
          gsi5pk: { S: notifyPendingPk(TENANT, callId, DEFAULT_WORK_SHARDS) },
        },
      },
    });
    // The function's clock is the real one: the receiver checks signatures against ours.
    const saved = clock;
    clock = Date.now();
    try {
      const result = await handler({ Records: [record('1'), record('2')] } as unknown as DynamoDBStreamEvent);
      expect(result.batchItemFailures).toEqual([]);
    } finally {
      clock = saved;
    }
    expect(notificationsOf(callId).map((n) => n.type)).toEqual(['call.accepted', 'call.dispatching', 'call.dialing']);
  });

  it('the scheduled retry delivers what is due', async () => {
    const { handler } = await import('../../functions/notify-retry');
    const callId = await placeCall();
    const saved = clock;
    clock = Date.now();
    try {
      const report = await handler();
      expect(report.sent).toBeGreaterThanOrEqual(3);
    } finally {
      clock = saved;
    }
    expect(notificationsOf(callId)).toHaveLength(3);
  });
});
