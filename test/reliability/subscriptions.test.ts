/**
 * The reliability suite's webhook subscriptions (issue 21): calls placed through the real handler, played out by the
 * PBX simulator, their outcomes recorded by the real pbx-events handler, and delivered by the real engine to each of
 * the tenant's subscriptions over real HTTP, as the local stack's poller runs it (here every 100 ms, standing in for
 * the stream), with the service's own settings (a 5 s timeout per request). One endpoint hangs; the others are
 * receivers that verify the Standard Webhooks signature with their subscription's secret alone. Each line is
 * asserted; with RELIABILITY_REPORT=1 it becomes the "Webhook subscriptions" section of RELIABILITY.md.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issuePbxEventsToken, pbxEventsUrl } from '../../lib/calls/pbx-event-tokens';
import { subscriptionTransports } from '../../lib/compose/notifier';
import { DEFAULT_NOTIFY_SETTINGS, NotificationDeliverer } from '../../lib/notify/deliver';
import { registeredTransports } from '../../lib/notify/transports';
import { MAX_SLOW_RUNS_PER_TARGET } from '../../lib/notify/slow-runs';
import { CallRepository } from '../../lib/store/calls';
import { DeadLetterRepository } from '../../lib/store/dead-letters';
import { SubscriptionRepository } from '../../lib/store/subscriptions';
import { SUBSCRIPTION_DETACH_AFTER_MS } from '../../lib/subscriptions/delivery';
import { newSubscriptionId, newSubscriptionSecret } from '../../lib/subscriptions/subscriptions';
import { startWebhookReceiver, type WebhookReceiver } from '../../local/webhook-receiver';
import { present } from '../support/api-body';
import { untilPlayedOut } from '../support/played-out';
import { bearer, invoke, seedTenant, startTestEnv, testSealer, useEnvForHandlers, type TestEnv } from '../support/env';
import { startHangingEndpoint, type HangingEndpoint } from '../support/hanging-endpoint';
import { serveHandler } from '../support/serve-handler';
import { renderTable, writeReportSection, type ReliabilityRow } from './report';

const TENANT = 'subs-rel';
/**
 * The control: a tenant set up alike (the same subscriptions, the same calls), whose first endpoint answers instead of
 * hanging, on a deliverer of its own: the machine's own pace, to tell the hanging endpoint's cost from the load's.
 */
const CONTROL = 'subs-rel-ctl';
const SALES = ['u-1', 'u-2', 'u-3'];
const CALLS = 6;
const OUTBOUND = { allowPrivate: true };
const CONCURRENCY = DEFAULT_NOTIFY_SETTINGS.concurrency;

let env: TestEnv;
let create: typeof import('../../functions/calls-create').handler;
let api: Awaited<ReturnType<typeof serveHandler>>;
let calls: CallRepository;
let subscriptions: SubscriptionRepository;
let engine: NotificationDeliverer;
let control: NotificationDeliverer;
let key = '';
let controlKey = '';
let hanging: HangingEndpoint;
let pollers: Array<Promise<void>> = [];
let polling = false;
let peakOpen = 0;
const receivers: WebhookReceiver[] = [];
/** When each receiver first got each webhook-id. */
const arrivals = new Map<WebhookReceiver, Map<string, number>>();
const rows: ReliabilityRow[] = [];
const started = Date.now();

function record(check: string, expected: string, observed: string, holds: boolean) {
  rows.push({ check, expected, observed, holds });
  expect(holds, `${check}: expected ${expected}, observed ${observed}`).toBe(true);
}

/** A receiver verifying with a fresh secret of its own, and a subscription of `tenantId` to it. */
async function subscribe(events: string[], filter: { team?: string } | null = null, tenantId = TENANT) {
  const secret = newSubscriptionSecret(new Date());
  const seen = new Map<string, number>();
  const receiver = await startWebhookReceiver({
    secrets: [secret.secret],
    onError: () => undefined,
    onDelivery: (delivery) => {
      if (delivery.webhookId && delivery.verified && !seen.has(delivery.webhookId)) seen.set(delivery.webhookId, Date.now());
    },
  });
  receivers.push(receiver);
  arrivals.set(receiver, seen);
  const subscription = await subscriptions.create(
    tenantId,
    { id: newSubscriptionId(), url: receiver.url, events, filter, description: null, origin: 'api' },
    [secret],
  );
  return { subscription, receiver };
}

