import { describe, expect, it } from 'vitest';
import { toCallResource, toEventResource } from '../../lib/calls/resource';
import { signStandardWebhook } from '../../lib/crm/standard-webhooks';
import { newCallbackSecret } from '../../lib/notify/secrets';
import { webhookIdOf, type CallNotification } from '../../lib/notify/transports/webhook';
import type { StoredCall } from '../../lib/store/calls';
import { storedCall } from '../support/calls';
import { app, appTester, rejectionOf } from './support';

/**
 * A hook trigger's `perform` on a delivery as Zapier hands it over (bundle.rawRequest, headers renamed `Http-...`):
 * signed by the service's own signer with the subscription's secret, it maps to one event; unsigned, forged, stale or
 * signed with another secret, it runs no Zap. No server: `perform` reads only the bundle.
 */

const secret = newCallbackSecret().secret;
const NOW = () => Math.floor(Date.now() / 1000);

const endedCall: StoredCall = storedCall({
  callId: 'c_ZAPIERDELIVERY0000000000001',
  tenantId: 'demo',
  state: 'completed',
  team: 'sales',
  lead: { id: 'deal-42' },
  outcome: {
    answeredAt: '2026-11-26T10:00:08.000Z',
    endedAt: '2026-11-26T10:01:35.000Z',
    durationSec: 95,
    billSec: 87,
    hangupCause: 'NORMAL_CLEARING',
    hangupClass: 'answered',
    recordingUrl: null,
  },
  events: [
    { at: '2026-11-26T10:00:00.000Z', state: 'accepted' },
    { at: '2026-11-26T10:00:00.000Z', state: 'dispatching' },
    { at: '2026-11-26T10:00:00.310Z', state: 'dialing' },
    { at: '2026-11-26T10:00:08.000Z', state: 'answered' },
    { at: '2026-11-26T10:01:35.000Z', state: 'completed' },
  ],
});

function notificationOf(call: StoredCall, sequence: number): CallNotification {
  const event = call.events[sequence]!;
  return {
    type: `call.${event.state}`,
    timestamp: event.at,
    data: { event: { sequence, ...toEventResource(event) }, call: toCallResource(call) },
  };
}

/** The request as Zapier passes it to `perform`: headers other than Content-Type prefixed `Http-`, in Camel-Case. */
function rawRequestOf(body: string, options: { id?: string; timestamp?: number; signWith?: string; signature?: string } = {}) {
  const id = options.id ?? 'c_ZAPIERDELIVERY0000000000001.4';
  const timestamp = options.timestamp ?? NOW();
  const signature = options.signature ?? signStandardWebhook(options.signWith ?? secret, id, timestamp, body);
  return {
    method: 'POST' as const,
    querystring: '',
    headers: {
      'Content-Type': 'application/json',
      'Http-Webhook-Id': id,
      'Http-Webhook-Timestamp': String(timestamp),
      'Http-Webhook-Signature': signature,
    },
    content: body,
  };
}

const bundleFor = (rawRequest: object | undefined, subscribeSecret: string | undefined = secret) => ({
  authData: { apiKey: 'c2c_demo_x', baseUrl: 'https://calls.example.com' },
  inputData: {},
  subscribeData: { id: 'sub_3fK9xQ2m', ...(subscribeSecret ? { secret: subscribeSecret } : {}) },
  ...(rawRequest ? { rawRequest, cleanedRequest: JSON.parse((rawRequest as { content: string }).content) as unknown } : {}),
});

const ended = app.triggers.call_ended.operation.perform;
const answered = app.triggers.call_answered.operation.perform;
const changed = app.triggers.call_state_changed.operation.perform;

