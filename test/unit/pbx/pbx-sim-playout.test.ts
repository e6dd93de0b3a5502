import { describe, expect, it } from 'vitest';
import { createCdr } from '../../../local/pbx-sim/cdr';
import { planCall, PlayoutTable } from '../../../local/pbx-sim/playout';
import { webhookParams, webhooksBodySchema } from '../../../local/pbx-sim/webhooks';
import { containing } from '../../support/match';

const call = {
  uniqueId: '1772359200.1001',
  legA: '1000',
  legB: '447766889900',
  customFields: { c2c_call_id: 'c_A', leadid: '7' },
  placedAt: new Date('2026-03-01T10:00:00Z'),
};

describe('simulator playout', () => {
  it('resolves the first matching rule by extension or number, else the default', () => {
    const table = new PlayoutTable();
    table.set({
      default: { outcome: 'answered', ringSec: 1, talkSec: 5 },
      rules: [
        { match: { extension: '1001' }, outcome: 'busy', ringSec: 0.5, talkSec: 0 },
        { match: { number: '+447766889911' }, outcome: 'no_answer', ringSec: 30, talkSec: 0 },
      ],
    });
    expect(table.resolve({ legA: '1001', legB: '447766889900' }).outcome).toBe('busy');
    expect(table.resolve({ legA: '1000', legB: '447766889911' }).outcome).toBe('no_answer');
    expect(table.resolve({ legA: '1000', legB: '447766889900' })).toMatchObject({ outcome: 'answered', talkSec: 5 });
    table.reset();
    expect(table.resolve({ legA: '1001', legB: '1' })).toMatchObject({ outcome: 'answered', ringSec: 2, talkSec: 40 });
  });

  it('refuses a rule that matches nothing', () => {
    expect(() => new PlayoutTable().set({ rules: [{ match: {}, outcome: 'busy' } as never] })).toThrow();
  });

  it('plans answered calls with billed talk, the others with none, counting started seconds', () => {
    expect(planCall({ outcome: 'answered', ringSec: 0.2, talkSec: 1.2 })).toEqual({
      outcome: 'answered',
      answerAfterMs: 200,
      endAfterMs: 1400,
      durationSec: 2,
      billSec: 2,
      hangupCause: 'ANSWERED',
    });
    expect(planCall({ outcome: 'no_answer', ringSec: 30, talkSec: 99 })).toEqual({
      outcome: 'no_answer',
      endAfterMs: 30_000,
      durationSec: 30,
      billSec: 0,
      hangupCause: 'NO ANSWER',
    });
    expect(planCall({ outcome: 'failed', ringSec: 0, talkSec: 0, hangupCause: 'Custom' }).hangupCause).toBe('Custom');
  });

  it('makes the CDR from the same plan', () => {
    const cdr = createCdr(call, planCall({ outcome: 'busy', ringSec: 3, talkSec: 0 }));
    expect(cdr).toMatchObject({
      duration: 3,
      bill_duration: 0,
      hangup_cause: 'BUSY',
      recording_link: '',
      call_end: '2026-03-01T10:00:03.000Z',
    });
  });

  it("sends the CDR's figures and the Click2Call custom data with each event", () => {
    const plan = planCall({ outcome: 'answered', ringSec: 2, talkSec: 40 });
    expect(webhookParams('start', call, plan, { account: 'x' })).toEqual({
      account: 'x',
      c2c_call_id: 'c_A',
      leadid: '7',
      event: 'Call Start',
      uniqueid: call.uniqueId,
      extension: '1000',
      destination: '447766889900',
      call_start: '2026-03-01 10:00:00',
    });
    expect(webhookParams('end', call, plan, {})).toMatchObject({
      event: 'Call End',
      call_answer: '2026-03-01 10:00:02',
      call_end: '2026-03-01 10:00:42',
      duration: '42',
      bill_duration: '40',
      hangup_cause: 'ANSWERED',
      recording_link: containing(call.uniqueId),
    });
  });

  it("takes one webhook or a list, with PBX Stats' defaults", () => {
    expect(webhooksBodySchema.parse({ url: 'http://x/y' }).webhooks).toEqual([
      expect.objectContaining({ method: 'GET', retries: 3, delaySec: 0, events: ['start', 'answer', 'end'] }),
    ]);
    expect(webhooksBodySchema.parse({ webhooks: [] }).webhooks).toEqual([]);
    expect(() => webhooksBodySchema.parse({ url: 'http://x', method: 'PUT' })).toThrow();
  });
});
