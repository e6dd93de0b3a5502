import { describe, expect, it } from 'vitest';
import { emptyOutcome, type CallState } from '../../../lib/model/call';
import {
  callLogBodyOf,
  leadFieldOf,
  pipedriveOutcomeOf,
  pipedriveTime,
  UnloggableCallError,
  type PipedriveOutcome,
} from '../../../lib/notify/transports/pipedrive-fields';
import type { StoredCall } from '../../../lib/store/calls';
import { storedCall } from '../../support/calls';

/** The pure mapping of a call onto Pipedrive's call log (docs/crm-logging.md, "Pipedrive"). */

const finalCall = (overrides: Partial<StoredCall> = {}): StoredCall =>
  storedCall({
    callId: 'c-0001',
    tenantId: 't-1',
    state: 'completed',
    agent: { crmUserId: '17', email: 'ann@example.com' },
    lead: { id: '301' },
    createdAt: '2025-03-04T10:00:00.000Z',
    events: [
      { at: '2025-03-04T10:00:00.000Z', state: 'accepted' },
      { at: '2025-03-04T10:00:01.000Z', state: 'dispatching' },
      { at: '2025-03-04T10:00:02.250Z', state: 'dialing' },
      { at: '2025-03-04T10:00:09.000Z', state: 'answered' },
      { at: '2025-03-04T10:01:32.000Z', state: 'completed' },
    ],
    outcome: {
      ...emptyOutcome(),
      answeredAt: '2025-03-04T10:00:09.000Z',
      endedAt: '2025-03-04T10:01:31.900Z',
      durationSec: 90,
      billSec: 83,
      hangupClass: 'answered',
      hangupCause: 'NORMAL_CLEARING',
    },
    ...overrides,
  });

describe('Pipedrive outcome of each final state', () => {
  const rows: Array<[CallState, string | null, 'answered' | 'busy' | 'no_answer' | 'failed' | null, PipedriveOutcome]> = [
    ['completed', null, 'answered', 'connected'],
    ['no_answer', null, 'no_answer', 'no_answer'],
    ['busy', null, 'busy', 'busy'],
    ['failed', null, 'busy', 'busy'],
    ['failed', null, 'no_answer', 'no_answer'],
    ['failed', null, 'failed', 'no_answer'],
    ['failed', null, null, 'no_answer'],
    ['rejected', 'invalid_number', null, 'wrong_number'],
    ['rejected', 'pbx_rejected', null, 'no_answer'],
    ['rejected', 'outside_calling_hours', null, 'no_answer'],
    ['not_sent', 'pbx_unreachable', null, 'no_answer'],
    ['cancelled', 'cancelled_by_user', null, 'no_answer'],
  ];
  it.each(rows)('%s (reason %s, hangup class %s) is %s', (state, reason, hangupClass, expected) => {
    expect(pipedriveOutcomeOf({ state, reason, outcome: { ...emptyOutcome(), hangupClass } })).toBe(expected);
  });
});

