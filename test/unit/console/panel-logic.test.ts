import { describe, expect, it } from 'vitest';
import { CALL_STATES } from '../../../lib/model/call-states';
import {
  anyFilter,
  callsCountText,
  callWho,
  isEnded,
  isWaiting,
  passReasonText,
  timelineLabels,
} from '../../../lib/console/browser/logic/calls';
import { rfc3339Local } from '../../../lib/console/browser/logic/format';
import { afterAnswer, nextAttempt, placeBody, placedText, type PlaceFields } from '../../../lib/console/browser/logic/place';
import { simPhaseText, simPlan } from '../../../lib/console/browser/logic/simulator';
import { chartTitle, dayTip, daysByAgent, sortedTotals, statsRange, totalsCaption } from '../../../lib/console/browser/logic/stats';
import {
  agentOptionText,
  availabilityDetail,
  availabilityText,
  shownAvailability,
  teamHeading,
  teamNames,
} from '../../../lib/console/browser/logic/teams';
import type { Agent, Call, SimCall } from '../../../lib/console/browser/types';

/**
 * What the console's panels compute without the DOM (lib/console/browser/logic/): the call form's body and its key
 * across retries, the calls list's words, the team view's counts, the chart's words and the simulator's plan.
 * Times are built from local components, so the expectations hold in any time zone.
 */

const local = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0) => new Date(y, mo - 1, d, h, mi, s, ms).toISOString();
/** Another day than today: `when` writes it with its date. */
const LATER = local(2030, 1, 15, 9, 0, 0);
const call = (fields: Partial<Call>): Call => ({ callId: 'c1', state: 'accepted', createdAt: LATER, ...fields });

describe('the call form', () => {
  const form = (fields: Partial<PlaceFields>): PlaceFields => ({
    byTeam: false,
    agent: 'u1',
    team: 'sales',
    to: ' +44 7766 889900 ',
    lead: '',
    wait: '',
    notBefore: '',
    ...fields,
  });

  it.each([
    ['for an agent', form({}), '{"agent":{"crmUserId":"u1"},"to":"+44 7766 889900"}'],
    ['for a team', form({ byTeam: true }), '{"team":"sales","to":"+44 7766 889900"}'],
    ['with a lead', form({ lead: ' L-1 ' }), '{"agent":{"crmUserId":"u1"},"to":"+44 7766 889900","lead":{"id":"L-1"}}'],
    ['for a team, waiting', form({ byTeam: true, wait: ' 30 ' }), '{"team":"sales","to":"+44 7766 889900","maxWaitSec":30}'],
    ['for an agent: the wait is not sent', form({ wait: '30' }), '{"agent":{"crmUserId":"u1"},"to":"+44 7766 889900"}'],
    [
      'unreadable "not before": as typed',
      form({ notBefore: 'tomorrow' }),
      '{"agent":{"crmUserId":"u1"},"to":"+44 7766 889900","notBefore":"tomorrow"}',
    ],
  ])('sends the body %s, its keys in order', (_name, fields, expected) => {
    expect(JSON.stringify(placeBody(fields))).toBe(expected);
  });

  it('sends "not before" as the browser\u2019s wall-clock time with its offset', () => {
    const body = placeBody(form({ byTeam: true, lead: 'L-2', wait: '60', notBefore: '2026-03-02T14:30' }));
    expect(body).toEqual({
      team: 'sales',
      to: '+44 7766 889900',
      lead: { id: 'L-2' },
      maxWaitSec: 60,
      notBefore: rfc3339Local(new Date(2026, 2, 2, 14, 30)),
    });
    expect(body.notBefore).toMatch(/^2026-03-02T14:30:00[+-]\d\d:\d\d$/);
  });

  it.each([
    ['a first request: a fresh key', null, '{"a":1}', 'fresh-1', 1],
    ['the same request after no answer: the same key', { signature: '{"a":1}', key: 'old' }, '{"a":1}', 'old', 0],
    ['another request: a fresh key', { signature: '{"a":1}', key: 'old' }, '{"a":2}', 'fresh-1', 1],
  ])('%s', (_name, pending, signature, key, freshKeys) => {
    let made = 0;
    const attempt = nextAttempt(pending, signature, () => 'fresh-' + ++made);
    expect(attempt).toEqual({ signature: signature, key: key });
    expect(made).toBe(freshKeys);
  });

  it.each([
    [201, null],
    [200, null],
    [202, null],
    [409, null],
    [429, null],
    [499, null],
    [500, 'kept'],
    [503, 'kept'],
  ])('after a %i the pending key is %s', (status, expected) => {
    const pending = { signature: 's', key: 'k' };
    expect(afterAnswer(pending, status)).toBe(expected === 'kept' ? pending : null);
  });

  it.each([
    [200, call({ duplicate: true, state: 'dialing' }), 'Already placed (same Idempotency-Key): state dialing.'],
    [
      201,
      call({ state: 'scheduled', schedule: { notBefore: LATER, reason: 'requested' } }),
      'Scheduled: it dials at 2030-01-15 09:00:00. Until then it can be cancelled in the list.',
    ],
    [
      201,
      call({ state: 'scheduled', schedule: { notBefore: LATER, reason: 'calling_hours' } }),
      'Scheduled: it dials at 2030-01-15 09:00:00, when the lead\u2019s calling hours open. Until then it can be cancelled in the list.',
    ],
    [
      201,
      call({ state: 'queued', team: 'sales', queue: { maxWaitSec: 60, since: LATER, until: LATER } }),
      'Queued: no agent of sales is free; it waits for one until 2030-01-15 09:00:00, then ends not_sent.',
    ],
    [202, call({ state: 'unknown' }), 'Sent, but the PBX\u2019s answer was lost: state unknown. It is reconciled, never re-sent.'],
    [201, call({ state: 'dialing', team: 'sales', routing: { chosen: 'u2' } }), 'The PBX accepted it: dialing, for u2 of sales.'],
    [201, call({ state: 'dialing' }), 'The PBX accepted it: dialing.'],
  ])('a %i answer reads (%#)', (status, placed, expected) => {
    expect(placedText(status, placed)).toBe(expected);
  });
});

