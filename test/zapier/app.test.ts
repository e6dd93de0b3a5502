import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/stack';
import type { ZapierCall } from '../../integrations/zapier/src/calls';
import { app, appTester, rejectionOf } from './support';
import { until as waitUntil } from '../support/until';

/**
 * The Zapier app run by the platform's app tester (its middlewares, checks and request client) against the real local
 * stack: serverless-offline serving the handlers, dynalite, the PBX simulator. What a Zap does, minus Zapier.
 */

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({
    playout: { default: { outcome: 'answered', ringSec: 0.3, talkSec: 0.7 } },
    pbxWebhookMethod: 'POST_FORM',
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

const auth = () => ({ apiKey: stack.demo.apiKey, baseUrl: stack.apiUrl });
const bundle = (inputData: Record<string, unknown>, zapId = '123456') => ({
  authData: auth(),
  inputData,
  meta: { zap: { id: zapId, user: { timezone: 'UTC' } } },
});
const dialsOf = (callId: string) => stack.simulator.requests().filter((r) => r.query.c2c_call_id === callId);

const until = <T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000) =>
  waitUntil(what, probe, { timeoutMs, intervalMs: 200 });

const place = (inputData: Record<string, unknown>, zapId?: string) =>
  appTester(app.creates.place_call.operation.perform, bundle(inputData, zapId));

describe('authentication', () => {
  it('passes with a real key and labels the connection with the tenant and the host', async () => {
    await expect(appTester(app.authentication.test, { authData: auth() })).resolves.toMatchObject({ ok: true });
    expect(await appTester(app.authentication.connectionLabel, { authData: auth() })).toBe(`demo @ ${new URL(stack.apiUrl).host}`);
  });

  it("fails with a wrong key: Zapier's expired-credentials error carrying the service's detail", async () => {
    const error = await rejectionOf(
      appTester(app.authentication.test, { authData: { ...auth(), apiKey: 'c2c_demo_NOTTHEKEYNOTTHEKEYNOTTHEKEYNOTTHEKEY' } }),
    );
    expect(error.name).toBe('ExpiredAuthError');
    expect(error.message).toMatch(/\[unauthorized\]$/);
  });

  it("sends the key to the connection's own base URL only", async () => {
    const seen: http.IncomingHttpHeaders[] = [];
    const elsewhere = http.createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    try {
      const other = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}/v1/calls`;
      await appTester(async (z) => (await z.request({ url: other })).status, { authData: auth() });
      expect(seen).toHaveLength(1);
      expect(seen[0]).not.toHaveProperty('authorization');
    } finally {
      await new Promise((resolve) => elsewhere.close(resolve));
    }
  });

  it('refuses a base URL that is not https (http only for localhost) before sending the key anywhere', async () => {
    const error = await rejectionOf(appTester(app.authentication.test, { authData: { ...auth(), baseUrl: 'http://calls.example.com' } }));
    expect(error).toMatchObject({ code: 'invalid_base_url' });
  });
});

describe('Place a call, Find calls by lead, samples', () => {
  const leadId = `zap-lead-${randomUUID().slice(0, 8)}`;
  const input = { agent: 'u-17', to: '+44 7766 889900', leadId, customData: { stage: 'won' } };
  let placed: ZapierCall;

  it('rings the PBX once, even when Zapier replays the step with the same input', async () => {
    placed = await place(input);
    expect(placed).toMatchObject({ duplicate: false, agent: { crmUserId: 'u-17' }, lead: { id: leadId }, to: '+447766889900' });
    expect(placed.idempotencyKey).toMatch(/^zapier-123456-[0-9a-f]{40}$/);
    const replay = await place({ customData: { stage: 'won' }, leadId, to: '+44 7766 889900', agent: 'u-17' });
    expect(replay).toMatchObject({ callId: placed.callId, duplicate: true });
    expect(dialsOf(placed.callId)).toHaveLength(1);
  });

  it('places another call for the same input in another Zap, or with another "Call again key"', async () => {
    const other = await place(input, '654321');
    const again = await place({ ...input, repeatKey: 'stage entered 2026-11-27' });
    expect(new Set([placed.callId, other.callId, again.callId]).size).toBe(3);
    expect(dialsOf(other.callId)).toHaveLength(1);
    expect(dialsOf(again.callId)).toHaveLength(1);
  });

  it('finds the call by its lead', async () => {
    const found = await appTester(app.searches.find_calls_by_lead.operation.perform, bundle({ leadId }));
    expect(found.map((c) => c.callId)).toContain(placed.callId);
    expect(found.every((c) => c.lead.id === leadId)).toBe(true);
  });

  it("gives each trigger samples from the tenant's recent calls (performList)", async () => {
    await until('the call ended', async () => {
      const [call] = await appTester(app.searches.find_calls_by_lead.operation.perform, bundle({ leadId }));
      return call && call.outcome === 'completed' ? call : undefined;
    });
    const list = (key: keyof typeof app.triggers, inputData = {}) => appTester(app.triggers[key].operation.performList, bundle(inputData));
    const ended = await list('call_ended');
    const cdr = stack.simulator.cdrs().find((c) => c.custom_fields.c2c_call_id === placed.callId)!;
    expect(ended.find((s) => s.callId === placed.callId)).toMatchObject({
      event: 'call.completed',
      outcome: 'completed',
      durationSec: cdr.duration,
      billSec: cdr.bill_duration,
      agent: { crmUserId: 'u-17' },
      lead: { id: leadId },
    });
    expect((await list('call_answered')).find((s) => s.callId === placed.callId)).toMatchObject({ event: 'call.answered' });
    const changed = await list('call_state_changed', { agent: 'u-17' });
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.every((s) => s.agent.crmUserId === 'u-17' && /^c_\w+\.\d+$/.test(s.id))).toBe(true);
    expect(await list('call_ended', { team: 'no-such-team' })).toEqual([]);
  });
});

describe('Cancel a call, and refusals', () => {
  it('cancels a scheduled call (and cancelling it again answers the same)', async () => {
    const notBefore = new Date(Date.now() + 24 * 3600_000).toISOString().replace('Z', '+00:00');
    const scheduled = await place({ team: 'sales', to: '+44 7766 889911', notBefore });
    expect(scheduled.state).toBe('scheduled');
    const cancel = () => appTester(app.creates.cancel_call.operation.perform, bundle({ callId: scheduled.callId }));
    expect(await cancel()).toMatchObject({ callId: scheduled.callId, state: 'cancelled', outcome: 'cancelled' });
    expect(await cancel()).toMatchObject({ state: 'cancelled' });
    expect(dialsOf(scheduled.callId)).toHaveLength(0);
  });

  it("shows the service's problem: its detail, the fields it names and its code", async () => {
    const unknownAgent = await rejectionOf(place({ agent: 'nobody-here', to: '+44 7766 889922' }));
    expect(unknownAgent).toMatchObject({ name: 'AppError', code: 'agent_not_found', status: 422 });
    expect(unknownAgent.message).toMatch(/agent/i);

    const both = await rejectionOf(place({ agent: 'u-17', team: 'sales', to: '+44 7766 889922' }));
    expect(both).toMatchObject({ code: 'invalid_request', status: 400 });
    expect(both.message).toMatch(/\(team: /);

    // JSON that is no problem (here serverless-offline's unknown route) is left to the platform's own status error.
    const notAProblem = await rejectionOf(
      appTester(async (z, b) => (await z.request({ url: `${String(b.authData.baseUrl)}/v1/nope` })).status, bundle({})),
    );
    expect(notAProblem.name).toBe('ResponseError');

    const dialled = await place({ agent: 'u-18', to: '+44 7766 889933' });
    const tooLate = await rejectionOf(appTester(app.creates.cancel_call.operation.perform, bundle({ callId: dialled.callId })));
    expect(tooLate).toMatchObject({ code: 'already_dispatched', status: 409 });
  });
});