beforeAll(async () => {
  env = await startTestEnv();
  useEnvForHandlers(env, { ALLOW_PRIVATE_OUTBOUND: 'true' });
  ({ handler: create } = await import('../../functions/calls-create'));
  const { handler } = await import('../../functions/pbx-events');
  api = await serveHandler(handler, '/v1/pbx-events/{tenantId}/{token}');
  calls = new CallRepository(env.table);
  subscriptions = new SubscriptionRepository(env.table, testSealer());
  hanging = await startHangingEndpoint();
  // The service's settings (NOTIFY_TIMEOUT_MS 5 s), the registry, and the subscriptions as the notifier composes them.
  const deliverer = () =>
    new NotificationDeliverer({
      calls,
      getTenant: (tenantId) => env.tenants.get(tenantId),
      sink: new DeadLetterRepository(env.table),
      settings: DEFAULT_NOTIFY_SETTINGS,
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
      transports: registeredTransports({ timeoutMs: DEFAULT_NOTIFY_SETTINGS.timeoutMs, outbound: OUTBOUND }),
      transportsFor: subscriptionTransports({
        table: env.table,
        sealer: testSealer(),
        timeoutMs: DEFAULT_NOTIFY_SETTINGS.timeoutMs,
        outbound: OUTBOUND,
        logger: { warn: () => undefined },
      }),
    });
  engine = deliverer();
  control = deliverer();
  const { token, record: tokenRecord } = issuePbxEventsToken();
  const { token: controlToken, record: controlRecord } = issuePbxEventsToken();
  ({ key: controlKey } = await seedTenant(
    env,
    { tenantId: CONTROL, pbxEvents: { tokens: [controlRecord] } },
    { agents: [...SALES.map((crmUserId, i) => ({ crmUserId, extension: `${1010 + i}` })), { crmUserId: 'u-9', extension: '1019' }] },
  ));
  for (const [i, crmUserId] of SALES.entries()) await env.agents.put(CONTROL, crmUserId, { extension: `${1010 + i}`, teams: ['sales'] });
  ({ key } = await seedTenant(
    env,
    { tenantId: TENANT, pbxEvents: { tokens: [tokenRecord] } },
    { agents: [...SALES.map((crmUserId, i) => ({ crmUserId, extension: `${1000 + i}` })), { crmUserId: 'u-9', extension: '1009' }] },
  ));
  for (const [i, crmUserId] of SALES.entries()) await env.agents.put(TENANT, crmUserId, { extension: `${1000 + i}`, teams: ['sales'] });
  env.sim.setExtensions([...SALES.map((_, i) => `${1000 + i}`), '1009', ...SALES.map((_, i) => `${1010 + i}`), '1019']);
  // Each tenant's PBX Stats: the simulator sends every call's events to both (the other tenant keeps it as an orphan).
  env.sim.setWebhooks([
    { url: pbxEventsUrl(api.url, TENANT, token), method: 'POST_JSON', retryDelaySec: 0.1 },
    { url: pbxEventsUrl(api.url, CONTROL, controlToken), method: 'POST_JSON', retryDelaySec: 0.1 },
  ]);
  env.sim.setPlayout({ default: { outcome: 'answered', ringSec: 0.05, talkSec: 0.1 } });
}, 30_000);

afterAll(async () => {
  polling = false;
  await Promise.all(pollers);
  await hanging?.close();
  await engine?.idle();
  await control?.idle();
  if (process.env.RELIABILITY_REPORT === '1' && rows.length > 0) {
    writeReportSection(
      path.resolve(__dirname, '../../RELIABILITY.md'),
      'subscriptions',
      `## Webhook subscriptions\n\nFour subscriptions of one tenant behind the real engine (the service's settings: 5 s per request), and a control tenant set up alike whose first endpoint answers, on a deliverer of its own, ` +
        `calls placed and played out for real, the outbox polled every 100 ms as the local stack does; the receivers verify ` +
        `each signature with their own subscription's secret (suite part: ${((Date.now() - started) / 1000).toFixed(1)} s).\n\n${renderTable(rows)}\n`,
    );
  }
  for (const receiver of receivers) await receiver.close();
  await api?.close();
  await env?.stop();
});