describe('the call log body', () => {
  it('an answered call: connected, UTC times in Pipedrive format, talk seconds as a string, owner and person', () => {
    const body = callLogBodyOf(finalCall());
    expect(body).toMatchObject({
      outcome: 'connected',
      to_phone_number: '+447766889900',
      start_time: '2025-03-04 10:00:02',
      end_time: '2025-03-04 10:01:31',
      duration: '83',
      user_id: 17,
      person_id: 301,
      subject: 'Outbound call (answered)',
    });
    expect(Object.keys(body).sort()).toEqual(
      ['duration', 'end_time', 'note', 'outcome', 'person_id', 'start_time', 'subject', 'to_phone_number', 'user_id'].sort(),
    );
    expect(body.note).toContain('c2c-call-id: c-0001');
    expect(body.note).toContain('Agent: ann@example.com');
  });

  it('a call that never connected talked 0 s and ends at its final event when the PBX gave no end', () => {
    const call = finalCall({
      state: 'no_answer',
      outcome: { ...emptyOutcome(), durationSec: 30, billSec: 0, hangupClass: 'no_answer' },
      events: [
        { at: '2025-03-04T10:00:02.000Z', state: 'dialing' },
        { at: '2025-03-04T10:00:32.000Z', state: 'no_answer' },
      ],
    });
    expect(callLogBodyOf(call)).toMatchObject({
      outcome: 'no_answer',
      duration: '0',
      start_time: '2025-03-04 10:00:02',
      end_time: '2025-03-04 10:00:32',
    });
  });

  it('a call refused before dialling starts at its creation and never ends before it starts', () => {
    const call = finalCall({
      state: 'rejected',
      reason: 'invalid_number',
      outcome: emptyOutcome(),
      createdAt: '2025-03-04T10:00:05.000Z',
      events: [{ at: '2025-03-04T10:00:04.000Z', state: 'rejected' }],
    });
    expect(callLogBodyOf(call)).toMatchObject({
      outcome: 'wrong_number',
      start_time: '2025-03-04 10:00:05',
      end_time: '2025-03-04 10:00:05',
    });
    expect(callLogBodyOf(call).note).toContain('reason: invalid_number');
  });

  it('the recording URL is in the note, escaped; a URL that is not http(s) is left out', () => {
    const withRecording = callLogBodyOf(
      finalCall({ outcome: { ...finalCall().outcome, recordingUrl: 'https://rec.example/a?b=1&c="2"' } }),
    );
    expect(withRecording.note).toContain('<a href="https://rec.example/a?b=1&amp;c=&quot;2&quot;">');
    const scripted = callLogBodyOf(finalCall({ outcome: { ...finalCall().outcome, recordingUrl: 'javascript:alert(1)' } }));
    expect(scripted.note).not.toContain('javascript');
  });

  it('what others wrote (agent email, reason) is escaped in the HTML note', () => {
    const body = callLogBodyOf(finalCall({ agent: { email: '<b>x</b>@example.com' }, reason: '<img src=x>' }));
    expect(body.note).toContain('&lt;b&gt;x&lt;/b&gt;@example.com');
    expect(body.note).not.toContain('<img');
  });

  it('an agent without a numeric Pipedrive user id leaves the owner to the token user', () => {
    expect(callLogBodyOf(finalCall({ agent: { crmUserId: 'u-17' } }))).not.toHaveProperty('user_id');
  });
});

describe('the record a call is logged on', () => {
  it.each([
    [{ id: '5' }, { person_id: 5 }],
    [{ id: '5', type: 'person' }, { person_id: 5 }],
    [{ id: '6', type: 'organization' }, { org_id: 6 }],
    [{ id: '7', type: 'deal' }, { deal_id: 7 }],
    [{ id: 'ADB8E9C0-1234-4ABC-8DEF-0123456789AB', type: 'lead' }, { lead_id: 'adb8e9c0-1234-4abc-8def-0123456789ab' }],
  ])('%o fills %o', (lead, expected) => {
    expect(leadFieldOf(lead)).toEqual(expected);
  });

  it.each([
    [{ id: 'abc' }, /positive integer/],
    [{ id: '0', type: 'deal' }, /positive integer/],
    [{ id: '12', type: 'lead' }, /UUID/],
    [{ id: '12', type: 'contact' }, /not a Pipedrive record kind/],
  ])('%o cannot be logged (%s)', (lead, words) => {
    expect(() => leadFieldOf(lead)).toThrow(UnloggableCallError);
    expect(() => leadFieldOf(lead)).toThrow(words);
  });

  it('a call without a lead cannot be logged', () => {
    expect(() => callLogBodyOf(finalCall({ lead: null }))).toThrow(UnloggableCallError);
  });
});

describe('Pipedrive time', () => {
  it('is UTC without zone or fraction', () => {
    expect(pipedriveTime('2025-12-31T23:59:59.999+00:00')).toBe('2025-12-31 23:59:59');
    expect(pipedriveTime('2025-06-01T02:00:00+02:00')).toBe('2025-06-01 00:00:00');
  });
  it('refuses what is not a time', () => {
    expect(() => pipedriveTime('yesterday')).toThrow(UnloggableCallError);
  });
});
