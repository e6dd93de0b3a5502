import { describe, expect, it } from 'vitest';
import { hashApiKey, tenantOfApiKey } from '../../../lib/store/api-keys';
import { agentByEmailPk, callsByLeadPk, callSk, callTimeSk, tenantPk } from '../../../lib/store/keys';
import { decodeCursor, encodeCursor, InvalidCursorError } from '../../../lib/store/pagination';

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
  const key = { gsi3pk: 'TENANT#acme#CALLS', gsi3sk: '2026#c_1', pk: 'TENANT#acme', sk: 'CALL#c_1' };

  it('round-trip a last evaluated key', () => {
    expect(decodeCursor(encodeCursor(key), { gsi3pk: 'TENANT#acme#CALLS' })).toEqual(key);
  });

  it('refuse a cursor of another listing or tenant', () => {
    expect(() => decodeCursor(encodeCursor(key), { gsi3pk: 'TENANT#other#CALLS' })).toThrow(InvalidCursorError);
  });

  it('refuse garbage', () => {
    expect(() => decodeCursor('!!!', { pk: 'x' })).toThrow(InvalidCursorError);
    expect(() => decodeCursor(Buffer.from('[1]').toString('base64url'), { pk: 'x' })).toThrow(InvalidCursorError);
  });
});
