import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallNotification } from '../../lib/notify/deliver';
import { newCallbackSecret } from '../../lib/notify/secrets';
import { DEMO_AGENTS, DEMO_TEAM } from '../../local/seed';
import { startLocalStack, type LocalStack } from '../../local/stack';
import { startWebhookReceiver, type WebhookReceiver } from '../../local/webhook-receiver';
import { present, type ApiBody } from '../support/api-body';
import { until as waitUntil } from '../support/until';

/**
 * A team's calls on the local stack, as `npm start` runs it: five calls to the demo team of three over HTTP, the
 * scheduler on its 1 s timer, the PBX simulator playing the calls out and telling the API through its PBX Stats
 * webhooks when they end (which frees their agents), and every state delivered, signed, to a stand-in CRM.
 */

let stack: LocalStack;
let receiver: WebhookReceiver;
const secret = newCallbackSecret();
/** Calls ring 1 s and talk 3 s: the first three end while the other two wait, well within their 120 s. */
const PLAYOUT = { default: { outcome: 'answered' as const, ringSec: 1, talkSec: 3 } };
const DIALLED_LIFE = ['call.accepted', 'call.dispatching', 'call.dialing', 'call.answered', 'call.completed'];
const QUEUED_LIFE = ['call.accepted', 'call.queued', 'call.dispatching', 'call.dialing', 'call.answered', 'call.completed'];

