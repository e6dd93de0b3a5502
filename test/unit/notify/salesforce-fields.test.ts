import { describe, expect, it } from 'vitest';
import { emptyOutcome, type CallState } from '../../../lib/model/call';
import {
  errorWordsOf,
  isSalesforceId,
  maskDigitRuns,
  lookupQuery,
  relationOf,
  soqlString,
  taskDescribeProblems,
  taskFieldsOf,
  type TaskFields,
} from '../../../lib/notify/transports/salesforce-fields';
import type { SequencedEvent } from '../../../lib/notify/transport';
import { maskNumber } from '../../../lib/policy/phone';
import type { StoredCall } from '../../../lib/store/calls';
import { CALL_CENTER_FIELDS, TASK_FIELDS, taskDescribe } from '../../../local/crm-fakes/salesforce-task';
import { storedCall } from '../../support/calls';

const LEAD = '00Q5g00000AbCdE';
const USER = '0055g00000XyZ12';

function finalCall(state: CallState, outcome: Partial<StoredCall['outcome']> = {}, overrides: Partial<StoredCall> = {}): StoredCall {
  return storedCall({
    callId: 'c-7f3a',
    tenantId: 'acme',
    state,
    lead: { id: LEAD },
    agent: { crmUserId: USER, extension: '1000' },
    outcome: { ...emptyOutcome(), ...outcome },
    events: [
      { at: '2026-03-02T09:59:58.000Z', state: 'accepted' },
      { at: '2026-03-02T10:00:00.000Z', state: 'dialing' },
      { at: '2026-03-02T10:01:00.000Z', state },
    ],
    ...overrides,
  });
}
const finalEvent = (call: StoredCall): SequencedEvent => ({ ...call.events.at(-1)!, sequence: call.events.length - 1 });
const fieldsOf = (call: StoredCall) => taskFieldsOf(call, finalEvent(call)) as TaskFields;

describe('the Task of a call: each final state and hangup class', () => {
  const rows: Array<{ state: CallState; outcome: Partial<StoredCall['outcome']>; disposition: string; seconds: number }> = [
    { state: 'completed', outcome: { hangupClass: 'answered', billSec: 42, durationSec: 55 }, disposition: 'Connected', seconds: 42 },
    { state: 'completed', outcome: { hangupClass: 'answered', billSec: 41.6 }, disposition: 'Connected', seconds: 42 },
    {
      state: 'completed',
      outcome: { hangupClass: 'answered', answeredAt: '2026-03-02T10:00:10.000Z', endedAt: '2026-03-02T10:00:40.000Z' },
      disposition: 'Connected',
      seconds: 30,
    },
    { state: 'no_answer', outcome: { hangupClass: 'no_answer', billSec: 0, durationSec: 30 }, disposition: 'No answer', seconds: 0 },
    { state: 'busy', outcome: { hangupClass: 'busy', hangupCause: 'USER_BUSY', durationSec: 3 }, disposition: 'Busy', seconds: 0 },
    { state: 'failed', outcome: { hangupClass: 'failed', hangupCause: 'CALL_REJECTED' }, disposition: 'Failed', seconds: 0 },
    { state: 'rejected', outcome: {}, disposition: 'Rejected', seconds: 0 },
    { state: 'not_sent', outcome: {}, disposition: 'Not sent', seconds: 0 },
    { state: 'cancelled', outcome: {}, disposition: 'Cancelled', seconds: 0 },
  ];

  it.each(rows)('$state ($outcome.hangupClass) → CallDisposition $disposition, $seconds s', ({ state, outcome, disposition, seconds }) => {
    const { create, update } = fieldsOf(finalCall(state, outcome));
    expect(create).toEqual({
      TaskSubtype: 'Call',
      CallType: 'Outbound',
      Status: 'Completed',
      Subject: `Outbound call: ${disposition}`,
      ActivityDate: '2026-03-02',
      CallDisposition: disposition,
      CallDurationInSeconds: seconds,
      CallObject: 'c-7f3a',
      Description: expect.stringContaining('Click-to-call id: c-7f3a') as string,
      WhoId: LEAD,
      OwnerId: USER,
    });
    // An update sends the same facts but the one field Salesforce sets on create only.
    const { TaskSubtype: _subtype, ...rest } = create;
    expect(update).toEqual(rest);
  });

  it('writes the number, the agent, the cause, the reason and the recording into the description', () => {
    const call = finalCall(
      'failed',
      { hangupCause: 'CALL_REJECTED', recordingUrl: 'https://rec.example/1.mp3' },
      { reason: 'pbx_rejected' },
    );
    const description = String(fieldsOf(call).create.Description);
    expect(description).toContain('+447766889900');
    expect(description).toContain(USER);
    expect(description).toContain('Hangup cause: CALL_REJECTED');
    expect(description).toContain('Reason: pbx_rejected');
    expect(description).toContain('Recording: https://rec.example/1.mp3');
  });

  it('dates the Task by the day the call was dialled, in UTC', () => {
    const call = finalCall('completed', { billSec: 5 }, {});
    call.events[1] = { at: '2026-03-01T23:30:00.000-05:00', state: 'dialing' };
    expect(fieldsOf(call).create.ActivityDate).toBe('2026-03-02');
    const never = finalCall('not_sent', {}, { events: [{ at: '2026-04-05T08:00:00.000Z', state: 'not_sent' }] });
    expect(fieldsOf(never).create.ActivityDate).toBe('2026-04-05');
  });

  it('cuts the Subject, the disposition and CallObject to 255, the Description to 32,000 characters', () => {
    const long = finalCall('completed', { recordingUrl: `https://rec.example/${'x'.repeat(40_000)}` }, { callId: 'c'.repeat(300) });
    const { create } = fieldsOf(long);
    expect(String(create.CallObject)).toHaveLength(255);
    expect(String(create.Description)).toHaveLength(32_000);
  });
});

