import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_NOTIFY_SETTINGS, NotificationDeliverer } from '../../lib/notify/deliver';
import { callOutbox } from '../../lib/notify/outbox';
import type { DeliveryOutcome, NotificationTransport, Pacer, PaceRule, SequencedEvent } from '../../lib/notify/transport';
import type { Tenant } from '../../lib/model/tenant';
import { CallRepository } from '../../lib/store/calls';
import { DeadLetterRepository } from '../../lib/store/dead-letters';
import { present } from '../support/api-body';
import { bearer, invoke, seedTenant, startTestEnv, useEnvForHandlers, type TestEnv } from '../support/env';

/**
 * The engine delivers through any transport: a fake one, defined here, takes the call items' first progress marker
 * (`notified`) in place of the webhook, on dynalite (test/integration/notify-slots.test.ts has transports on slots
 * of their own beside it). Its answers are scripted per call; what it was given is recorded.
 */

let env: TestEnv;
let create: typeof import('../../functions/calls-create').handler;
let calls: CallRepository;
let deadLetters: DeadLetterRepository;
let clock = Date.now();
const now = () => new Date(clock);

interface Target {
  connection: string;
}
interface Delivery {
  callId: string;
  sequence: number;
  state: string;
  attempt: number;
  connection: string;
}

const delivered: Delivery[] = [];
/** Per call, the answers to give before answering `delivered`. */
const script = new Map<string, DeliveryOutcome[]>();
let wants: (event: SequencedEvent) => boolean = () => true;

const fake: NotificationTransport<Target> = {
  name: 'fake-crm',
  targetOf: (tenant: Tenant) => (tenant.tenantId.endsWith('-none') ? undefined : { connection: `conn-${tenant.tenantId}` }),
  wants: (event) => wants(event),
  hostOf: () => 'crm.example.test',
  paceOf: (target) => ({ key: target.connection, perSecond: 5 }),
  deliver(call, event, context) {
    delivered.push({
      callId: call.callId,
      sequence: event.sequence,
      state: event.state,
      attempt: context.attempt,
      connection: context.target.connection,
    });
    return Promise.resolve(script.get(call.callId)?.shift() ?? { kind: 'delivered' });
  },
};

/** The transports named in the held metric, one entry per held delivery. */
const heldMetric: string[] = [];

function deliverer(options: { pacer?: Pacer; maxAgeMs?: number } = {}) {
  return new NotificationDeliverer({
    calls,
    outbox: callOutbox(calls, fake.name),
    transports: [fake],
    getTenant: (tenantId) => env.tenants.get(tenantId),
    sink: deadLetters,
    settings: { ...DEFAULT_NOTIFY_SETTINGS, maxAgeMs: options.maxAgeMs ?? DEFAULT_NOTIFY_SETTINGS.maxAgeMs },
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    now,
    random: () => 0.5,
    metrics: { held: (transport) => void heldMetric.push(transport) },
    ...(options.pacer ? { pacer: options.pacer } : {}),
  });
}

const keys = new Map<string, string>();
beforeAll(async () => {
  env = await startTestEnv();
  useEnvForHandlers(env);
  ({ handler: create } = await import('../../functions/calls-create'));
  calls = new CallRepository(env.table);
  deadLetters = new DeadLetterRepository(env.table);
  for (const tenantId of ['tr-order', 'tr-held', 'tr-dead', 'tr-wants', 'tr-paced', 'tr-none'])
    keys.set(tenantId, (await seedTenant(env, { tenantId })).key);
});

afterAll(async () => {
  await env?.stop();
});

let seq = 0;
async function placeCall(tenantId: string): Promise<string> {
  const res = await invoke(create, {
    method: 'POST',
    route: '/v1/calls',
    headers: { ...bearer(keys.get(tenantId)!), 'idempotency-key': `transport-${Date.now()}-${++seq}` },
    body: { agent: { crmUserId: 'u-17' }, to: '+44 7766 889900' },
  });
  expect(res.status).toBe(201);
  return present(res.body.callId, 'callId');
}

