import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENDED_STATES } from '../../integrations/zapier/src/calls';
import { startLocalStack, type LocalStack } from '../../local/stack';
import { app, appTester } from './support';
import { until as waitUntil } from '../support/until';

/**
 * The REST Hook triggers against the real subscriptions API (docs/api.md "Subscriptions"): turning a Zap on creates a
 * subscription whose URL is the Zap's hook (here a server of this test), the service delivers the call's events there,
 * signed with the subscription's secret, `perform` maps what Zapier would hand it, and turning the Zap off deletes the
 * subscription. Runs once the subscriptions API is merged (issue 21, points 1-5).
 */

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  type: string;
  callId?: string;
}

let stack: LocalStack;
let target: http.Server;
let targetUrl: string;
const endedPath = () => new URL(targetUrl).pathname;
const received: Received[] = [];

beforeAll(async () => {
  target = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const parsed = JSON.parse(body) as { type: string; data?: { call?: { callId: string } } };
      received.push({ path: req.url ?? '/', headers: req.headers, body, type: parsed.type, callId: parsed.data?.call?.callId });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"success"}');
    });
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}/hooks/standard/777/abc/`;
  stack = await startLocalStack({
    playout: { default: { outcome: 'answered', ringSec: 0.3, talkSec: 0.7 } },
    pbxWebhookMethod: 'POST_FORM',
    notifyPollMs: 100,
    env: { NOTIFY_BASE_DELAY_MS: '100', NOTIFY_MAX_DELAY_MS: '300' },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await new Promise((resolve) => target?.close(resolve));
});

const ENDED_EVENTS: readonly string[] = ENDED_STATES.map((s) => `call.${s}`);
const LIFE = ['call.accepted', 'call.dispatching', 'call.dialing', 'call.answered', 'call.completed'];
const at = (path: string, callId: string) => {
  // Each webhook-id once: a retried delivery is the same event.
  const seen = new Set<string>();
  return received.filter((r) => {
    const id = String(r.headers['webhook-id']);
    if (r.path !== path || r.callId !== callId || seen.has(id)) return false;
    seen.add(id);
    return true;
  });
};
const authData = () => ({ apiKey: stack.demo.apiKey, baseUrl: stack.apiUrl });
const zap = (id: string) => ({ zap: { id, user: { timezone: 'UTC' } } });
const api = (path: string, init: RequestInit = {}) =>
  fetch(`${stack.apiUrl}${path}`, { ...init, headers: { authorization: `Bearer ${stack.demo.apiKey}`, ...init.headers } });

/** The request as Zapier hands it to `perform`: headers other than Content-Type/Length prefixed `Http-`, in Camel-Case. */
function zapierRawRequest(delivery: Received) {
  const camel = (name: string) => name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => `${dash}${c.toUpperCase()}`);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(delivery.headers)) {
    if (typeof value !== 'string') continue;
    headers[/^content-(type|length)$/.test(name) ? camel(name) : `Http-${camel(name)}`] = value;
  }
  return { method: 'POST' as const, querystring: '', headers, content: delivery.body };
}

const until = <T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000) =>
  waitUntil(what, probe, { timeoutMs });

type SubscribeData = { id: string; secret: string };

describe('REST Hook triggers on the subscriptions API', () => {
  let ended: SubscribeData;
  let everything: SubscribeData;
  let callId: string;

  it('subscribe creates a subscription for the Zap: its hook URL, the trigger\'s events, the filter and "Zapier <zap id>"', async () => {
    ended = (await appTester(app.triggers.call_ended.operation.performSubscribe, {
      authData: authData(),
      inputData: { team: 'sales' },
      targetUrl,
      meta: zap('777'),
    })) as SubscribeData;
    expect(ended.id).toMatch(/^sub_/);
    expect(ended.secret).toMatch(/^whsec_/);
    const stored = (await (await api(`/v1/subscriptions/${ended.id}`)).json()) as Record<string, unknown>;
    expect(stored).toMatchObject({
      id: ended.id,
      url: targetUrl,
      events: ENDED_STATES.map((s) => `call.${s}`),
      filter: { team: 'sales' },
      description: 'Zapier 777',
      status: 'enabled',
    });
    expect(stored).not.toHaveProperty('secret');

    everything = (await appTester(app.triggers.call_state_changed.operation.performSubscribe, {
      authData: authData(),
      inputData: {},
      targetUrl: `${targetUrl}all/`,
      meta: zap('778'),
    })) as SubscribeData;
    expect(((await (await api(`/v1/subscriptions/${everything.id}`)).json()) as { events: string[] }).events).toEqual(['*']);
  });

  it('an event of a call placed through the app reaches the hook, signed, and perform maps it', async () => {
    const placed = await appTester(app.creates.place_call.operation.perform, {
      authData: authData(),
      inputData: { team: 'sales', to: '+44 7766 889900', leadId: 'hooks-deal-1' },
      meta: zap('779'),
    });
    callId = placed.callId;
    const completed = await until('call.completed at the ended hook', () =>
      at(endedPath(), callId).find((r) => r.type === 'call.completed'),
    );
    expect(completed.headers['webhook-id']).toMatch(new RegExp(`^${callId}\\.\\d+$`));
    const results = await appTester(app.triggers.call_ended.operation.perform, {
      authData: authData(),
      inputData: { team: 'sales' },
      subscribeData: ended,
      rawRequest: zapierRawRequest(completed),
      cleanedRequest: JSON.parse(completed.body) as object,
    });
    expect(results).toMatchObject([{ callId, event: 'call.completed', outcome: 'completed', team: 'sales', lead: { id: 'hooks-deal-1' } }]);
    expect(typeof results[0]!.durationSec).toBe('number');
  });

  it('the ended subscription got only its events; the "*" one got every state change, in order, each mapped by perform', async () => {
    const all = await until('call.completed at the "*" hook', () => {
      const mine = at(`${endedPath()}all/`, callId);
      return mine.some((r) => r.type === 'call.completed') ? mine : undefined;
    });
    expect(at(endedPath(), callId).every((r) => ENDED_EVENTS.includes(r.type))).toBe(true);
    expect(all.map((r) => r.type).filter((type) => LIFE.includes(type))).toEqual(LIFE);
    for (const delivery of all) {
      const mapped = await appTester(app.triggers.call_state_changed.operation.perform, {
        authData: authData(),
        inputData: {},
        subscribeData: everything,
        rawRequest: zapierRawRequest(delivery),
      });
      expect(mapped).toMatchObject([{ callId, event: delivery.type, id: delivery.headers['webhook-id'] }]);
    }
  });

  it("refuses a delivery checked against another subscription's secret", async () => {
    const completed = at(endedPath(), callId).find((r) => r.type === 'call.completed')!;
    const another: SubscribeData = { id: ended.id, secret: `whsec_${Buffer.alloc(32, 7).toString('base64')}` };
    await expect(
      appTester(app.triggers.call_ended.operation.perform, {
        authData: authData(),
        inputData: {},
        subscribeData: another,
        rawRequest: zapierRawRequest(completed),
      }),
    ).rejects.toThrow(/invalid_signature/);
  });

  it('a test ping reaches the hook signed, and runs no Zap', async () => {
    const res = await api(`/v1/subscriptions/${ended.id}/test`, { method: 'POST' });
    expect(res.status).toBe(200);
    const ping = await until('the ping', () => received.find((r) => r.type === 'ping'));
    const results = await appTester(app.triggers.call_ended.operation.perform, {
      authData: authData(),
      inputData: {},
      subscribeData: ended,
      rawRequest: zapierRawRequest(ping),
    });
    expect(results).toEqual([]);
  });

  it('unsubscribe deletes the subscription, and unsubscribing again is done too', async () => {
    for (const subscription of [ended, everything]) {
      const unsubscribe = () =>
        appTester(app.triggers.call_ended.operation.performUnsubscribe, {
          authData: authData(),
          subscribeData: subscription,
          meta: zap('777'),
        });
      await expect(unsubscribe()).resolves.toMatchObject({ id: subscription.id, deleted: true });
      expect((await api(`/v1/subscriptions/${subscription.id}`)).status).toBe(404);
      await expect(unsubscribe()).resolves.toMatchObject({ deleted: true });
    }
  });
});