describe('the record a Task is logged on, and its owner', () => {
  it.each([
    ['00Q5g00000AbCdE', 'WhoId', 'Lead'],
    ['0035g00000AbCdE', 'WhoId', 'Contact'],
    ['0015g00000AbCdE', 'WhatId', 'record 001'],
    ['0065g00000AbCdEAAV', 'WhatId', 'record 006'],
  ])('%s → %s (%s)', (id, field, kind) => {
    expect(relationOf(id)).toEqual({ field, kind });
    const call = finalCall('completed', {}, { lead: { id } });
    const { create } = fieldsOf(call);
    expect(create[field]).toBe(id);
    expect(create[field === 'WhoId' ? 'WhatId' : 'WhoId']).toBeUndefined();
  });

  it('refuses a lead id that is no Salesforce id: nothing to log on', () => {
    for (const id of ['12345', 'contact-9', '00Q5g00000AbCdE!', '001D000000IRFmaIAX']) {
      const result = taskFieldsOf(finalCall('completed', {}, { lead: { id } }), finalEvent(finalCall('completed')));
      expect(result).toEqual({ error: expect.stringContaining('not a Salesforce record id') as string });
    }
  });

  it('makes the agent the owner only when its crmUserId is a User id (005); else the run-as user owns it', () => {
    for (const crmUserId of ['u-17', '0035g00000AbCdE', 'owner@example.com']) {
      expect(fieldsOf(finalCall('completed', {}, { agent: { crmUserId } })).create.OwnerId).toBeUndefined();
    }
    expect(fieldsOf(finalCall('completed', {}, { agent: { crmUserId: '005D000000IRFma' } })).create.OwnerId).toBe('005D000000IRFma');
  });
});

describe('Salesforce ids', () => {
  it('takes 15-character ids and 18-character ids whose case-safe suffix matches', () => {
    // An id of Salesforce's own examples (REST API Developer Guide, "Execute a SOQL Query").
    expect(isSalesforceId('001D000000IRFmaIAH')).toBe(true);
    expect(isSalesforceId('001d000000irfmaIAH')).toBe(false);
    expect(isSalesforceId('001D000000IRFma')).toBe(true);
    expect(isSalesforceId('001D000000IRFmaIAX')).toBe(false);
    expect(isSalesforceId('001D000000IRFm')).toBe(false);
    expect(isSalesforceId("001D000000IRFma' OR")).toBe(false);
  });
});

describe('the look-up by call id', () => {
  it('escapes the call id as a SOQL string literal', () => {
    expect(soqlString("a'b\\c")).toBe("'a\\'b\\\\c'");
    expect(soqlString('x\ny"z')).toBe("'x\\ny\\\"z'");
    expect(lookupQuery("c-1' OR Id != '")).toBe(
      "SELECT Id FROM Task WHERE CallObject = 'c-1\\' OR Id != \\'' ORDER BY CreatedDate ASC LIMIT 1",
    );
  });
});

describe("Salesforce's error words", () => {
  it('joins the error array, with its fields, and masks a number quoted in a message', () => {
    const words = errorWordsOf([
      { errorCode: 'STRING_TOO_LONG', message: 'Subject: data value too large: +447766889900 (max length=255)', fields: ['Subject'] },
      { errorCode: 'MALFORMED_ID', message: 'Name ID: id value of incorrect type', fields: ['WhoId'] },
    ]);
    expect(words?.codes).toEqual(['STRING_TOO_LONG', 'MALFORMED_ID']);
    expect(words?.words).toContain('STRING_TOO_LONG: Subject: data value too large: +44*******900 (max length=255) [Subject]');
    expect(words?.words).toContain('MALFORMED_ID: Name ID: id value of incorrect type [WhoId]');
    expect(words?.words).not.toContain('7766889');
    expect(errorWordsOf({ error: 'not an array' })).toBeUndefined();
    // As the logs mask numbers (lib/policy/phone.ts), without the phone metadata in the notifier's bundle.
    expect(maskDigitRuns('to 07766889900, id 00Q5g00000AbCdE, 1234567')).toBe(
      `to ${maskNumber('07766889900')}, id 00Q5g00000AbCdE, 1234567`,
    );
  });
});

describe('the Task describe, as the doctor reads it', () => {
  it('finds nothing missing in an org whose run-as user may create call Tasks', () => {
    expect(taskDescribeProblems(taskDescribe(TASK_FIELDS, true))).toEqual([]);
  });

  it('names what is missing in words an admin can act on', () => {
    expect(taskDescribeProblems(taskDescribe(TASK_FIELDS, false))).toEqual([
      expect.stringContaining('cannot create Tasks') as string,
      expect.stringContaining('not createable for the run-as user: Subject, Status') as string,
    ]);
    const noCallCenter = Object.fromEntries(Object.entries(TASK_FIELDS).filter(([name]) => !CALL_CENTER_FIELDS.includes(name)));
    expect(taskDescribeProblems(taskDescribe(noCallCenter, true))).toEqual([
      'Task fields missing or not createable for the run-as user: CallType, CallDurationInSeconds, CallDisposition, CallObject',
    ]);
    const renamed = { ...TASK_FIELDS, Status: { ...TASK_FIELDS.Status!, picklist: ['Open', 'Done'] } };
    expect(taskDescribeProblems(taskDescribe(renamed, true))).toEqual(["Task.Status has no active picklist value 'Completed'"]);
    expect(taskDescribeProblems('<html>')).toEqual(['the Task describe is not a JSON object']);
  });
});
