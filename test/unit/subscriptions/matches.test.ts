import { describe, expect, it } from 'vitest';
import type { CallState } from '../../../lib/model/call-states';
import type { SubscriptionFilter } from '../../../lib/model/subscription';
import { matches, type FilteredCall } from '../../../lib/subscriptions/matches';

const call = (overrides: Partial<FilteredCall> = {}): FilteredCall => ({
  agent: { crmUserId: 'u-17' },
  team: 'sales',
  source: 'api',
  ...overrides,
});

const CASES: Array<[string, string[], SubscriptionFilter | null, CallState, FilteredCall, boolean]> = [
  ['"*" takes every event', ['*'], null, 'dialing', call(), true],
  ['a named event', ['call.completed'], null, 'completed', call(), true],
  ['another event', ['call.completed'], null, 'answered', call(), false],
  ['one of several events', ['call.no_answer', 'call.busy'], null, 'busy', call(), true],
  ['agent filter, same agent', ['*'], { agent: 'u-17' }, 'completed', call(), true],
  ['agent filter, another agent', ['*'], { agent: 'u-18' }, 'completed', call(), false],
  ['agent filter, a team call with no agent yet', ['*'], { agent: 'u-17' }, 'queued', call({ agent: null }), false],
  ['agent filter, a team call whose agent is chosen', ['*'], { agent: 'u-17' }, 'dialing', call({ agent: { crmUserId: 'u-17' } }), true],
  ['team filter, same team', ['*'], { team: 'sales' }, 'completed', call(), true],
  ['team filter, a call that named an agent', ['*'], { team: 'sales' }, 'completed', call({ team: null }), false],
  ['team filter, another team', ['*'], { team: 'support' }, 'completed', call(), false],
  ['source filter, same source', ['*'], { source: 'hubspot' }, 'completed', call({ source: 'hubspot' }), true],
  ['source filter, another source', ['*'], { source: 'hubspot' }, 'completed', call(), false],
  ['states filter, a state listed', ['*'], { states: ['completed', 'no_answer'] }, 'no_answer', call(), true],
  ['states filter, a state not listed', ['*'], { states: ['completed'] }, 'answered', call(), false],
  ['events and states both hold', ['call.completed'], { states: ['completed'] }, 'completed', call(), true],
  ['events hold, states do not', ['call.answered'], { states: ['completed'] }, 'answered', call(), false],
  [
    'every filter member holds',
    ['call.completed'],
    { agent: 'u-17', team: 'sales', source: 'api', states: ['completed'] },
    'completed',
    call(),
    true,
  ],
  ['one filter member fails', ['call.completed'], { agent: 'u-17', team: 'sales', source: 'hubspot' }, 'completed', call(), false],
  ['an empty filter takes everything its events name', ['call.completed'], {}, 'completed', call(), true],
];

describe("matches(subscription, event, call): the subscriptions transport's wants", () => {
  it.each(CASES)('%s', (_what, events, filter, state, theCall, expected) => {
    expect(matches({ events, filter }, { state }, theCall)).toBe(expected);
  });
});
