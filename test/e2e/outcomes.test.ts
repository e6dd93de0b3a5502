import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallNotification } from '../../lib/notify/deliver';
import { newCallbackSecret } from '../../lib/notify/secrets';
import { startLocalStack, type LocalStack } from '../../local/stack';
import { startWebhookReceiver, type WebhookReceiver } from '../../local/webhook-receiver';
import { until as waitUntil } from '../support/until';

/**
 * A call's whole life on the local stack, as `npm start` runs it: placed through the API, played out
 * by the PBX simulator, whose PBX Stats webhooks reach the API through serverless-offline, and every
 * state change delivered to a CRM receiver by the in-process poller.
 */

let stack: LocalStack;
let receiver: WebhookReceiver;
const secret = newCallbackSecret();
const LIFE = ['call.accepted', 'call.dispatching', 'call.dialing', 'call.answered', 'call.completed'];

beforeAll(async () => {
  receiver = await startWebhookReceiver({ secrets: [secret.secret] });
  stack = await startLocalStack({
    callback: { url: receiver.url, secrets: [secret] },
    playout: { default: { outcome: 'answered', ringSec: 0.3, talkSec: 1.2 } },
    pbxWebhookMethod: 'POST_FORM',
    notifyPollMs: 100,
    env: { NOTIFY_BASE_DELAY_MS: '100', NOTIFY_MAX_DELAY_MS: '300' },
  });
  console.log(`local stack with outcomes ready in ${stack.startupMs} ms`);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

const api = (path: string, init: RequestInit = {}) =>
  fetch(`${stack.apiUrl}${path}`, {
    ...init,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.demo.apiKey}`, ...init.headers },
  });

async function placeCall(): Promise<{ callId: string }> {
  const res = await api('/v1/calls', {
    method: 'POST',
    headers: { 'idempotency-key': `e2e-outcome-${Date.now()}-${Math.random()}` },
    body: JSON.stringify({ agent: { crmUserId: 'u-17' }, to: '+44 7766 889900', lead: { id: 'e2e-outcome' } }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { callId: string };
}

const until = <T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000) =>
  waitUntil(what, probe, { timeoutMs });

const typesOf = (callId: string) =>
  receiver
    .notifications()
    .filter((n: CallNotification) => n.data.call.callId === callId)
    .map((n) => n.type);

describe("a call's whole life on the local stack", () => {
  it('ends `completed` with the duration the simulator played, and the CRM got every change, signed, in order, once', async () => {
    const started = Date.now();
    const { callId } = await placeCall();
    const call = await until('completed', async () => {
      const body = (await (await api(`/v1/calls/${callId}`)).json()) as { state: string; outcome: Record<string, unknown> };
      return body.state === 'completed' ? body : undefined;
    });
    const cdr = stack.simulator.cdrs().find((c) => c.custom_fields.c2c_call_id === callId)!;
    expect(call.outcome).toMatchObject({
      durationSec: cdr.duration,
      billSec: cdr.bill_duration,
      hangupCause: 'ANSWERED',
      hangupClass: 'answered',
    });
    expect(cdr).toMatchObject({ duration: 2, bill_duration: 2 });

    await until('all notifications', () => (typesOf(callId).length === LIFE.length ? true : undefined));
    expect(typesOf(callId)).toEqual(LIFE);
    const deliveries = receiver.deliveries().filter((d) => d.webhookId?.startsWith(`${callId}.`));
    expect(deliveries.every((d) => d.verified)).toBe(true);
    expect([...new Set(deliveries.map((d) => d.webhookId))]).toEqual(LIFE.map((_, i) => `${callId}.${i}`));
    console.log(`placed -> completed and notified in ${Date.now() - started} ms`);
  });

  it('loses nothing while the CRM receiver is down, and delivers everything in order when it is back', async () => {
    receiver.setDown(true);
    const { callId } = await placeCall();
    await until('completed', async () => {
      const body = (await (await api(`/v1/calls/${callId}`)).json()) as { state: string };
      return body.state === 'completed' ? true : undefined;
    });
    await until('a few refused attempts', () =>
      receiver.deliveries().filter((d) => d.webhookId === `${callId}.0` && d.status === 503).length >= 3 ? true : undefined,
    );
    expect(typesOf(callId)).toEqual([]);
    receiver.setDown(false);
    await until('all notifications after recovery', () => (typesOf(callId).length === LIFE.length ? true : undefined));
    expect(typesOf(callId)).toEqual(LIFE);
  });

  it('serves the PBX events route: a bad token is refused with 401', async () => {
    const bad = stack.pbxEventsUrl.replace(/[^/]+$/, 'not-the-token');
    const res = await fetch(`${bad}?event=Call%20End&unique_id=1.1`);
    expect(res.status).toBe(401);
  });

  it('delivers to a webhook subscription made through the API: its events, signed with its own secret, in its delivery log', async () => {
    const hook = await startWebhookReceiver({ secrets: [], onError: () => undefined });
    try {
      const made = await api('/v1/subscriptions', {
        method: 'POST',
        body: JSON.stringify({ url: hook.url, events: ['call.answered', 'call.completed'] }),
      });
      expect(made.status).toBe(201);
      const { id, secret: own } = (await made.json()) as { id: string; secret: string };
      hook.setSecrets([own]);
      const { callId } = await placeCall();
      const received = () => hook.notifications().filter((n) => n.data.call.callId === callId);
      await until('the subscription got the end', () => (received().some((n) => n.type === 'call.completed') ? true : undefined));
      expect(received().map((n) => n.type)).toEqual(['call.answered', 'call.completed']);
      expect(hook.deliveries().every((d) => d.verified)).toBe(true);
      const log = (await (await api(`/v1/subscriptions/${id}/deliveries`)).json()) as { deliveries: Array<Record<string, unknown>> };
      expect(log.deliveries.filter((d) => d.callId === callId).map((d) => [d.event, d.status, d.responseCode])).toEqual([
        ['call.completed', 'delivered', 204],
        ['call.answered', 'delivered', 204],
      ]);
    } finally {
      await hook.close();
    }
  });
});