beforeAll(async () => {
  receiver = await startWebhookReceiver({ secrets: [secret.secret] });
  // The default scheduler timer (1 s) and the default PBX Stats webhook method (GET), as `npm start` has them.
  stack = await startLocalStack({
    callback: { url: receiver.url, secrets: [secret] },
    playout: PLAYOUT,
    notifyPollMs: 100,
    env: { NOTIFY_BASE_DELAY_MS: '100', NOTIFY_MAX_DELAY_MS: '300' },
  });
  console.log(`local stack for teams ready in ${stack.startupMs} ms`);
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

const jsonOf = async (res: Response) => (await res.json()) as ApiBody;

const until = <T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000) =>
  waitUntil(what, probe, { timeoutMs });

const typesOf = (callId: string) =>
  receiver
    .notifications()
    .filter((n: CallNotification) => n.data.call.callId === callId)
    .map((n) => n.type);

/** When the call's ledger reached `state` (its event's time). */
const reachedAt = (call: ApiBody, state: string) => present(call.events?.find((e) => e.state === state)?.at, `a ${state} event`);

describe('a team of three on the local stack', () => {
  it('five calls at once: three dial three agents, two queue and dial each to an agent whose call ended; all notified, signed', async () => {
    const run = Date.now();
    const leadId = `e2e-team-${run}`;
    const answers = await Promise.all(
      [1, 2, 3, 4, 5].map(async (n) => {
        const res = await api('/v1/calls', {
          method: 'POST',
          headers: { 'idempotency-key': `${leadId}-${n}` },
          body: JSON.stringify({ team: DEMO_TEAM, to: `+44 7766 88991${n}`, maxWaitSec: 120, lead: { id: leadId } }),
        });
        return { status: res.status, body: await jsonOf(res) };
      }),
    );
    const dialled = answers.filter((a) => a.status === 201).map((a) => a.body);
    const queued = answers.filter((a) => a.status === 202).map((a) => a.body);
    expect(answers.map((a) => a.status).sort()).toEqual([201, 201, 201, 202, 202]);
    for (const call of dialled) {
      expect(call).toMatchObject({ state: 'dialing', team: DEMO_TEAM, routing: { team: DEMO_TEAM, chosen: call.agent?.crmUserId } });
    }
    expect(new Set(dialled.map((c) => c.agent?.crmUserId))).toEqual(new Set(DEMO_AGENTS.map((a) => a.crmUserId)));
    for (const call of queued) {
      expect(call).toMatchObject({ state: 'queued', team: DEMO_TEAM, queue: { maxWaitSec: 120 }, routing: { chosen: null } });
      // Every member was passed over, each for being busy with one of the three calls just placed.
      expect(call.routing?.passedOver.map((p) => p.reason).every((r) => r === 'placing_call' || r === 'on_call')).toBe(true);
    }
    const firstDials = stack.simulator.requests().filter((r) => dialled.some((c) => c.callId === r.query.c2c_call_id));
    expect(firstDials.map((r) => r.legA).sort()).toEqual(['1000', '1001', '1002']);

    // The simulator plays the first three out; their Call End webhooks free the agents, and the scheduler's timer
    // dials the two queued calls.
    const queuedIds = queued.map((c) => present(c.callId, 'callId'));
    const later = await until('both queued calls dialled', async () => {
      const reads = await Promise.all(queuedIds.map(async (id) => jsonOf(await api(`/v1/calls/${id}`))));
      return reads.every((c) => c.events?.some((e) => e.state === 'dialing')) ? reads : undefined;
    });
    const firstByAgent = new Map(dialled.map((c) => [c.agent?.crmUserId, present(c.callId, 'callId')]));
    for (const call of later) {
      const agent = present(call.agent?.crmUserId, 'agent.crmUserId');
      expect(call.routing).toMatchObject({ team: DEMO_TEAM, chosen: agent });
      // The agent's first call had ended (its Call End reached the API) before this one was sent to the agent.
      const first = await jsonOf(await api(`/v1/calls/${firstByAgent.get(agent)}`));
      expect(first.state).toBe('completed');
      expect(Date.parse(reachedAt(first, 'completed'))).toBeLessThanOrEqual(Date.parse(reachedAt(call, 'dispatching')));
    }
    expect(new Set(later.map((c) => c.agent?.crmUserId)).size).toBe(2);
    const allIds = answers.map((a) => present(a.body.callId, 'callId'));
    const gets = stack.simulator.requests().filter((r) => allIds.includes(r.query.c2c_call_id ?? ''));
    expect(gets).toHaveLength(5);
    expect(new Set(gets.map((r) => r.query.c2c_call_id)).size).toBe(5);
    for (const call of later) {
      expect(gets.find((r) => r.query.c2c_call_id === call.callId)?.legA).toBe(call.agent?.extension);
    }

    // The list shows all five with their team and routing.
    const list = await jsonOf(await api(`/v1/calls?leadId=${leadId}`));
    expect(list.calls?.map((c) => c.callId).sort()).toEqual([...allIds].sort());
    for (const call of list.calls ?? []) {
      expect(call).toMatchObject({ team: DEMO_TEAM, routing: { team: DEMO_TEAM, chosen: call.agent?.crmUserId } });
    }

    // The stand-in CRM got every state of every call, signed, in order: the queued ones with `call.queued` first.
    await until('every notification', () =>
      [
        ...dialled.map((c) => typesOf(c.callId!).length === DIALLED_LIFE.length),
        ...queuedIds.map((id) => typesOf(id).length === QUEUED_LIFE.length),
      ].every(Boolean)
        ? true
        : undefined,
    );
    for (const call of dialled) expect(typesOf(call.callId!)).toEqual(DIALLED_LIFE);
    for (const id of queuedIds) expect(typesOf(id)).toEqual(QUEUED_LIFE);
    const deliveries = receiver.deliveries().filter((d) => allIds.some((id) => d.webhookId?.startsWith(`${id}.`)));
    expect(deliveries.length).toBeGreaterThanOrEqual(3 * DIALLED_LIFE.length + 2 * QUEUED_LIFE.length);
    expect(deliveries.every((d) => d.verified)).toBe(true);
  }, 60_000);

  it('a scheduled team call cancelled over HTTP never dials; the CRM hears call.scheduled, then call.cancelled', async () => {
    const notBefore = new Date(Date.now() + 3_600_000).toISOString();
    const placed = await api('/v1/calls', {
      method: 'POST',
      headers: { 'idempotency-key': `e2e-team-cancel-${Date.now()}` },
      body: JSON.stringify({ team: DEMO_TEAM, to: '+44 7766 889920', notBefore }),
    });
    expect(placed.status).toBe(202);
    const call = await jsonOf(placed);
    expect(call).toMatchObject({ state: 'scheduled', schedule: { notBefore, reason: 'requested' } });
    const callId = present(call.callId, 'callId');
    const cancelled = await api(`/v1/calls/${callId}`, { method: 'DELETE' });
    expect(cancelled.status).toBe(200);
    expect((await jsonOf(cancelled)).state).toBe('cancelled');
    // A few scheduler ticks pass: nothing is sent for it.
    await new Promise((r) => setTimeout(r, 2_500));
    expect(stack.simulator.requests().filter((r) => r.query.c2c_call_id === callId)).toHaveLength(0);
    expect((await jsonOf(await api(`/v1/calls/${callId}`))).state).toBe('cancelled');
    await until('the cancel notified', () => (typesOf(callId).length === 3 ? true : undefined), 10_000);
    expect(typesOf(callId)).toEqual(['call.accepted', 'call.scheduled', 'call.cancelled']);
    expect(
      receiver
        .deliveries()
        .filter((d) => d.webhookId?.startsWith(`${callId}.`))
        .every((d) => d.verified),
    ).toBe(true);
  }, 30_000);
});
