/**
 * The agent's presence item (lib/store/agent-presence.ts) against dynalite: what the router's take refuses and why,
 * the release that leaves the agent on the call, the PBX's Call End that frees only its own call, and the away toggle.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availabilityOf, FOREVER_SEC } from '../../lib/model/agent';
import { AgentPresenceRepository } from '../../lib/store/agent-presence';
import { startTestEnv, type TestEnv } from '../support/env';

let env: TestEnv;
let presence: AgentPresenceRepository;
const T = 'presence';
const NOW = 1_800_000_000;

beforeAll(async () => {
  env = await startTestEnv();
  presence = new AgentPresenceRepository(env.table);
});

afterAll(async () => {
  await env?.stop();
});

/** A fresh agent id per test: the tests share one table. */
const agent = () => `u-${randomUUID().slice(0, 8)}`;
const presenceOf = async (id: string) => (await presence.getMany(T, [id])).get(id);

describe('taking an agent', () => {
  it('takes a free agent once: a second holder is refused as placing_call, the same holder again is not', async () => {
    const id = agent();
    expect(await presence.take(T, id, 'call-a', NOW + 30, NOW, true)).toMatchObject({ taken: true });
    expect(await presence.take(T, id, 'call-b', NOW + 30, NOW, true)).toEqual({ taken: false, why: 'placing_call', heldBy: 'call-a' });
    expect(await presence.take(T, id, 'call-a', NOW + 40, NOW + 1, true)).toMatchObject({ taken: true });
    expect(availabilityOf(await presenceOf(id), NOW)).toBe('placing_call');
    // A lease a crashed invocation left behind runs out by itself.
    expect(await presence.take(T, id, 'call-b', NOW + 90, NOW + 41, true)).toMatchObject({ taken: true });
  });

  it('with requireFree refuses an agent on a call (on_call) and an away agent (away); without it, only a live lock refuses', async () => {
    const onCall = agent();
    await presence.markOnCall(T, onCall, 'c_1', NOW + 600);
    expect(await presence.take(T, onCall, 'call-x', NOW + 30, NOW, true)).toEqual({ taken: false, why: 'on_call' });
    expect(await presence.take(T, onCall, 'call-x', NOW + 30, NOW, false)).toMatchObject({ taken: true });

    const away = agent();
    await presence.setAvailability(T, away, false, NOW);
    expect(await presence.take(T, away, 'call-y', NOW + 30, NOW + 5, true)).toEqual({ taken: false, why: 'away' });
    expect(await presence.take(T, away, 'call-y', NOW + 30, NOW + 5, false)).toMatchObject({ taken: true });
  });

  it('says away before placing_call when both hold, and takes an agent whose call ran out', async () => {
    const id = agent();
    await presence.take(T, id, 'call-a', NOW + 30, NOW, true);
    await presence.setAvailability(T, id, false, NOW);
    expect(await presence.take(T, id, 'call-b', NOW + 30, NOW + 1, true)).toEqual({ taken: false, why: 'away' });

    const stale = agent();
    await presence.markOnCall(T, stale, 'c_old', NOW - 1);
    expect(await presence.take(T, stale, 'call-c', NOW + 30, NOW, true)).toMatchObject({ taken: true });
  });
});

describe('releasing an agent', () => {
  it('with busy, leaves the agent on that call until busy.until; without, frees it', async () => {
    const id = agent();
    await presence.take(T, id, 'call-a', NOW + 30, NOW, true);
    await presence.release(T, id, 'call-a', { callId: 'c_A', until: NOW + 90 });
    const after = await presenceOf(id);
    expect(after).toEqual({ busyCallId: 'c_A', busyUntil: NOW + 90 });
    expect(availabilityOf(after, NOW + 10)).toBe('on_call');
    expect(await presence.take(T, id, 'call-b', NOW + 30, NOW + 10, true)).toEqual({ taken: false, why: 'on_call' });
    expect(availabilityOf(after, NOW + 91)).toBe('available');

    const other = agent();
    await presence.take(T, other, 'call-a', NOW + 30, NOW, true);
    await presence.release(T, other, 'call-a');
    expect(await presenceOf(other)).toEqual({});
    expect(await presence.take(T, other, 'call-b', NOW + 30, NOW, true)).toMatchObject({ taken: true });
  });

  it("lets go of nothing it does not hold: another holder's lock stays", async () => {
    const id = agent();
    await presence.take(T, id, 'call-b', NOW + 30, NOW, true);
    await presence.release(T, id, 'call-a', { callId: 'c_A', until: NOW + 90 });
    expect(await presenceOf(id)).toEqual({ lockedUntil: NOW + 30 });
  });
});

