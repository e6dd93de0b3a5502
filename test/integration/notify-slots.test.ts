import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redriveDeadDeliveries } from '../../lib/cli/redrive';
import type { Tenant } from '../../lib/model/tenant';
import { DEFAULT_NOTIFY_SETTINGS, NotificationDeliverer } from '../../lib/notify/deliver';
import { counterPacer } from '../../lib/notify/pace';
import type { DeliveryOutcome, NotificationTransport, SequencedEvent } from '../../lib/notify/transport';
import { CallRepository } from '../../lib/store/calls';
import { DeadLetterRepository } from '../../lib/store/dead-letters';
import { TenantInspector } from '../../lib/store/inspect';
import { PaceCounterRepository } from '../../lib/store/pace-counters';
import { present } from '../support/api-body';
import { bearer, invoke, seedTenant, startTestEnv, useEnvForHandlers, type TestEnv } from '../support/env';

/**
 * Several transports on one call, on dynalite: the webhook's marker (`notified`, here a fake named `webhook`) and two
 * fake CRMs that keep remote ids, each on its own `deliveries.<name>` slot. Answers are scripted per transport and
 * call; a script step may crash the pass (throw) or hold the attempt open until a gate opens.
 */

let env: TestEnv;
let create: typeof import('../../functions/calls-create').handler;
let calls: CallRepository;
let deadLetters: DeadLetterRepository;
let clock = Date.parse('2031-03-04T10:00:00.000Z');
const now = () => new Date(clock);
const LEASE_MS = 90_000;

type Step = DeliveryOutcome | { crash: string } | { gate: Promise<void> };
interface Delivery {
  transport: string;
  callId: string;
  sequence: number;
  state: string;
  attempt: number;
  remoteId?: string;
}
const delivered: Delivery[] = [];
const scripts = new Map<string, Step[]>();
const script = (transport: string, callId: string, steps: Step[]) => scripts.set(`${transport}#${callId}`, steps);

function fake(
  name: string,
  wants: (event: SequencedEvent) => boolean,
  keepsRemoteIds: boolean,
): NotificationTransport<{ tenantId: string }> {
  return {
    name,
    // The CRMs are connected for every tenant but those named `-nocrm`.
    targetOf: (tenant: Tenant) => (name !== 'webhook' && tenant.tenantId.endsWith('-nocrm') ? undefined : { tenantId: tenant.tenantId }),
    wants: (event) => wants(event),
    hostOf: () => `${name}.example.test`,
    async deliver(call, event, context) {
      delivered.push({
        transport: name,
        callId: call.callId,
        sequence: event.sequence,
        state: event.state,
        attempt: context.attempt,
        ...(context.remoteId !== undefined ? { remoteId: context.remoteId } : {}),
      });
      const step = scripts.get(`${name}#${call.callId}`)?.shift();
      if (step && 'crash' in step) throw new Error(step.crash);
      if (step && 'gate' in step) await step.gate;
      else if (step) return step;
      return keepsRemoteIds
        ? { kind: 'delivered', remoteId: context.remoteId ?? `${name}-${call.callId}-${event.sequence}` }
        : { kind: 'delivered' };
    },
  };
}

const FINAL = new Set(['completed', 'no_answer', 'busy', 'failed']);
const webhook = fake('webhook', () => true, false);
const crmA = fake('crm-a', (e) => FINAL.has(e.state), true);
const crmB = fake('crm-b', (e) => FINAL.has(e.state), true);
/** A CRM that logs on the answer and updates the same activity on the call's end. */
const crmU = fake('crm-u', (e) => e.state === 'answered' || e.state === 'completed', true);

function deliverer(transports: NotificationTransport[] = [webhook, crmA, crmB]) {
  return new NotificationDeliverer({
    calls,
    transports,
    getTenant: (tenantId) => env.tenants.get(tenantId),
    sink: deadLetters,
    settings: { ...DEFAULT_NOTIFY_SETTINGS, attemptLeaseMs: LEASE_MS },
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    now,
    random: () => 0.5,
  });
}