describe('the calls list', () => {
  it.each([
    ['scheduled', true],
    ['queued', true],
    ['accepted', false],
    ['dialing', false],
    ['cancelled', false],
    ['whatever', false],
  ])('a %s call waits (Cancel shown): %s', (state, expected) => {
    expect(isWaiting(state)).toBe(expected);
  });

  it.each([
    ['away', 'away'],
    ['rate_limited', 'over its per-minute cap'],
    ['shorter_idle', 'idle for less time'],
    ['a_new_reason', 'a_new_reason'],
  ])('passed over as %s reads %s', (reason, expected) => {
    expect(passReasonText(reason)).toBe(expected);
  });

  it.each([
    [call({ agent: { crmUserId: 'u1', extension: '101' } }), 'u1 (ext 101)'],
    [call({ agent: { crmUserId: 'u1' }, team: 'sales' }), 'u1'],
    [call({ team: 'sales' }), 'an agent of sales'],
    [call({ agent: null, team: 'sales' }), 'an agent of sales'],
    [call({ agent: { crmUserId: null, email: 'ann@example.com', extension: null } }), 'ann@example.com'],
    [call({ agent: { crmUserId: null, email: null, extension: '101' } }), 'ext 101'],
    [call({ agent: null }), '?'],
    [call({}), '?'],
  ])('is for %#: %s', (listed, expected) => {
    expect(callWho(listed)).toBe(expected);
  });

  it.each([
    [{ leadId: '', agent: '', state: '' }, false],
    [{ leadId: 'L', agent: '', state: '' }, true],
    [{ leadId: '', agent: 'u1', state: '' }, true],
    [{ leadId: '', agent: '', state: 'queued' }, true],
  ])('filters %j filter: %s', (filters, expected) => {
    expect(anyFilter(filters)).toBe(expected);
  });

  it.each([
    [25, false, 'the newest 25, newest first'],
    [1, false, '1 call, newest first'],
    [0, true, '0 calls, newest first, filtered'],
    [7, true, '7 calls, newest first, filtered'],
  ])('%i calls shown (filtered: %s) reads %s', (shown, filtered, expected) => {
    expect(callsCountText(shown, 25, filtered)).toBe(expected);
  });

  it('labels the timeline: the first event by its clock, each later one by the time since it', () => {
    const at = (ms: number) => local(2026, 3, 2, 14, 30, 0, ms);
    expect(timelineLabels([])).toEqual([]);
    expect(
      timelineLabels([
        { at: at(0), state: 'accepted' },
        { at: at(250), state: 'dispatching' },
        { at: at(1500), state: 'dialing' },
        { at: at(12345), state: 'answered' },
      ]),
    ).toEqual(['14:30:00', '+0.25 s', '+1.5 s', '+12.3 s']);
  });
});