async function answerAndComplete(tenantId: string, callId: string) {
  await calls.transition(tenantId, callId, { from: ['dialing'], to: 'answered', outcome: { answeredAt: now().toISOString() } });
  await calls.transition(tenantId, callId, { from: ['answered'], to: 'completed', outcome: { billSec: 30, hangupClass: 'answered' } });
}

const deliveriesOf = (callId: string) => delivered.filter((d) => d.callId === callId);
const isDue = async (callId: string) => (await calls.listNotifyDue(now().toISOString(), 1000)).some((c) => c.callId === callId);

describe('a transport registered in place of the webhook', () => {
  it('gets every event in order, and after a failure the same event again, no sooner than its Retry-After', async () => {
    const callId = await placeCall('tr-order');
    script.set(callId, [{ kind: 'retry', error: 'HTTP 429', retryAfterMs: 60_000 }]);
    const d = deliverer();
    expect(await d.deliverCall('tr-order', callId)).toBe('retrying');
    expect(await calls.get('tr-order', callId)).toMatchObject({
      notified: 0,
      notify: { attempts: 1, lastError: 'HTTP 429', nextAttemptAt: new Date(clock + 60_000).toISOString() },
    });
    clock += 30_000;
    expect(await isDue(callId)).toBe(false);
    expect(await d.deliverCall('tr-order', callId)).toBe('not_due');
    clock += 31_000;
    expect(await isDue(callId)).toBe(true);
    await d.deliverDue();
    await answerAndComplete('tr-order', callId);
    expect(await d.deliverCall('tr-order', callId)).toBe('delivered');

    expect(deliveriesOf(callId).map((x) => [x.sequence, x.attempt])).toEqual([
      [0, 1],
      [0, 2],
      [1, 1],
      [2, 1],
      [3, 1],
      [4, 1],
    ]);
    expect(deliveriesOf(callId).map((x) => x.state)).toEqual(['accepted', 'accepted', 'dispatching', 'dialing', 'answered', 'completed']);
    expect(deliveriesOf(callId).every((x) => x.connection === 'conn-tr-order')).toBe(true);
    const stored = await calls.get('tr-order', callId);
    expect(stored).toMatchObject({ notified: 5 });
    expect(stored?.notify).toBeUndefined();
    expect(await isDue(callId)).toBe(false);
  });

  it('holds a call whose credentials are refused, past the max age without a dead letter, and delivers once they work', async () => {
    const callId = await placeCall('tr-held');
    script.set(callId, [
      { kind: 'held', error: 'HTTP 401' },
      { kind: 'held', error: 'HTTP 401' },
    ]);
    const d = deliverer({ maxAgeMs: 3600_000 });
    expect(await d.deliverCall('tr-held', callId)).toBe('held');
    expect((await calls.get('tr-held', callId))?.notify).toMatchObject({ lastError: 'held: HTTP 401', attempts: 1 });
    expect(heldMetric).toEqual(['fake-crm']);
    clock += 2 * 3600_000;
    expect(await d.deliverCall('tr-held', callId)).toBe('held');
    expect((await deadLetters.list()).filter((l) => l.callId === callId)).toEqual([]);
    clock += 3600_000;
    expect(await d.deliverCall('tr-held', callId)).toBe('delivered');
    expect(deliveriesOf(callId).map((x) => x.sequence)).toEqual([0, 0, 0, 1, 2]);
    expect(heldMetric).toEqual(['fake-crm', 'fake-crm']);
  });

  it('dead-letters a permanent failure at once, naming the transport host, and delivers after a redrive', async () => {
    const callId = await placeCall('tr-dead');
    script.set(callId, [
      { kind: 'retry', error: 'timeout' },
      { kind: 'dead', error: 'HTTP 422' },
    ]);
    const d = deliverer();
    expect(await d.deliverCall('tr-dead', callId)).toBe('retrying');
    clock += 60_000;
    expect(await d.deliverCall('tr-dead', callId)).toBe('dead_lettered');
    expect((await deadLetters.list()).filter((l) => l.callId === callId)).toEqual([
      expect.objectContaining({
        tenantId: 'tr-dead',
        fromEvent: 0,
        eventCount: 3,
        attempts: 2,
        lastError: 'HTTP 422',
        callbackHost: 'crm.example.test',
      }),
    ]);
    expect(await calls.outbox.listNotifyDead(100, 'tr-dead')).toEqual([{ tenantId: 'tr-dead', callId }]);
    expect(await d.deliverCall('tr-dead', callId)).toBe('not_due');

    expect(await calls.outbox.redriveNotifications('tr-dead', callId, now().toISOString())).toBe(true);
    expect(await d.deliverCall('tr-dead', callId)).toBe('delivered');
    expect(deliveriesOf(callId).map((x) => x.sequence)).toEqual([0, 0, 0, 1, 2]);
  });

  it('delivers only the events the transport wants, passing over the others', async () => {
    wants = (event) => event.state === 'completed';
    try {
      const callId = await placeCall('tr-wants');
      const d = deliverer();
      expect(await d.deliverCall('tr-wants', callId)).toBe('delivered');
      expect(await calls.get('tr-wants', callId)).toMatchObject({ notified: 3 });
      expect(await isDue(callId)).toBe(false);
      await answerAndComplete('tr-wants', callId);
      expect(await d.deliverCall('tr-wants', callId)).toBe('delivered');
      expect(deliveriesOf(callId).map((x) => [x.sequence, x.state])).toEqual([[4, 'completed']]);
      expect(await calls.get('tr-wants', callId)).toMatchObject({ notified: 5 });
    } finally {
      wants = () => true;
    }
  });

  it('waits, sending and writing nothing, while the connection has used up its pace', async () => {
    const callId = await placeCall('tr-paced');
    const asked: PaceRule[] = [];
    let wait = 1_000;
    const pacer: Pacer = { take: (rule) => (asked.push(rule), Promise.resolve(wait)) };
    const d = deliverer({ pacer });
    expect(await d.deliverCall('tr-paced', callId)).toBe('paced');
    expect(deliveriesOf(callId)).toEqual([]);
    expect((await calls.get('tr-paced', callId))?.notify).toBeUndefined();
    expect(await isDue(callId)).toBe(true);
    expect(asked).toEqual([{ key: 'conn-tr-paced', perSecond: 5 }]);
    wait = 0;
    expect(await d.deliverCall('tr-paced', callId)).toBe('delivered');
    expect(deliveriesOf(callId).map((x) => x.sequence)).toEqual([0, 1, 2]);
  });

  it('passes over every event of a tenant it has no target for, sending nothing', async () => {
    const callId = await placeCall('tr-none');
    expect(await deliverer().deliverCall('tr-none', callId)).toBe('skipped');
    expect(deliveriesOf(callId)).toEqual([]);
    expect(await calls.get('tr-none', callId)).toMatchObject({ notified: 3 });
  });

  it("gives any transport but the webhook a slot of its own (deliveries.<name>), never the webhook's marker", async () => {
    const callId = await placeCall('tr-order');
    const d = new NotificationDeliverer({
      calls,
      transports: [fake],
      getTenant: (tenantId) => env.tenants.get(tenantId),
      sink: deadLetters,
      settings: DEFAULT_NOTIFY_SETTINGS,
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
      now,
    });
    expect(await d.deliverCall('tr-order', callId)).toBe('delivered');
    expect(deliveriesOf(callId).map((x) => x.sequence)).toEqual([0, 1, 2]);
    const stored = await calls.get('tr-order', callId);
    expect(stored?.deliveries?.['fake-crm']).toEqual({ next: 3 });
    expect(stored?.notified ?? 0).toBe(0);
    expect(await isDue(callId)).toBe(false);
    expect(() => callOutbox(calls).slot('#notified', [])).toThrow(/No delivery slot can be named/);
  });
});
