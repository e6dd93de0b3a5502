import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLoopbackOrigin, phaseAt } from '../../../local/pbx-sim/calls';
import { planCall } from '../../../local/pbx-sim/playout';
import { startPbxSimulator, type PbxSimulator } from '../../../local/pbx-sim/simulator';

/** What the local console's simulator panel reads: the placed calls with their playout phase, over CORS from loopback pages. */

let sim: PbxSimulator;

beforeAll(async () => {
  sim = await startPbxSimulator({
    playout: {
      default: { outcome: 'answered', ringSec: 0.2, talkSec: 1.5 },
      rules: [{ match: { extension: '1001' }, outcome: 'busy', ringSec: 60 }],
    },
  });
});

afterAll(async () => {
  await sim?.close();
});

const dial = (ext: string, callId: string) => fetch(`${sim.url}/call/100/200/${ext}/447766889900?c2c_call_id=${callId}`);
const simCalls = async (query = '', headers: Record<string, string> = {}) => {
  const res = await fetch(`${sim.url}/_sim/calls${query}`, { headers });
  return { res, body: (await res.json()) as { calls: Array<Record<string, unknown>> } };
};

describe('GET /_sim/calls', () => {
  it('lists placed calls newest first, each with its phase now: ringing, answered, ended', async () => {
    expect((await dial('1000', 'c_A')).status).toBe(200);
    expect((await dial('1001', 'c_B')).status).toBe(200);
    const { body } = await simCalls();
    expect(body.calls.map((c) => c.callId)).toEqual(['c_B', 'c_A']);
    expect(body.calls[0]).toMatchObject({
      extension: '1001',
      destination: '447766889900',
      phase: 'ringing',
      outcome: 'busy',
      hangupCause: 'BUSY',
    });
    expect(body.calls[1]).toMatchObject({ extension: '1000', phase: 'ringing', outcome: 'answered', billSec: 2 });

    await new Promise((r) => setTimeout(r, 400));
    expect((await simCalls()).body.calls[1]?.phase).toBe('answered');
    const deadline = Date.now() + 5_000;
    while ((await simCalls()).body.calls[1]?.phase !== 'ended' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect((await simCalls()).body.calls[1]).toMatchObject({ phase: 'ended', hangupCause: 'ANSWERED' });
    expect((await simCalls('?limit=1')).body.calls).toHaveLength(1);
    expect((await simCalls('?limit=0')).res.status).toBe(400);
  });

  it('lets pages served on this machine read it (CORS), and no other origin', async () => {
    const local = await simCalls('', { origin: 'http://127.0.0.1:3000' });
    expect(local.res.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:3000');
    const other = await simCalls('', { origin: 'https://evil.example' });
    expect(other.res.headers.get('access-control-allow-origin')).toBeNull();
    const write = await fetch(`${sim.url}/_sim/fault`, {
      method: 'PUT',
      headers: { origin: 'http://127.0.0.1:3000' },
      body: '{"mode":"none"}',
    });
    expect(write.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('the playout phase', () => {
  it('rings until answered, talks until the end, then is over; an unanswered call rings until it ends', () => {
    const placed = new Date('2026-03-01T10:00:00Z');
    const at = (ms: number) => new Date(placed.getTime() + ms);
    const answered = planCall({ outcome: 'answered', ringSec: 2, talkSec: 8 });
    expect([0, 1999, 2000, 9999, 10_000].map((ms) => phaseAt(answered, placed, at(ms)))).toEqual([
      'ringing',
      'ringing',
      'answered',
      'answered',
      'ended',
    ]);
    const busy = planCall({ outcome: 'busy', ringSec: 3, talkSec: 0 });
    expect([0, 2999, 3000].map((ms) => phaseAt(busy, placed, at(ms)))).toEqual(['ringing', 'ringing', 'ended']);
  });

  it('counts loopback origins only', () => {
    for (const origin of ['http://127.0.0.1:3000', 'http://localhost:3000', 'http://[::1]:3000', 'http://localhost'])
      expect(isLoopbackOrigin(origin), origin).toBe(true);
    for (const origin of [undefined, 'null', 'http://127.0.0.1.evil.example', 'http://localhost.evil.example:3000', 'http://10.0.0.1:3000'])
      expect(isLoopbackOrigin(origin), origin).toBe(false);
  });
});
