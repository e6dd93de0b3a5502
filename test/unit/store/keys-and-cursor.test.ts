import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashApiKey, tenantOfApiKey } from '../../../lib/store/api-keys';
import { agentByEmailPk, callsByLeadPk, callSk, callTimeSk, tenantPk } from '../../../lib/store/keys';
import { agentsListing, callsListing, teamMembersListing } from '../../../lib/store/listings';
import { callListingIndex } from '../../../lib/store/call-index-keys';
import {
  createCursorCodec,
  CursorCodec,
  CursorConfigError,
  InvalidCursorError,
  LOCAL_CURSOR_SECRET,
  type Listing,
} from '../../../lib/store/pagination';

describe('key builders', () => {
  it('put every item of a tenant under its id', () => {
    expect(tenantPk('acme')).toBe('TENANT#acme');
    expect(callsByLeadPk('acme', '42')).toBe('TENANT#acme#LEAD#42');
    expect(callSk('c_1')).toBe('CALL#c_1');
  });

  it('find agents by email whatever its case', () => {
    expect(agentByEmailPk('acme', 'Alice@Example.COM')).toBe(agentByEmailPk('acme', 'alice@example.com'));
  });

  it('sort calls by creation time as strings', () => {
    const earlier = callTimeSk('2026-01-01T00:00:00.000Z', 'c_Z');
    const later = callTimeSk('2026-01-01T00:00:00.001Z', 'c_A');
    expect(earlier < later).toBe(true);
  });
});

describe('API keys', () => {
  it('name their tenant, and nothing else passes for a key', () => {
    expect(tenantOfApiKey('c2c_acme-ltd_abcdefghijklmnopqrstuvwxyzABCDEF')).toBe('acme-ltd');
    expect(tenantOfApiKey('c2c_acme_short')).toBeUndefined();
    expect(tenantOfApiKey('Bearer c2c_acme_abcdefghijklmnopqrstuvwxyzABCDEF')).toBeUndefined();
  });

  it('are stored as a SHA-256 hex digest', () => {
    expect(hashApiKey('x')).toMatch(/^[0-9a-f]{64}$/);
    expect(hashApiKey('x')).not.toBe(hashApiKey('y'));
  });
});