describe('a hook trigger on a delivery', () => {
  it("maps a signed call.completed to the call's outcome, duration, agent and lead", async () => {
    const body = JSON.stringify(notificationOf(endedCall, 4));
    const results = await appTester(ended, bundleFor(rawRequestOf(body)));
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({
      id: webhookIdOf(endedCall.callId, 4),
      event: 'call.completed',
      eventAt: '2026-11-26T10:01:35.000Z',
      callId: endedCall.callId,
      state: 'completed',
      outcome: 'completed',
      durationSec: 95,
      billSec: 87,
      hangupClass: 'answered',
      agent: { crmUserId: 'u-17', extension: '1000' },
      team: 'sales',
      lead: { id: 'deal-42' },
      to: '+447766889900',
    });
  });

  it('accepts a delivery signed twice during a secret rotation when either signature is ours', async () => {
    const body = JSON.stringify(notificationOf(endedCall, 4));
    const id = webhookIdOf(endedCall.callId, 4);
    const timestamp = NOW();
    const both = `${signStandardWebhook(newCallbackSecret().secret, id, timestamp, body)} ${signStandardWebhook(secret, id, timestamp, body)}`;
    const results = (await appTester(ended, bundleFor(rawRequestOf(body, { id, timestamp, signature: both })))) as unknown[];
    expect(results).toHaveLength(1);
  });

  it('runs "Call answered" on call.answered only, and "Call state changed" on every call event', async () => {
    const answeredBody = JSON.stringify(notificationOf(endedCall, 3));
    const completedBody = JSON.stringify(notificationOf(endedCall, 4));
    const idOf = (seq: number) => ({ id: webhookIdOf(endedCall.callId, seq) });
    expect(await appTester(answered, bundleFor(rawRequestOf(answeredBody, idOf(3))))).toMatchObject([
      { event: 'call.answered', eventAt: '2026-11-26T10:00:08.000Z' },
    ]);
    expect(await appTester(answered, bundleFor(rawRequestOf(completedBody, idOf(4))))).toEqual([]);
    expect(await appTester(ended, bundleFor(rawRequestOf(answeredBody, idOf(3))))).toEqual([]);
    expect(await appTester(changed, bundleFor(rawRequestOf(answeredBody, idOf(3))))).toMatchObject([{ id: `${endedCall.callId}.3` }]);
  });

  it('runs no Zap on a ping or a subscription notice, signed as they are', async () => {
    const ping = JSON.stringify({ type: 'ping', timestamp: new Date().toISOString(), data: { subscriptionId: 'sub_3fK9xQ2m' } });
    expect(await appTester(changed, bundleFor(rawRequestOf(ping, { id: 'ping-1' })))).toEqual([]);
    const notice = JSON.stringify({
      type: 'subscription.disabled',
      timestamp: new Date().toISOString(),
      data: { subscriptionId: 'sub_x' },
    });
    expect(await appTester(changed, bundleFor(rawRequestOf(notice, { id: 'notice-1' })))).toEqual([]);
  });

  describe('refuses', () => {
    const body = JSON.stringify(notificationOf(endedCall, 4));
    const refusal = async (bundle: object) => {
      const error = await rejectionOf(appTester(ended, bundle));
      expect(error.code).toBe('invalid_signature');
      return error.message;
    };

    it('an unsigned delivery', async () => {
      const raw = rawRequestOf(body);
      const { 'Http-Webhook-Signature': _dropped, ...headers } = raw.headers;
      expect(await refusal(bundleFor({ ...raw, headers }))).toMatch(/unsigned/);
    });

    it('a delivery signed with another secret (a forgery)', async () => {
      expect(await refusal(bundleFor(rawRequestOf(body, { signWith: newCallbackSecret().secret })))).toMatch(/signature mismatch/);
    });

    it('a body changed after signing', async () => {
      const raw = rawRequestOf(body);
      const tampered = { ...raw, content: body.replace('"durationSec":95', '"durationSec":1') };
      expect(await refusal(bundleFor(tampered))).toMatch(/signature mismatch/);
    });

    it('a signed delivery replayed with another webhook-id', async () => {
      const raw = rawRequestOf(body);
      expect(await refusal(bundleFor({ ...raw, headers: { ...raw.headers, 'Http-Webhook-Id': 'other.1' } }))).toMatch(/signature mismatch/);
    });

    it('a delivery stamped more than an hour ago, or more than 5 minutes ahead', async () => {
      expect(await refusal(bundleFor(rawRequestOf(body, { timestamp: NOW() - 3601 })))).toMatch(/window/);
      expect(await refusal(bundleFor(rawRequestOf(body, { timestamp: NOW() + 301 })))).toMatch(/window/);
    });

    it('any delivery when the subscription kept no secret, or when Zapier passed no raw request', async () => {
      expect(await refusal(bundleFor(rawRequestOf(body), ''))).toMatch(/no signing secret/);
      expect(await refusal(bundleFor(undefined))).toMatch(/not passed on/);
    });
  });
});
