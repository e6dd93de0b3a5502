import { describe, expect, it } from 'vitest';
import {
  agentIndexSet,
  callIndexKeys,
  callListingIndex,
  readsNarrowIndexes,
  writesLegacyKeys,
  type CallIndexMode,
  type CallIndexSubject,
} from '../../../lib/store/call-index-keys';

const at = '2026-07-01T10:00:00.000Z';
const full: CallIndexSubject = { tenantId: 'acme', callId: 'c_1', createdAt: at, crmUserId: 'u-17', leadId: 'L-9' };
const team: CallIndexSubject = { tenantId: 'acme', callId: 'c_2', createdAt: at };

const NARROW_FULL = { ct: 'acme', cs: at, ca: 'acme#u-17', cl: 'acme#L-9' };
const LEGACY_FULL = {
  gsi1pk: 'TENANT#acme#LEAD#L-9',
  gsi1sk: `${at}#c_1`,
  gsi2pk: 'TENANT#acme#AGENTCALLS#u-17',
  gsi2sk: `${at}#c_1`,
  gsi3pk: 'TENANT#acme#CALLS',
  gsi3sk: `${at}#c_1`,
};

describe('the listing keys a call write carries', () => {
  it.each<[CallIndexMode, CallIndexSubject, Record<string, string>]>([
    ['narrow', full, NARROW_FULL],
    ['migrating', full, { ...LEGACY_FULL, ...NARROW_FULL }],
    ['switched', full, { ...LEGACY_FULL, ...NARROW_FULL }],
    // A team call waiting for its agent, with no lead: the tenant's keys only.
    ['narrow', team, { ct: 'acme', cs: at }],
    ['migrating', team, { ct: 'acme', cs: at, gsi3pk: 'TENANT#acme#CALLS', gsi3sk: `${at}#c_2` }],
    ['switched', team, { ct: 'acme', cs: at, gsi3pk: 'TENANT#acme#CALLS', gsi3sk: `${at}#c_2` }],
  ])('%s, %o: exactly its keys', (mode, call, keys) => {
    expect(callIndexKeys(call, mode)).toEqual(keys);
  });

  it.each<[CallIndexMode, string[], Record<string, string>]>([
    ['narrow', ['ca = :narrowAgentPk'], { ':narrowAgentPk': 'acme#u-17' }],
    [
      'migrating',
      ['ca = :narrowAgentPk', 'gsi2pk = :agentPk', 'gsi2sk = :timeSk'],
      { ':narrowAgentPk': 'acme#u-17', ':agentPk': 'TENANT#acme#AGENTCALLS#u-17', ':timeSk': `${at}#c_2` },
    ],
    [
      'switched',
      ['ca = :narrowAgentPk', 'gsi2pk = :agentPk', 'gsi2sk = :timeSk'],
      { ':narrowAgentPk': 'acme#u-17', ':agentPk': 'TENANT#acme#AGENTCALLS#u-17', ':timeSk': `${at}#c_2` },
    ],
  ])('%s: a team call given its agent joins that agent’s listing keys of the mode', (mode, set, values) => {
    expect(agentIndexSet(mode, { tenantId: 'acme', callId: 'c_2', createdAt: at, crmUserId: 'u-17' })).toEqual({ set, values });
  });

  it('writes the old keys until the migration ends, reads the new indexes from the switch on', () => {
    expect((['narrow', 'migrating', 'switched'] as const).map((m) => [writesLegacyKeys(m), readsNarrowIndexes(m)])).toEqual([
      [false, true],
      [true, false],
      [true, true],
    ]);
  });
});

describe('the index a listing reads', () => {
  it.each<[CallIndexMode, { leadId?: string; crmUserId?: string }, [string, string, string, string]]>([
    ['narrow', {}, ['callsByTenant', 'ct', 'cs', 'acme']],
    ['narrow', { crmUserId: 'u-17' }, ['callsByAgent', 'ca', 'cs', 'acme#u-17']],
    ['narrow', { leadId: 'L-9', crmUserId: 'u-17' }, ['callsByLead', 'cl', 'cs', 'acme#L-9']],
    ['switched', { leadId: 'L-9' }, ['callsByLead', 'cl', 'cs', 'acme#L-9']],
    ['migrating', {}, ['gsi3', 'gsi3pk', 'gsi3sk', 'TENANT#acme#CALLS']],
    ['migrating', { crmUserId: 'u-17' }, ['gsi2', 'gsi2pk', 'gsi2sk', 'TENANT#acme#AGENTCALLS#u-17']],
    ['migrating', { leadId: 'L-9', crmUserId: 'u-17' }, ['gsi1', 'gsi1pk', 'gsi1sk', 'TENANT#acme#LEAD#L-9']],
  ])('%s %o', (mode, by, [indexName, hashAttr, rangeAttr, pk]) => {
    expect(callListingIndex(mode, 'acme', by)).toEqual({ indexName, hashAttr, rangeAttr, pk, narrow: mode !== 'migrating' });
  });
});