describe('cursors', () => {
  const SECRET = 'unit-test-cursor-secret-0123456789abcdef';
  const codec = new CursorCodec(SECRET);
  const key = { gsi3pk: 'TENANT#acme#CALLS', gsi3sk: '2026-07-01T10:00:00.000Z#c_123', pk: 'TENANT#acme', sk: 'CALL#c_123' };
  const all = (tenantId = 'acme', filter = {}) => callsListing({ tenantId, index: callListingIndex('migrating', tenantId, {}), filter });
  /** A cursor for `listing` with a good tag over any payload: what a holder of the secret could make. */
  const signed = (listing: Listing, value: unknown, secret = SECRET) => {
    const payload = Buffer.from(JSON.stringify(value)).toString('base64url');
    const tag = createHmac('sha256', secret)
      .update(JSON.stringify(['c2c-cursor-1', listing.identity]))
      .update('\n')
      .update(payload);
    return `${payload}.${tag.digest('base64url')}`;
  };

  it('round-trip a last evaluated key, and none on the last page', () => {
    const cursor = codec.encode(all(), key);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(codec.decode(all(), cursor)).toEqual(key);
    expect(codec.encode(all(), undefined)).toBeUndefined();
    expect(codec.decode(all(), undefined)).toBeUndefined();
    // The format the tests forge with is the codec's own.
    expect(signed(all(), key)).toBe(cursor);
  });

  it('refuse a cursor of another tenant, listing, filter or secret, and one tampered with or re-spelt', () => {
    const cursor = codec.encode(all(), key)!;
    expect(() => codec.decode(all('other'), cursor)).toThrow(InvalidCursorError);
    expect(() => codec.decode(all('acme', { state: 'completed' }), cursor)).toThrow(InvalidCursorError);
    expect(() => codec.decode(all('acme', { from: '2026-01-01T00:00:00.000Z' }), cursor)).toThrow(InvalidCursorError);
    expect(() => new CursorCodec(`${SECRET}!`).decode(all(), cursor)).toThrow(InvalidCursorError);
    const [payload, tag] = cursor.split('.') as [string, string];
    const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    // The same bytes spelt otherwise: the last character's unused bits changed (the payload is not a multiple of 4 long).
    expect(payload.length % 4).not.toBe(0);
    const respelt = `${payload.slice(0, -1)}${B64URL[B64URL.indexOf(payload.at(-1)!) ^ 1]}`;
    expect(Buffer.from(respelt, 'base64url')).toEqual(Buffer.from(payload, 'base64url'));
    for (const spoilt of [
      '',
      payload,
      `${payload}.`,
      `${payload}.${tag.slice(1)}`,
      `${payload}A.${tag}`,
      `${respelt}.${tag}`,
      `${cursor}x`,
    ]) {
      expect(() => codec.decode(all(), spoilt), spoilt).toThrow(InvalidCursorError);
    }
  });

  it('refuse a well-signed key that does not fit the listing: the shape holds even if the secret leaks', () => {
    const between = all('acme', { from: '2026-07-01T00:00:00.000Z', to: '2026-07-01T23:59:59.999Z' });
    expect(codec.decode(between, signed(between, key))).toEqual(key);
    for (const bad of [
      { ...key, extra: 'x' },
      { gsi3pk: key.gsi3pk, gsi3sk: key.gsi3sk, pk: key.pk },
      { ...key, pk: 'TENANT#other' },
      { ...key, gsi3pk: 'TENANT#other#CALLS' },
      { ...key, sk: 'CALL#c_2' },
      { ...key, sk: 'CALL#' },
      { ...key, gsi3sk: '2026-07-02T00:00:00.000Z#c_123' },
      { ...key, gsi3sk: '2026-06-30T23:59:59.999Z#c_123' },
      { ...key, gsi3sk: 'no-call-id' },
      { ...key, gsi3sk: 5 },
      [key],
      'key',
      null,
    ]) {
      expect(() => codec.decode(between, signed(between, bad)), JSON.stringify(bad)).toThrow(InvalidCursorError);
    }
  });

  it('take the keys-only index start key (table keys, the index hash, the creation instant) and refuse it elsewhere', () => {
    const filter = { from: '2026-07-01T00:00:00.000Z', to: '2026-07-01T23:59:59.999Z' };
    const narrow = (tenantId = 'acme', by = {}) => callsListing({ tenantId, index: callListingIndex('narrow', tenantId, by), filter });
    const narrowKey = { pk: 'TENANT#acme', sk: 'CALL#c_123', ct: 'acme', cs: '2026-07-01T10:00:00.000Z' };
    expect(codec.decode(narrow(), codec.encode(narrow(), narrowKey))).toEqual(narrowKey);
    const agentKey = { pk: 'TENANT#acme', sk: 'CALL#c_123', ca: 'acme#u-17', cs: '2026-07-01T10:00:00.000Z' };
    expect(codec.decode(narrow('acme', { crmUserId: 'u-17' }), signed(narrow('acme', { crmUserId: 'u-17' }), agentKey))).toEqual(agentKey);
    // A cursor of the whole-item listing is not one of the keys-only listing (the index is part of its identity).
    const between = all('acme', filter);
    expect(() => codec.decode(narrow(), codec.encode(between, key))).toThrow(InvalidCursorError);
    for (const bad of [
      { ...narrowKey, ct: 'other' },
      { ...narrowKey, pk: 'TENANT#other' },
      { ...narrowKey, cs: '2026-07-01T10:00:00.000Z#c_123' },
      { ...narrowKey, cs: '2026-07-02T10:00:00.000Z' },
      { pk: narrowKey.pk, sk: narrowKey.sk, ct: narrowKey.ct },
      { ...narrowKey, gsi3pk: 'TENANT#acme#CALLS' },
      agentKey,
      { ...agentKey, ca: 'other#u-17' },
    ]) {
      expect(() => codec.decode(narrow(), signed(narrow(), bad)), JSON.stringify(bad)).toThrow(InvalidCursorError);
    }
    expect(() =>
      codec.decode(narrow('acme', { crmUserId: 'u-17' }), signed(narrow('acme', { crmUserId: 'u-17' }), { ...agentKey, ca: 'other#u-17' })),
    ).toThrow(InvalidCursorError);
  });

  it('bind the agents and team listings to their tenant, team and page filters', () => {
    const agentKey = { pk: 'TENANT#acme', sk: 'AGENT#u-17' };
    const cursor = codec.encode(agentsListing('acme', [true]), agentKey);
    expect(codec.decode(agentsListing('acme', [true]), cursor)).toEqual(agentKey);
    expect(() => codec.decode(agentsListing('acme', [false]), cursor)).toThrow(InvalidCursorError);
    expect(() => codec.decode(teamMembersListing('acme', 'sales'), cursor)).toThrow(InvalidCursorError);
    const sales = teamMembersListing('acme', 'sales');
    expect(() => codec.decode(sales, signed(sales, { pk: 'TENANT#acme', sk: 'TEAM#vip#AGENT#u-17' }))).toThrow(InvalidCursorError);
    expect(() => codec.decode(sales, signed(sales, agentKey))).toThrow(InvalidCursorError);
  });

  it('never hand out a cursor they would refuse (a last key that does not fit is a bug, said loudly)', () => {
    expect(() => codec.encode(all(), { ...key, pk: 'TENANT#other' })).toThrow(/does not fit/);
  });

  it('sign with the stage secret; off AWS without one, with the fixed local secret; a deployed stage without one does not start', () => {
    const cursor = codec.encode(all(), key);
    expect(createCursorCodec({ secret: SECRET, offAws: false }).decode(all(), cursor)).toEqual(key);
    expect(createCursorCodec({ offAws: true }).decode(all(), new CursorCodec(LOCAL_CURSOR_SECRET).encode(all(), key))).toEqual(key);
    expect(() => createCursorCodec({ offAws: false })).toThrow(CursorConfigError);
    expect(() => new CursorCodec('short')).toThrow(CursorConfigError);
  });
});
