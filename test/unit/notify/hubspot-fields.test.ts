import { describe, expect, it } from 'vitest';
import type { CallState } from '../../../lib/model/call';
import {
  associationOf,
  callPropertiesOf,
  CALL_ID_LABEL,
  HUBSPOT_DISPOSITIONS as D,
  outcomeOf,
  recordKindOf,
  timestampOf,
} from '../../../lib/notify/transports/hubspot-fields';
import { storedCall } from '../../support/calls';

/** The pure mapping of a call onto a HubSpot call engagement: every final state and hangup class, table-driven. */

const at = '2026-03-02T10:00:00.000Z';
const dialled = '2026-03-02T10:00:05.000Z';
const ended = '2026-03-02T10:01:05.000Z';

function finalCall(state: CallState, outcome: Partial<ReturnType<typeof storedCall>['outcome']> = {}, reason: string | null = null) {
  return storedCall({
    callId: 'CALL0000000000000000000001',
    tenantId: 't1',
    state,
    reason,
    agent: { crmUserId: '501', extension: '1000' },
    lead: { id: '101' },
    createdAt: at,
    events: [
      { at, state: 'accepted' },
      { at: dialled, state: 'dialing' },
      { at: ended, state },
    ],
    outcome: {
      answeredAt: null,
      endedAt: ended,
      durationSec: 60,
      billSec: 0,
      hangupCause: null,
      hangupClass: null,
      recordingUrl: null,
      ...outcome,
    },
  });
}

describe('HubSpot call status and outcome of each final state', () => {
  const rows: Array<[string, CallState, string | null, string | null, string, string | null]> = [
    // label, state, hangup cause, reason, hs_call_status, hs_call_disposition
    ['answered', 'completed', 'NORMAL_CLEARING', null, 'COMPLETED', D.connected],
    ['no answer', 'no_answer', 'NO_ANSWER', null, 'NO_ANSWER', D.noAnswer],
    ['busy', 'busy', 'USER_BUSY', null, 'BUSY', D.busy],
    ['failed, cause unknown', 'failed', 'CONGESTION', null, 'FAILED', null],
    ['failed, unallocated number', 'failed', 'UNALLOCATED_NUMBER', null, 'FAILED', D.wrongNumber],
    ['rejected by the PBX', 'rejected', null, 'pbx_rejected', 'FAILED', null],
    ['rejected, invalid number', 'rejected', null, 'invalid_number', 'FAILED', D.wrongNumber],
    ['not sent', 'not_sent', null, 'pbx_unreachable', 'FAILED', null],
    ['cancelled', 'cancelled', null, 'cancelled_by_client', 'CANCELED', null],
  ];
  it.each(rows)('%s', (_label, state, cause, reason, status, disposition) => {
    const outcome = outcomeOf(state, cause, reason);
    expect(outcome.status).toBe(status);
    expect(outcome.disposition).toBe(disposition);
    const properties = callPropertiesOf(finalCall(state, { hangupCause: cause }, reason));
    expect(properties.hs_call_status).toBe(status);
    if (disposition) expect(properties.hs_call_disposition).toBe(disposition);
    else expect(properties).not.toHaveProperty('hs_call_disposition');
  });

  it('the default outcome GUIDs are the six HubSpot documents', () => {
    expect(D).toEqual({
      busy: '9d9162e7-6cf3-4944-bf63-4dff82258764',
      connected: 'f240bbac-87c9-4f6e-bf70-924b57d47db7',
      leftLiveMessage: 'a4c4c377-d246-4b32-a13b-75a56a4cd0ff',
      leftVoicemail: 'b2cf5968-551e-4856-9783-52b3da59a7d0',
      noAnswer: '73a0d17f-1163-4015-bdd5-ec830791da20',
      wrongNumber: '17b47fee-58de-441e-a44c-c6300d46f273',
    });
  });
});

describe('HubSpot call properties', () => {
  it('an answered call: outbound, talk time in ms, the number, the owner, the https recording, our call id in the body', () => {
    const call = finalCall('completed', {
      answeredAt: dialled,
      billSec: 42,
      hangupCause: 'NORMAL_CLEARING',
      recordingUrl: 'https://rec.example/a.mp3',
    });
    expect(callPropertiesOf(call)).toEqual({
      hs_timestamp: dialled,
      hs_call_title: 'Outbound call: connected',
      hs_call_body: expect.stringContaining(`<p>${CALL_ID_LABEL} ${call.callId}</p>`) as string,
      hs_call_direction: 'OUTBOUND',
      hs_call_duration: '42000',
      hs_call_status: 'COMPLETED',
      hs_call_to_number: '+447766889900',
      hs_call_disposition: D.connected,
      hubspot_owner_id: '501',
      hs_call_recording_url: 'https://rec.example/a.mp3',
    });
  });

  it('a call nobody answered lasts 0 ms', () => {
    expect(callPropertiesOf(finalCall('no_answer', { durationSec: 30 })).hs_call_duration).toBe('0');
  });

  it('an http recording is named in the body, never sent as the recording URL HubSpot would refuse', () => {
    const properties = callPropertiesOf(finalCall('completed', { billSec: 5, recordingUrl: 'http://rec.example/a.mp3' }));
    expect(properties).not.toHaveProperty('hs_call_recording_url');
    expect(properties.hs_call_body).toContain('Recording: http://rec.example/a.mp3');
  });

  it('an agent whose crmUserId is not a HubSpot owner id is logged without an owner', () => {
    const call = { ...finalCall('busy'), agent: { crmUserId: 'u-17' } };
    expect(callPropertiesOf(call)).not.toHaveProperty('hubspot_owner_id');
    expect(callPropertiesOf(call).hs_call_body).toContain('Agent: u-17');
  });

  it('the body escapes what HubSpot would render as HTML', () => {
    const call = finalCall('failed', { hangupCause: '<b>X</b>' });
    expect(callPropertiesOf(call).hs_call_body).toContain('Hangup cause: &lt;b&gt;X&lt;/b&gt;');
  });

  it('a call never dialled sits on the timeline when it ended', () => {
    const call = {
      ...finalCall('rejected'),
      events: [
        { at, state: 'accepted' as const },
        { at: ended, state: 'rejected' as const },
      ],
    };
    expect(timestampOf(call)).toBe(ended);
  });
});

describe('HubSpot record and association of the lead', () => {
  it.each([
    [undefined, 'contact', 194],
    ['contact', 'contact', 194],
    ['company', 'company', 182],
    ['deal', 'deal', 206],
  ] as const)('lead.type %s is a %s, association type %i', (type, kind, typeId) => {
    const lead = type ? { id: '7', type } : { id: '7' };
    expect(recordKindOf(lead)).toBe(kind);
    expect(associationOf('7', kind)).toEqual({
      to: { id: '7' },
      types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: typeId }],
    });
  });

  it("another CRM's kind of lead (a Pipedrive person) is no HubSpot record; no lead, none either", () => {
    expect(recordKindOf({ id: '7', type: 'person' } as { id: string })).toBeUndefined();
    expect(recordKindOf(null)).toBeUndefined();
  });
});