describe('the team view', () => {
  const agent = (crmUserId: string, state: string | null, teams?: string[], name?: string): Agent => ({
    crmUserId,
    extension: '1' + crmUserId.slice(1),
    ...(name ? { name } : {}),
    ...(teams ? { teams } : {}),
    ...(state ? { availability: { state } } : {}),
  });

  it.each([
    ['available', 'free'],
    ['placing_call', 'placing a call'],
    ['on_call', 'on a call'],
    ['away', 'away'],
    ['unknown', 'unknown'],
  ])('%s reads %s', (state, expected) => {
    expect(availabilityText(state)).toBe(expected);
  });

  it.each([
    [{ state: 'away', until: LATER }, 'until 2030-01-15 09:00:00'],
    [{ state: 'away' }, 'until set back'],
    [{ state: 'on_call', busyCallId: 'c9', until: LATER }, 'c9'],
    [{ state: 'on_call' }, ''],
    [{ state: 'available', until: LATER, idleSince: LATER }, 'away from 2030-01-15 09:00:00'],
    [{ state: 'available', idleSince: LATER }, 'free since 2030-01-15 09:00:00'],
    [{ state: 'available' }, ''],
    [{ state: 'placing_call', until: LATER }, ''],
  ])('the detail of %j is %j', (availability, expected) => {
    expect(availabilityDetail(availability)).toBe(expected);
  });

  it('names every team: the summaries and those the agents name, once each, sorted', () => {
    const teams = [
      { team: 'sales', members: 2 },
      { team: 'empty', members: 0 },
    ];
    const agents = [agent('u1', null, ['support', 'sales']), agent('u2', null, ['alpha']), agent('u3', null)];
    expect(teamNames(teams, agents)).toEqual(['alpha', 'empty', 'sales', 'support']);
    expect(teamNames([], [])).toEqual([]);
  });

  it.each([
    [
      'a team',
      'sales',
      [agent('u1', 'available'), agent('u2', 'away'), agent('u3', 'on_call')],
      { team: 'sales', members: 3 },
      { total: 3, note: '3 members \u00b7 1 free \u00b7 1 on a call \u00b7 1 away' },
    ],
    [
      'a team larger than the agents read',
      'sales',
      [agent('u1', 'placing_call'), agent('u2', 'placing_call')],
      { team: 'sales', members: 600 },
      { total: 600, note: '600 members (2 shown) \u00b7 0 free \u00b7 2 placing a call \u00b7 0 on a call \u00b7 0 away' },
    ],
    [
      'a team without its summary',
      'support',
      [agent('u1', 'available')],
      undefined,
      { total: 1, note: '1 member \u00b7 1 free \u00b7 0 on a call \u00b7 0 away' },
    ],
    [
      'the agents in no team',
      '',
      [agent('u1', null), agent('u2', 'available')],
      undefined,
      { total: 2, note: '2 agents \u00b7 1 free \u00b7 0 on a call \u00b7 0 away' },
    ],
  ])('counts %s', (_name, team, members, summary, expected) => {
    expect(teamHeading(team, members, summary)).toEqual(expected);
  });

  it.each(
    CALL_STATES.map((state) => [state, ['completed', 'no_answer', 'busy', 'failed', 'rejected', 'not_sent', 'cancelled'].includes(state)]),
  )('a %s call has ended: %s', (state, expected) => {
    expect(isEnded(state)).toBe(expected);
  });

  describe('says of each agent what the calls list of the same refresh says of its call', () => {
    const onCall = (busyCallId: string): Agent => ({ ...agent('u1', null), availability: { state: 'on_call', busyCallId, until: LATER } });
    const ENDED_AT = local(2030, 1, 15, 9, 1, 0);
    const mine = (fields: Partial<Call>) => call({ agent: { crmUserId: 'u1', email: null, extension: '11' }, ...fields });

    it.each([
      [
        'the call ended (completed): free since it ended',
        [mine({ callId: 'c1', state: 'completed', outcome: { endedAt: ENDED_AT } })],
        { state: 'available', idleSince: ENDED_AT },
      ],
      [
        'the call ended without an end time: free since its last change',
        [mine({ callId: 'c1', state: 'no_answer', updatedAt: LATER })],
        { state: 'available', idleSince: LATER },
      ],
      ['the call was cancelled', [mine({ callId: 'c1', state: 'cancelled', updatedAt: LATER })], { state: 'available', idleSince: LATER }],
      ['the call still rings: on it', [mine({ callId: 'c1', state: 'dialing' })], { state: 'on_call', busyCallId: 'c1', until: LATER }],
      ['the call is answered: on it', [mine({ callId: 'c1', state: 'answered' })], { state: 'on_call', busyCallId: 'c1', until: LATER }],
      [
        'the call is not in the list: as the API says',
        [mine({ callId: 'c2', state: 'completed' })],
        { state: 'on_call', busyCallId: 'c1', until: LATER },
      ],
      [
        'the call ended and a later one of the agent rings: on the later one',
        [
          mine({ callId: 'c2', state: 'dialing', createdAt: local(2030, 1, 15, 9, 2) }),
          mine({ callId: 'c1', state: 'completed', createdAt: local(2030, 1, 15, 9, 0) }),
        ],
        { state: 'on_call', busyCallId: 'c2' },
      ],
      [
        'the call ended and a later one of the agent is being placed: placing a call',
        [
          mine({ callId: 'c2', state: 'dispatching', createdAt: local(2030, 1, 15, 9, 2) }),
          mine({ callId: 'c1', state: 'busy', createdAt: local(2030, 1, 15, 9, 0), updatedAt: LATER }),
        ],
        { state: 'placing_call', busyCallId: 'c2' },
      ],
      [
        'the call ended; an earlier call of the agent still reads dialing: free',
        [
          mine({ callId: 'c1', state: 'completed', createdAt: local(2030, 1, 15, 9, 2), updatedAt: LATER }),
          mine({ callId: 'c0', state: 'dialing', createdAt: local(2030, 1, 15, 9, 0) }),
        ],
        { state: 'available', idleSince: LATER },
      ],
      [
        "the call ended; another agent's later call rings: free",
        [
          call({
            callId: 'c2',
            state: 'dialing',
            agent: { crmUserId: 'u2', email: null, extension: '12' },
            createdAt: local(2030, 1, 15, 9, 2),
          }),
          mine({ callId: 'c1', state: 'completed', createdAt: local(2030, 1, 15, 9, 0), updatedAt: LATER }),
        ],
        { state: 'available', idleSince: LATER },
      ],
    ])('on a call the list shows: %s', (_name, calls, expected) => {
      expect(shownAvailability(onCall('c1'), calls)).toEqual(expected);
    });

    it.each([
      ['away', { state: 'away', until: LATER }],
      ['free', { state: 'available', idleSince: LATER }],
      ['placing a call', { state: 'placing_call', until: LATER }],
      ['on a call the API does not name', { state: 'on_call' }],
    ])('%s: as the API says, whatever the list', (_name, availability) => {
      const calls = [mine({ callId: 'c1', state: 'completed' }), mine({ callId: 'c2', state: 'dialing' })];
      expect(shownAvailability({ ...agent('u1', null), availability }, calls)).toEqual(availability);
    });

    it('an agent without an availability reads unknown', () => {
      expect(shownAvailability(agent('u1', null), [])).toEqual({ state: 'unknown' });
    });
  });

  it('lists an agent in the selects with its extension and name', () => {
    expect(agentOptionText(agent('u1', null, undefined, 'Ada'))).toBe('u1 (ext 11, Ada)');
    expect(agentOptionText(agent('u2', null))).toBe('u2 (ext 12)');
  });
});