const keys = new Map<string, string>();
beforeAll(async () => {
  env = await startTestEnv();
  useEnvForHandlers(env);
  ({ handler: create } = await import('../../functions/calls-create'));
  calls = new CallRepository(env.table, now);
  deadLetters = new DeadLetterRepository(env.table);
  for (const tenantId of ['sl-two', 'sl-slow', 'sl-crash', 'sl-dead', 'sl-park', 'sl-update', 'sl-nocrm'])
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
    headers: { ...bearer(keys.get(tenantId)!), 'idempotency-key': `slots-${Date.now()}-${++seq}` },
    body: { agent: { crmUserId: 'u-17' }, to: '+44 7766 889900' },
  });
  expect(res.status).toBe(201);
  return present(res.body.callId, 'callId');
}

async function answerAndComplete(tenantId: string, callId: string) {
  await calls.transition(tenantId, callId, { from: ['dialing'], to: 'answered', outcome: { answeredAt: now().toISOString() } });
  await calls.transition(tenantId, callId, { from: ['answered'], to: 'completed', outcome: { billSec: 30, hangupClass: 'answered' } });
}

const sent = (transport: string, callId: string) => delivered.filter((d) => d.transport === transport && d.callId === callId);
const dueBy = async (callId: string, atMs: number) =>
  (await calls.listNotifyDue(new Date(atMs).toISOString(), 1000)).some((c) => c.callId === callId);
const isDead = async (tenantId: string, callId: string) =>
  (await calls.outbox.listNotifyDead(100, tenantId)).some((c) => c.callId === callId);
const FAR = Date.parse('2099-01-01T00:00:00.000Z');

