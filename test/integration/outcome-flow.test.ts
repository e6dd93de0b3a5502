import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { issuePbxEventsToken, pbxEventsUrl } from '../../lib/calls/pbx-event-tokens';
import type { CallState } from '../../lib/model/call';
import { CallRepository } from '../../lib/store/calls';
import { present } from '../support/api-body';
import { bearer, invoke, seedTenant, startTestEnv, useEnvForHandlers, type TestEnv } from '../support/env';
import { serveHandler } from '../support/serve-handler';

/**
 * The simulator plays calls out and sends its PBX Stats webhooks over real HTTP to the pbx-events
 * handler: per extension and per number outcomes, each webhook method, and the simulator's retries.
 */

let env: TestEnv;
let create: typeof import('../../functions/calls-create').handler;
let api: Awaited<ReturnType<typeof serveHandler>>;
let calls: CallRepository;
let key: string;
let eventsUrl: string;
let failNext = 0;
const TENANT = 'flow-acme';
const TERMINAL: CallState[] = ['completed', 'busy', 'no_answer', 'failed'];

beforeAll(async () => {
  env = await startTestEnv();
  useEnvForHandlers(env);
  ({ handler: create } = await import('../../functions/calls-create'));
  const { handler } = await import('../../functions/pbx-events');
  api = await serveHandler(handler, '/v1/pbx-events/{tenantId}/{token}', {
    intercept: () => (failNext > 0 ? (failNext--, 500) : undefined),
  });
  calls = new CallRepository(env.table);
  const { token, record } = issuePbxEventsToken();
  ({ key } = await seedTenant(
    env,
    { tenantId: TENANT, pbxEvents: { tokens: [record] } },
    {
      agents: [
        { crmUserId: 'u-17', extension: '1000' },
        { crmUserId: 'u-18', extension: '1001' },
        { crmUserId: 'u-19', extension: '1002' },
      ],
    },
  ));
  eventsUrl = pbxEventsUrl(api.url, TENANT, token);
});

afterAll(async () => {
  await api?.close();
  await env?.stop();
});

beforeEach(() => {
  failNext = 0;
  env.sim.setPlayout({
    default: { outcome: 'answered', ringSec: 0.2, talkSec: 0.6 },
    rules: [
      { match: { extension: '1001' }, outcome: 'busy', ringSec: 0.1, talkSec: 0 },
      { match: { number: '+447766889911' }, outcome: 'no_answer', ringSec: 0.3, talkSec: 0 },
      { match: { number: '447766889922' }, outcome: 'failed', ringSec: 0.1, talkSec: 0, hangupCause: 'Route Unavailable (custom)' },
    ],
  });
});

let seq = 0;
async function place(agent: string, to = '+44 7766 889900'): Promise<string> {
  const res = await invoke(create, {
    method: 'POST',
    route: '/v1/calls',
    headers: { ...bearer(key), 'idempotency-key': `flow-${Date.now()}-${++seq}` },
    body: { agent: { crmUserId: agent }, to },
  });
  expect(res.status).toBe(201);
  return present(res.body.callId, 'callId');
}

async function settled(callId: string, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const call = (await calls.get(TENANT, callId))!;
    if (TERMINAL.includes(call.state) || Date.now() > deadline) return call;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(['GET', 'POST_FORM', 'POST_JSON'] as const)("the simulator's webhooks by %s", (method) => {
  beforeEach(() => env.sim.setWebhooks([{ url: eventsUrl, method, retryDelaySec: 0.1 }]));

  it('plays an answered call to `completed` with the durations the simulator played', async () => {
    const callId = await place('u-17');
    const call = await settled(callId);
    const cdr = env.sim.cdrs().find((c) => c.custom_fields.c2c_call_id === callId)!;
    expect(call.state).toBe('completed');
    expect(call.events.map((e) => e.state)).toEqual(['accepted', 'dispatching', 'dialing', 'answered', 'completed']);
    expect(call.outcome).toMatchObject({
      durationSec: cdr.duration,
      billSec: cdr.bill_duration,
      hangupCause: 'ANSWERED',
      hangupClass: 'answered',
      recordingUrl: cdr.recording_link,
      endedAt: cdr.call_end.replace(/\.\d{3}Z$/, '.000Z'),
    });
    expect(call.outcome.answeredAt).not.toBeNull();
  });

  it('plays busy per extension, no answer and failure per number', async () => {
    const busy = await place('u-18');
    const noAnswer = await place('u-17', '+44 7766 889911');
    const failed = await place('u-19', '+44 7766 889922');
    expect((await settled(busy)).state).toBe('busy');
    expect((await settled(noAnswer)).state).toBe('no_answer');
    expect(await settled(failed)).toMatchObject({ state: 'failed', outcome: { hangupCause: 'Route Unavailable (custom)', billSec: 0 } });
  });

  it('retries a webhook the API refused, so the call still ends right', async () => {
    failNext = 2;
    const since = env.sim.webhookDeliveries().at(-1)?.seq ?? 0;
    const callId = await place('u-17');
    expect((await settled(callId)).state).toBe('completed');
    const sends = env.sim.webhookDeliveries(since);
    expect(sends.filter((d) => !d.ok).map((d) => d.status)).toEqual([500, 500]);
    expect(sends.some((d) => d.attempt > 1 && d.ok)).toBe(true);
  });
});
