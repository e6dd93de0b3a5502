/**
 * PBX Stats events keep the agent's presence (lib/store/agent-presence.ts) in step with its calls: on the call from
 * its Start (or its Answer when the Start was missed) until its End. Through the handler against dynalite, with the
 * calls written straight into the ledger, as the dial leaves them.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issuePbxEventsToken } from '../../lib/calls/pbx-event-tokens';
import { RecordPbxEvent } from '../../lib/calls/pbx-events';
import { ON_CALL_MAX_SEC } from '../../lib/model/agent';
import type { Tenant } from '../../lib/model/tenant';
import { AgentPresenceRepository } from '../../lib/store/agent-presence';
import { CallRepository } from '../../lib/store/calls';
import { PbxEventRepository } from '../../lib/store/pbx-events';
import { storedCall } from '../support/calls';
import { invoke, seedTenant, startTestEnv, useEnvForHandlers, type TestEnv } from '../support/env';

let env: TestEnv;
let pbxEvents: typeof import('../../functions/pbx-events').handler;
let calls: CallRepository;
let presence: AgentPresenceRepository;
let tenant: Tenant;
let token: string;

const T = 'presence-events';

beforeAll(async () => {
  env = await startTestEnv();
  useEnvForHandlers(env);
  ({ handler: pbxEvents } = await import('../../functions/pbx-events'));
  calls = new CallRepository(env.table);
  presence = new AgentPresenceRepository(env.table);
  const live = issuePbxEventsToken();
  token = live.token;
  ({ tenant } = await seedTenant(env, { tenantId: T, pbxEvents: { tokens: [live.record] } }));
});

afterAll(async () => {
  await env?.stop();
});

const newCallId = () => `c_${randomUUID().replace(/-/g, '').toUpperCase().slice(0, 26)}`;
const newAgent = () => `u-${randomUUID().slice(0, 8)}`;
const nowSec = () => Math.floor(Date.now() / 1000);

/** A call the PBX accepted for `crmUserId`: in `dialing`, as the ledger leaves it after the dial. */
async function dialled(crmUserId: string | undefined): Promise<string> {
  const callId = newCallId();
  const agent = crmUserId ? { crmUserId, extension: '1000' } : { extension: '1000' };
  await calls.reserve(storedCall({ callId, tenantId: T, state: 'dialing', agent, crmUserId }));
  return callId;
}