/** Places a call and waits for its final state: the PBX simulator plays it out and its webhooks record the outcome. */
async function placeSettled(body: Record<string, unknown>, tenantId = TENANT): Promise<string> {
  const res = await invoke(create, {
    method: 'POST',
    route: '/v1/calls',
    headers: { ...bearer(tenantId === TENANT ? key : controlKey), 'idempotency-key': `subs-rel-${Math.random().toString(36).slice(2)}` },
    body: { to: '+44 7766 889900', ...body },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return untilPlayedOut(calls, tenantId, present(res.body.callId, 'callId'));
}

async function waitFor(done: () => boolean, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return done();
}

describe('webhook subscriptions', () => {
  it('one endpoint hangs; the others get their events in order, filtered, signed with their own secret; a 410 removes one', async () => {
    await subscriptions.create(
      TENANT,
      { id: newSubscriptionId(), url: hanging.url, events: ['*'], filter: null, description: 'hangs', origin: 'api' },
      [newSubscriptionSecret(new Date())],
    );
    const every = await subscribe(['*']);
    const sales = await subscribe(['call.completed'], { team: 'sales' });
    const gone = await subscribe(['*']);
    gone.receiver.setDown(true, 410);

    await subscribe(['*'], null, CONTROL);
    const controlled = await subscribe(['*'], null, CONTROL);
    await subscribe(['call.completed'], { team: 'sales' }, CONTROL);
    (await subscribe(['*'], null, CONTROL)).receiver.setDown(true, 410);
    // Each tenant on a deliverer of its own (two notify containers, as it were), polled alike.
    polling = true;
    const poll = (d: NotificationDeliverer) =>
      (async () => {
        while (polling) {
          await d.deliverDue().catch(() => undefined);
          peakOpen = Math.max(peakOpen, hanging.open());
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
    pollers = [poll(engine), poll(control)];
    const placed: Array<{ callId: string; team: boolean }> = [];
    const controlCalls: string[] = [];
    for (let i = 0; i < CALLS; i++) {
      const team = i % 2 === 0;
      const [callId, controlId] = await Promise.all([
        placeSettled(team ? { team: 'sales' } : { agent: { crmUserId: 'u-9' } }),
        placeSettled(team ? { team: 'sales' } : { agent: { crmUserId: 'u-9' } }, CONTROL),
      ]);
      placed.push({ callId, team });
      controlCalls.push(controlId);
    }
    const stored = await Promise.all(placed.map(async (p) => ({ ...p, call: (await calls.get(TENANT, p.callId))! })));
    const total = stored.reduce((n, s) => n + s.call.events.length, 0);
    await waitFor(() => every.receiver.notifications().length >= total);

    // B: every event, in order per call, each within a second of when it happened.
    const got = every.receiver.notifications();
    const inOrder = stored.filter((s) => {
      const seqs = got.filter((n) => n.data.call.callId === s.callId).map((n) => n.data.event.sequence);
      return seqs.length === s.call.events.length && seqs.every((q, i) => q === i);
    }).length;
    const slowestOf = (receiver: WebhookReceiver) => {
      const seen = arrivals.get(receiver)!;
      const lags = receiver
        .notifications()
        .map((n) => (seen.get(`${n.data.call.callId}.${n.data.event.sequence}`) ?? Infinity) - Date.parse(n.data.event.at));
      return Math.max(...lags);
    };
    const controlTotal = (await Promise.all(controlCalls.map((c) => calls.get(CONTROL, c)))).reduce((n, c) => n + c!.events.length, 0);
    await waitFor(() => controlled.receiver.notifications().length >= controlTotal);
    const slowest = slowestOf(every.receiver);
    const baseline = slowestOf(controlled.receiver);
    // Within a second on a machine that keeps the pace; on a loaded one, no slower than the control by more than the one wait.
    const bound = Math.max(1000, baseline + SUBSCRIPTION_DETACH_AFTER_MS + 250);
    record(
      `An endpoint hangs (takes the connection, never answers); ${CALLS} calls of ${total} events`,
      `another subscription gets every event, in order per call, each within 1 s (on a loaded machine: within the control tenant's slowest + 0.5 s); ` +
        `the hanging one holds at most ${MAX_SLOW_RUNS_PER_TARGET + CONCURRENCY} requests open (${MAX_SLOW_RUNS_PER_TARGET} going on by themselves, one per worker in its first 0.25 s)`,
      `${got.length}/${total} events, ${inOrder}/${CALLS} calls in order, slowest ${(slowest / 1000).toFixed(2)} s after its event ` +
        `(control, no hanging endpoint: ${(baseline / 1000).toFixed(2)} s); ${hanging.requests()} requests to the hanging endpoint, at most ${peakOpen} open at once`,
      got.length === total &&
        inOrder === CALLS &&
        slowest < bound &&
        peakOpen <= MAX_SLOW_RUNS_PER_TARGET + CONCURRENCY &&
        hanging.requests() > 0,
    );

    // The filtered one: exactly the team calls' call.completed, each verified with its own secret only.
    const teamCompleted = stored.filter((s) => s.team && s.call.state === 'completed').map((s) => s.callId);
    await waitFor(() => sales.receiver.notifications().length >= teamCompleted.length);
    const salesGot = sales.receiver.notifications();
    const exact =
      salesGot.length === teamCompleted.length &&
      salesGot.every((n) => n.type === 'call.completed' && teamCompleted.includes(n.data.call.callId)) &&
      sales.receiver.deliveries().every((d) => d.verified && (d.body.length === 0 || d.type === 'call.completed'));
    record(
      'A second subscription: call.completed of team sales, its own secret',
      `exactly the ${teamCompleted.length} call.completed of the team calls, verified with its secret; the "*" one all ${total} events`,
      `${salesGot.length} received (${salesGot.map((n) => n.type).join(', ')}), ${sales.receiver.deliveries().filter((d) => d.verified).length} verified; "*": ${got.length}`,
      exact && got.length === total,
    );

    const stillThere = await subscriptions.get(TENANT, gone.subscription.id);
    record(
      'An endpoint answers 410 Gone',
      'its subscription is deleted after that answer; no further request to it',
      `${stillThere ? 'still there' : 'deleted'}; ${gone.receiver.deliveries().length} request(s) received`,
      stillThere === undefined && gone.receiver.deliveries().length === 1,
    );
  }, 90_000);
});
