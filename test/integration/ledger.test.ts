import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callIdFor } from '../../lib/calls/request';
import { CallRepository, type StoredCall } from '../../lib/store/calls';
import { storedCall } from '../support/calls';
import { startTestEnv, type TestEnv } from '../support/env';

let env: TestEnv;
let calls: CallRepository;

beforeAll(async () => {
  env = await startTestEnv();
  calls = new CallRepository(env.table);
});

afterAll(async () => {
  await env?.stop();
});

function callFor(key: string, requestHash = 'h1'): StoredCall {
  const call = storedCall({ callId: callIdFor('ledger', key), tenantId: 'ledger', state: 'dispatching', idempotencyKey: key, requestHash });
  return { ...call, events: [...call.events, { at: call.createdAt, state: 'dispatching' }] };
}

describe('the reservation against dynalite', () => {
  it('two concurrent reservations of one key: exactly one wins, the other sees the winner', async () => {
    const [a, b] = await Promise.all([calls.reserve(callFor('k-two')), calls.reserve(callFor('k-two', 'h2'))]);
    const outcomes = [a, b];
    expect(outcomes.filter((o) => o.reserved)).toHaveLength(1);
    const loser = outcomes.find((o) => !o.reserved);
    expect(loser && !loser.reserved && loser.existing.callId).toBe(callIdFor('ledger', 'k-two'));
  });

  it('fifty concurrent reservations of one key: exactly one wins', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, () => calls.reserve(callFor('k-fifty'))));
    expect(results.filter((o) => o.reserved)).toHaveLength(1);
  });

  it('only the holder of dispatching records the answer, and a state never moves back', async () => {
    const call = callFor('k-moves');
    await calls.reserve(call);
    const dialing = await calls.transition('ledger', call.callId, { from: ['dispatching'], to: 'dialing', attempt: 1 });
    expect(dialing?.state).toBe('dialing');
    expect(await calls.transition('ledger', call.callId, { from: ['dispatching'], to: 'unknown', attempt: 1 })).toBeUndefined();
    const completed = await calls.transition('ledger', call.callId, { from: ['dialing', 'answered'], to: 'completed' });
    expect(completed?.events.map((e) => e.state)).toEqual(['accepted', 'dispatching', 'dialing', 'completed']);
    expect(await calls.transition('ledger', call.callId, { from: ['dialing'], to: 'answered' })).toBeUndefined();
    expect((await calls.get('ledger', call.callId))?.state).toBe('completed');
  });

  it('a not_sent call is claimed again by exactly one of many concurrent retries', async () => {
    const call = callFor('k-retry');
    await calls.reserve(call);
    await calls.transition('ledger', call.callId, { from: ['dispatching'], to: 'not_sent', attempt: 1 });
    const claims = await Promise.all(Array.from({ length: 10 }, () => calls.redispatch('ledger', call.callId, call.requestHash, 1)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(claims.find(Boolean)?.attempt).toBe(2);
    expect(await calls.redispatch('ledger', call.callId, 'another-hash', 2)).toBeUndefined();
  });
});
