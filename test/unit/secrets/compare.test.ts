import { describe, expect, it } from 'vitest';
import { credentialHash, safeEqual } from '../../../lib/secrets/compare';
import { basicAuthorization, basicCredentials, verifyPipedriveBasic } from '../../../lib/crm/sources/pipedrive';
import { SecretFormatError, SOURCE_ADAPTERS } from '../../../lib/crm/sources';
import { verifyToken } from '../../../lib/crm/sources/token';

const delivery = (headers: Record<string, string>) => ({ method: 'POST', url: 'https://x', rawBody: '{}', headers });
const stored = (source: 'pipedrive' | 'token', ...raw: string[]) =>
  raw.map((value, i) => ({ secretId: `whs_${i}`, value: SOURCE_ADAPTERS[source].secrets.toStored(value).value }));

describe('constant-time comparison', () => {
  it('compares values of any length without throwing', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abcd')).toBe(false);
    expect(safeEqual('', 'x')).toBe(false);
  });
});

describe('Pipedrive HTTP Basic credentials', () => {
  it('parses the Authorization header, keeping colons in the password', () => {
    expect(basicCredentials(basicAuthorization('c2c', 'pass:with:colons'))).toEqual({ user: 'c2c', password: 'pass:with:colons' });
    expect(basicCredentials('Bearer abc')).toBeUndefined();
    expect(basicCredentials(`Basic ${Buffer.from('no-colon').toString('base64')}`)).toBeUndefined();
  });

  it('accepts either of two live credentials; user and password must both match', () => {
    const secrets = stored('pipedrive', 'c2c:first-password-0001', 'c2c:second-password-002');
    expect(verifyPipedriveBasic(delivery({ authorization: basicAuthorization('c2c', 'second-password-002') }), secrets)).toEqual({
      ok: true,
      secretId: 'whs_1',
    });
    expect(verifyPipedriveBasic(delivery({ authorization: basicAuthorization('other', 'first-password-0001') }), secrets)).toEqual({
      ok: false,
      reason: 'credentials_mismatch',
    });
    expect(verifyPipedriveBasic(delivery({ authorization: basicAuthorization('c2c', 'first-password-0002') }), secrets)).toEqual({
      ok: false,
      reason: 'credentials_mismatch',
    });
    expect(verifyPipedriveBasic(delivery({}), secrets)).toEqual({ ok: false, reason: 'missing_credentials' });
  });

  it('stores only a hash of user:password, and shows the user and the last characters', () => {
    const { value, hint } = SOURCE_ADAPTERS.pipedrive.secrets.toStored('c2c:first-password-0001');
    expect(value).toBe(credentialHash('c2c:first-password-0001'));
    expect(value).not.toContain('first-password');
    expect(hint).toBe('user c2c, password …0001');
  });

  it('refuses a short password or a missing user', () => {
    expect(() => SOURCE_ADAPTERS.pipedrive.secrets.toStored('c2c:short')).toThrow(SecretFormatError);
    expect(() => SOURCE_ADAPTERS.pipedrive.secrets.toStored(':long-enough-password')).toThrow(SecretFormatError);
    expect(() => SOURCE_ADAPTERS.pipedrive.secrets.toStored('no-colon-at-all-here')).toThrow(SecretFormatError);
  });
});

describe('tokens', () => {
  const token = 'c2ct_abcdefghijklmnopqrstuvwxyz012345';
  it('accepts X-C2C-Token or a bearer, compared by hash', () => {
    const secrets = stored('token', token);
    expect(verifyToken(delivery({ 'x-c2c-token': token }), secrets).ok).toBe(true);
    expect(verifyToken(delivery({ authorization: `Bearer ${token}` }), secrets).ok).toBe(true);
    expect(verifyToken(delivery({ 'x-c2c-token': `${token}x` }), secrets)).toEqual({ ok: false, reason: 'credentials_mismatch' });
    expect(verifyToken(delivery({}), secrets)).toEqual({ ok: false, reason: 'missing_credentials' });
  });

  it('generates tokens and whsec_ secrets that their own format accepts', () => {
    for (const source of ['standard', 'pipedrive', 'token'] as const) {
      const generated = SOURCE_ADAPTERS[source].secrets.generate!();
      expect(() => SOURCE_ADAPTERS[source].secrets.toStored(generated)).not.toThrow();
    }
    expect(SOURCE_ADAPTERS.standard.secrets.generate!()).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(typeof SOURCE_ADAPTERS.hubspot.secrets.generate).toBe('undefined');
  });

  it('keeps Standard Webhooks and HubSpot secrets usable (they key an HMAC) but shows only a hint', () => {
    expect(SOURCE_ADAPTERS.standard.secrets.toStored('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')).toEqual({
      value: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      hint: 'whsec_…LaSw',
    });
    expect(() => SOURCE_ADAPTERS.standard.secrets.toStored('whsec_c2hvcnQ=')).toThrow(/24 to 64/);
    expect(SOURCE_ADAPTERS.hubspot.secrets.toStored(' 7e4f6a53-1c3b-4a5e-9d2b-8f0c1a2b3c4d ').hint).toBe('…3c4d');
  });
});
