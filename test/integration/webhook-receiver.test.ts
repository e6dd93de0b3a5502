import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signStandardWebhook } from '../../lib/crm/standard-webhooks';
import { newCallbackSecret } from '../../lib/notify/secrets';
import { describeDelivery, startWebhookReceiver, type ReceivedDelivery, type WebhookReceiver } from '../../local/webhook-receiver';

/**
 * The stand-in CRM of `npm start`: whatever reaches it (a call notification, the doctor's ping, junk, a forgery),
 * it answers, prints one `[crm]` line, and keeps listening. Before, a ping or a signed non-JSON body threw out of
 * its handler and ended the whole local stack.
 */
const secret = newCallbackSecret();
let receiver: WebhookReceiver;
let lines: string[];
let faults: unknown[];

beforeEach(async () => {
  lines = [];
  faults = [];
  receiver = await startWebhookReceiver({
    secrets: [secret.secret],
    onDelivery: (delivery, parsed) => lines.push(describeDelivery(delivery, parsed)),
    onError: (error) => faults.push(error),
  });
});

afterEach(async () => {
  await receiver.close();
});

let seq = 0;
async function deliver(body: string, options: { sign?: boolean; id?: string } = {}): Promise<number> {
  const id = options.id ?? `msg_${++seq}`;
  const ts = Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts) };
  headers['webhook-signature'] = options.sign === false ? 'v1,AAAA' : signStandardWebhook(secret.secret, id, ts, body);
  const res = await fetch(receiver.url, { method: 'POST', headers, body });
  return res.status;
}

const callNotification = (type: string, callId: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    type,
    timestamp: new Date().toISOString(),
    data: { event: { state: type.slice(5), sequence: 0 }, call: { callId, ...extra } },
  });

describe('the stand-in CRM', () => {
  it('answers the doctor’s ping 204 and prints it, keeping no call notification', async () => {
    const ping = JSON.stringify({
      type: 'ping',
      timestamp: new Date().toISOString(),
      data: { tenantId: 'demo', reason: 'c2c doctor: checking the callback URL' },
    });
    expect(await deliver(ping, { id: 'ping_0123456789abcdef' })).toBe(204);
    expect(receiver.notifications()).toEqual([]);
    expect(lines).toEqual([expect.stringMatching(/^\[crm\] ping +tenant demo {2}webhook-id ping_0123456789abcdef/)]);
    expect(faults).toEqual([]);
  });

  it('prints each call notification once, with the talk time of call.completed, and marks a copy as ignored', async () => {
    expect(await deliver(callNotification('call.dialing', 'c_A'), { id: 'c_A.0' })).toBe(204);
    expect(await deliver(callNotification('call.completed', 'c_A', { outcome: { billSec: 8 } }), { id: 'c_A.3' })).toBe(204);
    expect(await deliver(callNotification('call.completed', 'c_A', { outcome: { billSec: 8 } }), { id: 'c_A.3' })).toBe(204);
    expect(receiver.notifications().map((n) => n.type)).toEqual(['call.dialing', 'call.completed']);
    expect(lines).toEqual([
      '[crm] call.dialing     c_A  webhook-id c_A.0',
      '[crm] call.completed   c_A  webhook-id c_A.3  (8 s talk)',
      '[crm] call.completed   c_A  webhook-id c_A.3  (8 s talk)  (a copy already received: ignored)',
    ]);
  });

  it('survives malformed deliveries: a signed body that is not JSON, a call type without a call, a forgery', async () => {
    expect(await deliver('{"type":"call.completed", "data":')).toBe(400);
    expect(await deliver(JSON.stringify({ type: 'call.answered', data: {} }))).toBe(204);
    expect(await deliver(JSON.stringify([1, 2, 3]))).toBe(400);
    expect(await deliver(callNotification('call.dialing', 'c_B'), { sign: false })).toBe(401);
    expect(receiver.notifications()).toEqual([]);
    expect(lines).toEqual([
      expect.stringMatching(/^\[crm\] malformed .* refused: HTTP 400 malformed_body$/),
      expect.stringMatching(/^\[crm\] call\.answered +webhook-id msg_\d+$/),
      expect.stringMatching(/^\[crm\] malformed .* refused: HTTP 400 malformed_body$/),
      expect.stringMatching(/^\[crm\] call\.dialing .* refused: HTTP 401 signature_mismatch$/),
    ]);
    // Still listening, and a good notification still lands.
    expect(await deliver(callNotification('call.dialing', 'c_C'))).toBe(204);
    expect(receiver.notifications().map((n) => n.data.call.callId)).toEqual(['c_C']);
  });

  it('contains a callback that throws: the delivery is answered, the fault reported, the receiver keeps serving', async () => {
    const throwing = await startWebhookReceiver({
      secrets: [secret.secret],
      onNotification: () => {
        throw new Error('bug in the demo printer');
      },
      onDelivery: () => {
        throw new Error('bug in the line printer');
      },
      onError: (error) => faults.push(error),
    });
    try {
      const id = 'c_D.0';
      const body = callNotification('call.dialing', 'c_D');
      const ts = Math.floor(Date.now() / 1000);
      const headers = {
        'webhook-id': id,
        'webhook-timestamp': String(ts),
        'webhook-signature': signStandardWebhook(secret.secret, id, ts, body),
      };
      expect((await fetch(throwing.url, { method: 'POST', headers, body })).status).toBe(204);
      expect((await fetch(throwing.url, { method: 'POST', headers, body })).status).toBe(204);
      expect(faults.map((f) => (f as Error).message)).toEqual([
        'bug in the demo printer',
        'bug in the line printer',
        'bug in the line printer',
      ]);
      expect(throwing.notifications()).toHaveLength(1);
    } finally {
      await throwing.close();
    }
  });

  it('never prints more of a stranger’s body than a cut-down type and id', () => {
    const delivery: ReceivedDelivery = {
      at: '',
      webhookId: 'x\u001b[2J'.repeat(30),
      verified: false,
      status: 401,
      body: '',
      type: 'call.\u001b[31m+447766889900 whole number',
      refused: 'signature_mismatch',
    };
    const line = describeDelivery(delivery, {});
    expect(line).not.toMatch(/\u001b/);
    expect(line).not.toContain('447766889900');
    expect(line).toMatch(/\*{6,}900/);
    expect(line.length).toBeLessThan(200);
  });
});