describe('transports side by side on one call, each on its own slot', () => {
  it('advance independently, and the call leaves the outbox index only when every live slot is done', async () => {
    const callId = await placeCall('sl-two');
    const d = deliverer();
    expect(await d.deliverCall('sl-two', callId)).toBe('delivered');
    // The CRMs want none of the first events: their slots pass over them, and nothing is left to do.
    expect(await calls.get('sl-two', callId)).toMatchObject({ notified: 3, deliveries: { 'crm-a': { next: 3 }, 'crm-b': { next: 3 } } });
    expect(await dueBy(callId, FAR)).toBe(false);

    await answerAndComplete('sl-two', callId);
    script('crm-a', callId, [{ kind: 'retry', error: 'HTTP 429', retryAfterMs: 60_000 }]);
    expect(await d.deliverCall('sl-two', callId)).toBe('retrying');
    const stored = await calls.get('sl-two', callId);
    expect(stored?.notified).toBe(5);
    expect(stored?.deliveries?.['crm-b']).toEqual({ next: 5, remoteId: `crm-b-${callId}-4` });
    expect(stored?.deliveries?.['crm-a']).toMatchObject({ next: 3, retry: { attempts: 1, lastError: 'HTTP 429' } });
    expect(stored?.deliveries?.['crm-a']?.startedAt).toBeUndefined();
    // The doctor's count of failing calls reads every slot.
    expect(await new TenantInspector(env.table).notificationsRetrying('sl-two')).toEqual({ count: 1, lastError: 'HTTP 429' });
    // Due when the one slot behind is: crm-a's Retry-After, not sooner.
    expect(await dueBy(callId, clock + 59_000)).toBe(false);
    expect(await dueBy(callId, clock + 61_000)).toBe(true);

    clock += 61_000;
    await d.deliverDue();
    expect((await calls.get('sl-two', callId))?.deliveries?.['crm-a']).toEqual({ next: 5, remoteId: `crm-a-${callId}-4` });
    expect(await dueBy(callId, FAR)).toBe(false);
    expect(sent('crm-a', callId).map((x) => [x.state, x.attempt])).toEqual([
      ['completed', 1],
      ['completed', 2],
    ]);
    expect(sent('crm-b', callId).map((x) => x.state)).toEqual(['completed']);
    expect(sent('webhook', callId).map((x) => x.sequence)).toEqual([0, 1, 2, 3, 4]);
  });

  it('writes no slot for a transport without a target for the tenant', async () => {
    const callId = await placeCall('sl-nocrm');
    await answerAndComplete('sl-nocrm', callId);
    expect(await deliverer().deliverCall('sl-nocrm', callId)).toBe('delivered');
    const stored = await calls.get('sl-nocrm', callId);
    expect(stored).toMatchObject({ notified: 5 });
    expect(stored?.deliveries).toBeUndefined();
    expect(await dueBy(callId, FAR)).toBe(false);
  });

  it('a slow transport holds up neither the webhook nor the call, and a second pass meanwhile leaves its attempt alone', async () => {
    const callId = await placeCall('sl-slow');
    await answerAndComplete('sl-slow', callId);
    let open!: () => void;
    script('crm-a', callId, [{ gate: new Promise<void>((resolve) => (open = resolve)) }]);
    const d = deliverer();
    const first = d.deliverCall('sl-slow', callId);
    for (let i = 0; i < 200 && (await calls.get('sl-slow', callId))?.notified !== 5; i++) await new Promise((r) => setTimeout(r, 10));
    const meanwhile = await calls.get('sl-slow', callId);
    expect(meanwhile?.notified).toBe(5);
    expect(meanwhile?.deliveries?.['crm-a']).toEqual({ next: 0, startedAt: now().toISOString() });
    expect(meanwhile?.deliveries?.['crm-b']).toMatchObject({ next: 5 });

    // A racing pass (a stream record of the webhook's writes) finds the attempt under way and leaves it.
    expect(await d.deliverCall('sl-slow', callId)).toBe('not_due');
    expect(sent('crm-a', callId)).toHaveLength(1);

    open();
    expect(await first).toBe('delivered');
    expect((await calls.get('sl-slow', callId))?.deliveries?.['crm-a']).toEqual({ next: 5, remoteId: `crm-a-${callId}-4` });
    expect(sent('crm-a', callId)).toHaveLength(1);
    expect(await dueBy(callId, FAR)).toBe(false);
  });

  it('an attempt started and never settled (a crash) is handed to the transport as attempt 2 once its lease is over', async () => {
    const callId = await placeCall('sl-crash');
    await answerAndComplete('sl-crash', callId);
    script('crm-a', callId, [{ crash: 'killed after the create' }]);
    const d = deliverer();
    await expect(d.deliverCall('sl-crash', callId)).rejects.toThrow(/killed after the create/);
    const startedAt = now().toISOString();
    expect((await calls.get('sl-crash', callId))?.deliveries?.['crm-a']).toEqual({ next: 0, startedAt });
    // Filed as due when the lease ends; before that a pass leaves the slot alone.
    expect(await dueBy(callId, clock + LEASE_MS - 1000)).toBe(false);
    expect(await dueBy(callId, clock + LEASE_MS)).toBe(true);
    expect(await d.deliverCall('sl-crash', callId)).toBe('not_due');

    clock += LEASE_MS + 1000;
    await d.deliverDue();
    expect(sent('crm-a', callId).map((x) => x.attempt)).toEqual([1, 2]);
    expect((await calls.get('sl-crash', callId))?.deliveries?.['crm-a']).toEqual({ next: 5, remoteId: `crm-a-${callId}-4` });
    expect(await dueBy(callId, FAR)).toBe(false);
  });

  it('hands a kept remote id to the next delivery of the same call, which updates instead of creating', async () => {
    const callId = await placeCall('sl-update');
    await answerAndComplete('sl-update', callId);
    expect(await deliverer([webhook, crmU]).deliverCall('sl-update', callId)).toBe('delivered');
    expect(sent('crm-u', callId).map((x) => [x.state, x.remoteId])).toEqual([
      ['answered', undefined],
      ['completed', `crm-u-${callId}-3`],
    ]);
    expect((await calls.get('sl-update', callId))?.deliveries?.['crm-u']).toEqual({ next: 5, remoteId: `crm-u-${callId}-3` });
  });
});