describe("the PBX's Call Start and Call End", () => {
  it('frees the agent only on the End of the call it is on, and records when it became free', async () => {
    const id = agent();
    await presence.markOnCall(T, id, 'c_A', NOW + 4 * 3600);
    await presence.markOnCall(T, id, 'c_B', NOW + 4 * 3600);
    expect(await presence.markCallEnded(T, id, 'c_A', NOW + 60)).toBe(false);
    expect(await presenceOf(id)).toEqual({ busyCallId: 'c_B', busyUntil: NOW + 4 * 3600 });

    expect(await presence.markCallEnded(T, id, 'c_B', NOW + 120)).toBe(true);
    const after = await presenceOf(id);
    expect(after).toEqual({ idleSince: NOW + 120 });
    expect(availabilityOf(after, NOW + 121)).toBe('available');
  });

  it('takes any End once the call the agent was on ran out, and an End for an agent never seen', async () => {
    const id = agent();
    await presence.markOnCall(T, id, 'c_A', NOW + 30);
    expect(await presence.markCallEnded(T, id, 'c_Z', NOW + 31)).toBe(true);
    expect(await presenceOf(id)).toEqual({ idleSince: NOW + 31 });

    const fresh = agent();
    expect(await presence.markCallEnded(T, fresh, 'c_Q', NOW)).toBe(true);
    expect(await presenceOf(fresh)).toEqual({ idleSince: NOW });
  });

  it('keeps the away toggle when the agent goes on and off a call', async () => {
    const id = agent();
    await presence.setAvailability(T, id, false, NOW, NOW + 3600);
    await presence.markOnCall(T, id, 'c_A', NOW + 600);
    await presence.markCallEnded(T, id, 'c_A', NOW + 60);
    expect(await presenceOf(id)).toEqual({ awayFrom: NOW, awayUntil: NOW + 3600, idleSince: NOW + 60 });
  });
});

describe('the away toggle', () => {
  it('available:false is away from now until `until`, then available again', async () => {
    const id = agent();
    const set = await presence.setAvailability(T, id, false, NOW, NOW + 3600);
    expect(set).toEqual({ awayFrom: NOW, awayUntil: NOW + 3600 });
    expect(availabilityOf(set, NOW)).toBe('away');
    expect(availabilityOf(set, NOW + 3599)).toBe('away');
    expect(availabilityOf(set, NOW + 3600)).toBe('available');
    expect(await presence.take(T, id, 'call-a', NOW + 3630, NOW + 3600, true)).toMatchObject({ taken: true });
  });

  it('available:false without until is away until set back; available:true sets it back', async () => {
    const id = agent();
    expect(await presence.setAvailability(T, id, false, NOW)).toEqual({ awayFrom: NOW, awayUntil: FOREVER_SEC });
    expect(availabilityOf(await presenceOf(id), NOW + 365 * 86_400)).toBe('away');
    expect(await presence.setAvailability(T, id, true, NOW + 10)).toEqual({});
    expect(await presence.take(T, id, 'call-a', NOW + 40, NOW + 10, true)).toMatchObject({ taken: true });
  });

  it('available:true with until is available now and away from then on', async () => {
    const id = agent();
    await presence.setAvailability(T, id, false, NOW);
    const set = await presence.setAvailability(T, id, true, NOW + 5, NOW + 1800);
    expect(set).toEqual({ awayFrom: NOW + 1800, awayUntil: FOREVER_SEC });
    expect(availabilityOf(set, NOW + 5)).toBe('available');
    expect(availabilityOf(set, NOW + 1800)).toBe('away');
    expect(await presence.take(T, id, 'call-a', NOW + 40, NOW + 10, true)).toMatchObject({ taken: true });
    await presence.release(T, id, 'call-a');
    expect(await presence.take(T, id, 'call-b', NOW + 1830, NOW + 1800, true)).toEqual({ taken: false, why: 'away' });
  });

  it('leaves a lock being held as it was', async () => {
    const id = agent();
    await presence.take(T, id, 'call-a', NOW + 30, NOW, true);
    expect(await presence.setAvailability(T, id, false, NOW + 1, NOW + 600)).toEqual({
      lockedUntil: NOW + 30,
      awayFrom: NOW + 1,
      awayUntil: NOW + 600,
    });
  });
});

describe('reading and deleting presence', () => {
  it('reads many agents at once, more than one batch of 100, without the agents never seen', async () => {
    const ids = Array.from({ length: 130 }, () => agent());
    await Promise.all(ids.slice(0, 120).map((id, i) => presence.markOnCall(T, id, `c_${i}`, NOW + i)));
    const found = await presence.getMany(T, [...ids, ids[0]!]);
    expect(found.size).toBe(120);
    expect(found.get(ids[119]!)).toEqual({ busyCallId: 'c_119', busyUntil: NOW + 119 });
    expect(found.has(ids[125]!)).toBe(false);
    expect((await presence.getMany('another-tenant', ids)).size).toBe(0);
  });

  it('deletes an agent’s presence', async () => {
    const id = agent();
    await presence.setAvailability(T, id, false, NOW);
    await presence.delete(T, id);
    expect(await presenceOf(id)).toBeUndefined();
  });
});