describe('the daily figures', () => {
  it.each([
    [3, new Date(2026, 2, 1, 15, 0), ['2026-02-27', '2026-02-28', '2026-03-01']],
    [2, new Date(2026, 0, 1, 0, 0), ['2025-12-31', '2026-01-01']],
    [1, new Date(2028, 1, 29, 23, 59), ['2028-02-29']],
  ])('the last %i days up to %s', (days, today, expected) => {
    expect(statsRange(days, today)).toEqual(expected);
  });

  it('groups the report by agent and date, and orders the charts by agent', () => {
    const figures = { calls: 1, answered: 1, answerRate: 1, talkTimeSec: 30, notPlaced: 0 };
    const days = [
      { crmUserId: 'u2', date: '2026-03-01', ...figures },
      { crmUserId: 'u1', date: '2026-03-01', ...figures },
      { crmUserId: 'u1', date: '2026-03-02', ...figures },
    ];
    expect(daysByAgent(days)).toEqual({ u1: { '2026-03-01': days[1], '2026-03-02': days[2] }, u2: { '2026-03-01': days[0] } });
    const totals = [
      { crmUserId: 'u2', ...figures },
      { crmUserId: 'u10', ...figures },
      { crmUserId: 'u1', ...figures },
    ];
    expect(sortedTotals(totals).map((t) => t.crmUserId)).toEqual(['u1', 'u10', 'u2']);
    expect(totals.map((t) => t.crmUserId)).toEqual(['u2', 'u10', 'u1']);
  });

  it.each([
    [
      { calls: 0, answered: 0, answerRate: 0, talkTimeSec: 0, notPlaced: 0 },
      '2026-03-02 \u00b7 u1: 0 calls, 0 answered (0%), talk 0 s',
      '0 calls \u00b7 0 answered (0%) \u00b7 talk 0 s',
    ],
    [
      { calls: 3, answered: 2, answerRate: 0.667, talkTimeSec: 125, notPlaced: 1 },
      '2026-03-02 \u00b7 u1: 3 calls, 2 answered (67%), talk 2m 05s, 1 not placed',
      '3 calls \u00b7 2 answered (67%) \u00b7 talk 2m 05s \u00b7 1 not placed',
    ],
    [
      { calls: 1, answered: 1, answerRate: 1, talkTimeSec: 42, notPlaced: 0 },
      '2026-03-02 \u00b7 u1: 1 call, 1 answered (100%), talk 42 s',
      '1 call \u00b7 1 answered (100%) \u00b7 talk 42 s',
    ],
  ])('a day of %j: its tip and totals', (figures, tip, caption) => {
    expect(dayTip('2026-03-02', 'u1', figures)).toBe(tip);
    expect(totalsCaption(figures)).toBe(caption);
  });

  it.each([
    [undefined, 'u1'],
    [{ crmUserId: 'u1', extension: '101' }, 'u1 (ext 101)'],
    [{ crmUserId: 'u1', extension: '101', name: 'Ada' }, 'u1 \u00b7 Ada (ext 101)'],
  ])('titles a chart for %j: %s', (agent, expected) => {
    expect(chartTitle('u1', agent)).toBe(expected);
  });
});

