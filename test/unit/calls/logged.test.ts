/**
 * Where a call was logged (issue 20): the call resource's `logged`, read from the stored call's delivery slots by a
 * pure function, and the console's words for each entry.
 */
import { describe, expect, it } from 'vitest';
import { loggedIn, type DeliverySlotView } from '../../../lib/calls/logged';
import { loggedText, recordText } from '../../../lib/console/browser/logic/calls';

const events = [{}, {}, {}, {}];
const retry = (lastError: string, deadLetteredAt?: string) => ({ lastError, ...(deadLetteredAt ? { deadLetteredAt } : {}) });
const one = (slot: DeliverySlotView) => loggedIn({ events, deliveries: { hubspot: slot } });

describe('loggedIn', () => {
  it.each<[string, DeliverySlotView, ReturnType<typeof loggedIn>[number]]>([
    ['logged', { next: 4, remoteId: '9876' }, { crm: 'hubspot', state: 'logged', remoteId: '9876', error: null }],
    [
      'logged, a later update retrying',
      { next: 3, remoteId: '9876', retry: retry('HubSpot 503') },
      { crm: 'hubspot', state: 'logged', remoteId: '9876', error: 'HubSpot 503' },
    ],
    ['pending its turn', { next: 1 }, { crm: 'hubspot', state: 'pending', remoteId: null, error: null }],
    [
      'pending a retry',
      { next: 3, retry: retry('HubSpot 429') },
      { crm: 'hubspot', state: 'pending', remoteId: null, error: 'HubSpot 429' },
    ],
    [
      'held',
      { next: 3, retry: retry('held: HubSpot 401: expired token') },
      { crm: 'hubspot', state: 'held', remoteId: null, error: 'HubSpot 401: expired token' },
    ],
    [
      'dead',
      { next: 3, retry: retry('HubSpot 400: bad property', '2026-03-12T10:00:00.000Z') },
      { crm: 'hubspot', state: 'dead', remoteId: null, error: 'HubSpot 400: bad property' },
    ],
    ['skipped (every event passed over)', { next: 4 }, { crm: 'hubspot', state: 'skipped', remoteId: null, error: null }],
  ])('%s', (_name, slot, expected) => {
    expect(one(slot)).toEqual([expected]);
  });

  it('lists the CRMs in a fixed order, and nothing for a call without slots or for slots of other transports', () => {
    const deliveries = { salesforce: { next: 4, remoteId: '00T1' }, webhook: { next: 1 }, pipedrive: { next: 0 } };
    expect(loggedIn({ events, deliveries }).map((l) => [l.crm, l.state])).toEqual([
      ['pipedrive', 'pending'],
      ['salesforce', 'logged'],
    ]);
    expect(loggedIn({ events })).toEqual([]);
  });
});

describe("the console's words", () => {
  it('names the CRM, the record and the activity, or why not', () => {
    expect(recordText({ id: '1051', type: 'contact' })).toBe('contact 1051');
    expect(recordText({ id: '00Q1', type: null })).toBe('record 00Q1');
    const entry = { crm: 'hubspot', remoteId: null, error: null };
    expect(loggedText({ ...entry, state: 'logged', remoteId: '9876' }, 'contact 1051')).toBe(
      'logged in HubSpot on contact 1051 as activity 9876',
    );
    expect(loggedText({ ...entry, state: 'pending', error: 'HubSpot 429' }, null)).toBe('to be logged in HubSpot, retrying: HubSpot 429');
    expect(loggedText({ ...entry, state: 'held', error: 'HubSpot 401' }, null)).toMatch(/held: HubSpot 401 \(c2c doctor\)/);
    expect(loggedText({ ...entry, state: 'dead', error: 'HubSpot 400' }, null)).toMatch(/given up: HubSpot 400 \(c2c crm redrive\)/);
    expect(loggedText({ ...entry, state: 'skipped' }, null)).toMatch(/does not log this outcome/);
  });
});