async function send(callId: string, event: string, extra: Record<string, string> = {}) {
  const res = await invoke(pbxEvents, {
    method: 'GET',
    route: '/v1/pbx-events/{tenantId}/{token}',
    path: { tenantId: T, token },
    query: { c2c_call_id: callId, event, ...extra },
    headers: {},
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

const end = (callId: string) => send(callId, 'Call End', { billsec: '30', duration: '35', hangup_cause: 'NORMAL_CLEARING' });
const presenceOf = async (crmUserId: string) => (await presence.getMany(T, [crmUserId])).get(crmUserId);

describe('presence from PBX Stats events', () => {
  it('a Call Start puts the agent on the call for at most 4 hours; its Call End frees it', async () => {
    const agent = newAgent();
    const callId = await dialled(agent);
    const before = nowSec();
    await send(callId, 'Call Start');
    const onCall = await presenceOf(agent);
    expect(onCall?.busyCallId).toBe(callId);
    expect(onCall?.busyUntil).toBeGreaterThanOrEqual(before + ON_CALL_MAX_SEC);
    expect(onCall?.busyUntil).toBeLessThanOrEqual(nowSec() + ON_CALL_MAX_SEC);
    expect(await presence.take(T, agent, 'router', nowSec() + 30, nowSec(), true)).toEqual({ taken: false, why: 'on_call' });

    await send(callId, 'Call Answer');
    expect((await presenceOf(agent))?.busyCallId).toBe(callId);
    expect(await end(callId)).toMatchObject({ status: 'applied', state: 'completed' });
    const freed = await presenceOf(agent);
    expect(freed).not.toHaveProperty('busyCallId');
    expect(freed).not.toHaveProperty('busyUntil');
    expect(freed?.idleSince).toBeGreaterThanOrEqual(before);
    expect(await presence.take(T, agent, 'router', nowSec() + 30, nowSec(), true)).toMatchObject({ taken: true });
  });

  it('an Answer marks the agent on the call when the Start never came', async () => {
    const agent = newAgent();
    const callId = await dialled(agent);
    expect(await send(callId, 'Call Answer')).toMatchObject({ status: 'applied', state: 'answered' });
    expect((await presenceOf(agent))?.busyCallId).toBe(callId);
  });

  it('the End of an earlier call leaves the agent on its later call', async () => {
    const agent = newAgent();
    const first = await dialled(agent);
    const second = await dialled(agent);
    await send(first, 'Call Start');
    await send(second, 'Call Start');
    await end(first);
    expect((await presenceOf(agent))?.busyCallId).toBe(second);
    await end(second);
    expect(await presenceOf(agent)).not.toHaveProperty('busyCallId');
  });

  it('a Start or Answer that comes after the End marks nothing; a repeated End changes nothing', async () => {
    const agent = newAgent();
    const callId = await dialled(agent);
    await end(callId);
    const freed = await presenceOf(agent);
    expect(await send(callId, 'Call Answer')).toMatchObject({ status: 'unchanged', state: 'completed' });
    expect(await send(callId, 'Call Start')).toMatchObject({ status: 'unchanged', state: 'completed' });
    expect(await presenceOf(agent)).toEqual(freed);
    expect(await end(callId)).toMatchObject({ status: 'unchanged' });
    expect((await presenceOf(agent))?.busyCallId).toBeUndefined();
  });

  it('a repeated Start keeps the agent on the call', async () => {
    const agent = newAgent();
    const callId = await dialled(agent);
    await send(callId, 'Call Start');
    expect(await send(callId, 'Call Start')).toMatchObject({ status: 'unchanged', state: 'dialing' });
    expect((await presenceOf(agent))?.busyCallId).toBe(callId);
  });

  it('touches no presence for a call without a crmUserId, and marks the agent of one that has it', async () => {
    const marked: string[] = [];
    const record = new RecordPbxEvent({
      calls,
      pbxEvents: new PbxEventRepository(env.table),
      getTenant: () => Promise.resolve(tenant),
      presence: {
        markOnCall: (_t, crmUserId, callId) => Promise.resolve(void marked.push(`on ${crmUserId} ${callId}`)),
        markCallEnded: (_t, crmUserId, callId) => Promise.resolve(marked.push(`ended ${crmUserId} ${callId}`) > 0),
      },
      logger: { info: () => undefined, warn: () => undefined },
    });
    const read = (callId: string, event: string) => () => ({
      transport: 'query' as const,
      truncated: false,
      fields: { event, c2c_call_id: callId },
    });
    const anonymous = await dialled(undefined);
    expect(await record.execute({ tenantId: T, token, read: read(anonymous, 'Call Answer') })).toMatchObject({ kind: 'applied' });
    expect(await record.execute({ tenantId: T, token, read: read(anonymous, 'Call End') })).toMatchObject({ kind: 'applied' });
    const agent = newAgent();
    const named = await dialled(agent);
    await record.execute({ tenantId: T, token, read: read(named, 'Call Answer') });
    await record.execute({ tenantId: T, token, read: read(named, 'Call End') });
    expect(marked).toEqual([`on ${agent} ${named}`, `ended ${agent} ${named}`]);
  });

  it('a presence write that fails is a warning: the event is still applied', async () => {
    const agent = newAgent();
    const callId = await dialled(agent);
    const warnings: Array<[string, unknown]> = [];
    const record = new RecordPbxEvent({
      calls,
      pbxEvents: new PbxEventRepository(env.table),
      getTenant: () => Promise.resolve(tenant),
      presence: {
        markOnCall: () => Promise.reject(new Error('throttled')),
        markCallEnded: () => Promise.reject(new Error('throttled')),
      },
      logger: { info: () => undefined, warn: (message: unknown, ...extra: unknown[]) => void warnings.push([message as string, extra[0]]) },
    });
    const read = (event: string) => () => ({ transport: 'query' as const, truncated: false, fields: { event, c2c_call_id: callId } });
    expect(await record.execute({ tenantId: T, token, read: read('Call Start') })).toEqual({ kind: 'unchanged', callId, state: 'dialing' });
    expect(await record.execute({ tenantId: T, token, read: read('Call End') })).toMatchObject({ kind: 'applied', callId });
    expect(warnings).toEqual([
      ['Agent presence not updated from a PBX event', { callId, crmUserId: agent, event: 'start', error: 'Error: throttled' }],
      ['Agent presence not updated from a PBX event', { callId, crmUserId: agent, event: 'end', error: 'Error: throttled' }],
    ]);
    expect((await calls.get(T, callId))?.state).not.toBe('dialing');
  });
});