describe('the PBX simulator panel', () => {
  const sim = (fields: Partial<SimCall>): SimCall => ({
    uniqueId: 'U1',
    phase: 'ringing',
    outcome: 'answered',
    extension: '101',
    destination: '447766889900',
    placedAt: local(2026, 3, 2, 14, 30, 0),
    answerAt: local(2026, 3, 2, 14, 30, 2, 500),
    endAt: local(2026, 3, 2, 14, 30, 32, 500),
    billSec: 30,
    hangupCause: 'NORMAL_CLEARING',
    ...fields,
  });

  it.each([
    ['answered', 'talking'],
    ['ringing', 'ringing'],
    ['ended', 'ended'],
  ])('phase %s reads %s', (phase, expected) => {
    expect(simPhaseText(phase)).toBe(expected);
  });

  it.each([
    [sim({}), 'answered after 2.5 s, 30 s billed'],
    [sim({ outcome: 'no_answer', endAt: local(2026, 3, 2, 14, 30, 30) }), 'no answer after 30 s'],
    [sim({ outcome: 'busy', endAt: local(2026, 3, 2, 14, 30, 1, 200) }), 'busy after 1.2 s'],
  ])('plays out %#: %s', (simCall, expected) => {
    expect(simPlan(simCall)).toBe(expected);
  });
});