describe('dead letters per transport', () => {
  it('name their transport, and a redrive of one transport resets its slot alone', async () => {
    const callId = await placeCall('sl-dead');
    await answerAndComplete('sl-dead', callId);
    script('crm-a', callId, [{ kind: 'dead', error: 'HTTP 422: unknown property' }]);
    script('crm-b', callId, [{ kind: 'dead', error: 'HTTP 400: bad owner' }]);
    const d = deliverer();
    expect(await d.deliverCall('sl-dead', callId)).toBe('dead_lettered');
    const letters = (await deadLetters.list(100, 'sl-dead')).filter((l) => l.callId === callId);
    expect(letters.map((l) => [l.transport, l.callbackHost, l.lastError]).sort()).toEqual([
      ['crm-a', 'crm-a.example.test', 'HTTP 422: unknown property'],
      ['crm-b', 'crm-b.example.test', 'HTTP 400: bad owner'],
    ]);
    expect((await deadLetters.list(100, 'sl-dead', 'crm-b')).map((l) => l.transport)).toEqual(['crm-b']);
    // The call is final and every slot behind is given up: the dead index.
    expect(await isDead('sl-dead', callId)).toBe(true);

    expect(await redriveDeadDeliveries(calls, deadLetters, { tenantId: 'sl-dead', transport: 'crm-a' })).toBe(1);
    const redriven = await calls.get('sl-dead', callId);
    expect(redriven?.deliveries?.['crm-a']?.retry).toMatchObject({ attempts: 1, nextAttemptAt: now().toISOString() });
    expect(redriven?.deliveries?.['crm-a']?.retry?.deadLetteredAt).toBeUndefined();
    expect(redriven?.deliveries?.['crm-b']?.retry?.deadLetteredAt).toBeDefined();
    expect(await dueBy(callId, clock)).toBe(true);

    await d.deliverDue();
    // The redriven attempt counts one made: the transport looks for what it may have created before creating.
    expect(sent('crm-a', callId).map((x) => x.attempt)).toEqual([1, 2]);
    expect(sent('crm-b', callId)).toHaveLength(1);
    expect((await calls.get('sl-dead', callId))?.deliveries?.['crm-a']).toEqual({ next: 5, remoteId: `crm-a-${callId}-4` });
    expect(await isDead('sl-dead', callId)).toBe(true);
    expect(await redriveDeadDeliveries(calls, deadLetters, { tenantId: 'sl-dead', callId, transport: 'crm-a' })).toBe(0);
  });

  it("a webhook given up on does not keep the call's final state from a CRM: the call waits as due until no event can come", async () => {
    const callId = await placeCall('sl-park');
    script('webhook', callId, [{ kind: 'dead', error: 'HTTP 410' }]);
    const d = deliverer();
    expect(await d.deliverCall('sl-park', callId)).toBe('dead_lettered');
    expect(await isDead('sl-park', callId)).toBe(false);
    expect(await dueBy(callId, clock + 3600_000)).toBe(true);
    expect(await dueBy(callId, clock + 3599_000)).toBe(false);
    // Given up, not failing: the doctor does not count it among the retrying.
    expect((await new TenantInspector(env.table).notificationsRetrying('sl-park')).count).toBe(0);

    await answerAndComplete('sl-park', callId);
    expect(await d.deliverCall('sl-park', callId)).toBe('not_due');
    expect(sent('crm-a', callId).map((x) => x.state)).toEqual(['completed']);
    expect(await isDead('sl-park', callId)).toBe(true);
    expect(sent('webhook', callId)).toHaveLength(1);
  });
});

describe('the shared pace counter', () => {
  it('lets `perSecond` deliveries of one connection through per second, across deliverers, and no other connection counts', async () => {
    const one = counterPacer(new PaceCounterRepository(env.table));
    const other = counterPacer(new PaceCounterRepository(env.table));
    const at = new Date('2031-03-04T10:00:00.250Z');
    const rule = { key: 'crm-a#sl-pace', perSecond: 2 };
    expect(await one.take(rule, at)).toBe(0);
    expect(await other.take(rule, at)).toBe(0);
    expect(await one.take(rule, at)).toBe(750);
    expect(await other.take({ key: 'crm-a#sl-pace-2', perSecond: 2 }, at)).toBe(0);
    expect(await one.take(rule, new Date('2031-03-04T10:00:01.000Z'))).toBe(0);
  });
});
