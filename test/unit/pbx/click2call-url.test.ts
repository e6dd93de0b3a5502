import { describe, expect, it } from 'vitest';
import { buildClick2CallUrl, type DialRequest, type PbxSettings } from '../../../lib/pbx/click2call';
import { InvalidDialRequestError, InvalidPbxSettingsError, InvalidPbxUrlError, PbxError } from '../../../lib/pbx/errors';

const click2call: PbxSettings = {
  urlShape: 'click2call',
  baseUrl: 'https://click2call.pbx.commpeak.com',
  crmId: '77',
  clientId: '4242',
  timeoutMs: 5000,
};
const stats: PbxSettings = { ...click2call, urlShape: 'stats', baseUrl: 'https://acme.stats.pbx.commpeak.com' };
const dial: DialRequest = { legA: '1000', legB: '4477668899', query: {} };

describe('buildClick2CallUrl', () => {
  it('puts CRM and Client ids before the legs in the click2call shape', () => {
    expect(buildClick2CallUrl(click2call, dial).href).toBe('https://click2call.pbx.commpeak.com/call/77/4242/1000/4477668899');
  });

  it('puts only the legs under /click2call in the stats shape', () => {
    expect(buildClick2CallUrl(stats, dial).href).toBe('https://acme.stats.pbx.commpeak.com/click2call/1000/4477668899');
  });

  it('adds the prefix as a last segment in both shapes', () => {
    const withPrefix = { ...dial, prefix: '*' };
    expect(buildClick2CallUrl(click2call, withPrefix).pathname).toBe('/call/77/4242/1000/4477668899/*');
    expect(buildClick2CallUrl(stats, withPrefix).pathname).toBe('/click2call/1000/4477668899/*');
  });

  it('leaves the prefix segment out when the prefix is empty', () => {
    expect(buildClick2CallUrl(stats, { ...dial, prefix: '' }).pathname).toBe('/click2call/1000/4477668899');
  });

  it.each([
    ['#', '%23'],
    ['a/b', 'a%2Fb'],
    ['../..', '..%2F..'],
    ['9?x=1#y', '9%3Fx%3D1%23y'],
    ['%2F', '%252F'],
    ['* 1', '*%201'],
  ])('encodes the prefix %j as the single segment %s', (prefix, segment) => {
    const url = buildClick2CallUrl(stats, { ...dial, prefix });
    expect(url.pathname).toBe(`/click2call/1000/4477668899/${segment}`);
    expect(url.search).toBe('');
    expect(url.hash).toBe('');
    expect(decodeURIComponent(url.pathname.split('/').at(-1) ?? '')).toBe(prefix);
  });

  it.each(['.', '..'])('rejects the dot-segment prefix %j, which no encoding can carry in a URL', (prefix) => {
    expect(() => buildClick2CallUrl(stats, { ...dial, prefix })).toThrow(InvalidDialRequestError);
  });

  it('rejects a prefix that is not well-formed Unicode', () => {
    expect(() => buildClick2CallUrl(stats, { ...dial, prefix: '\ud800' })).toThrow(InvalidDialRequestError);
  });

  it('URL-encodes every custom data entry into the query string', () => {
    const url = buildClick2CallUrl(stats, {
      ...dial,
      query: { leadid: '1234', c2c_call_id: 'c_AB&C=D', note: 'a b/é#?' },
    });
    expect(url.search).toBe('?leadid=1234&c2c_call_id=c_AB%26C%3DD&note=a+b%2F%C3%A9%23%3F');
    expect(Object.fromEntries(url.searchParams)).toEqual({ leadid: '1234', c2c_call_id: 'c_AB&C=D', note: 'a b/é#?' });
  });

  it('keeps a base path and ignores a trailing slash on the base URL', () => {
    const url = buildClick2CallUrl({ ...stats, baseUrl: 'http://127.0.0.1:4010/pbx/' }, dial);
    expect(url.href).toBe('http://127.0.0.1:4010/pbx/click2call/1000/4477668899');
  });

  it.each([
    ['legA', { legA: '10a0' }],
    ['legA', { legA: '' }],
    ['legB', { legB: '+4477668899' }],
    ['legB', { legB: '44 7766 8899' }],
    ['legB', { legB: '4477668899/../1' }],
  ] as const)('rejects a non-digit %s', (field, override) => {
    const attempt = () => buildClick2CallUrl(stats, { ...dial, ...override });
    expect(attempt).toThrow(InvalidDialRequestError);
    expect(attempt).toThrow(expect.objectContaining({ field, name: 'InvalidDialRequestError' }));
  });

  it('never puts the rejected value in the error message', () => {
    try {
      buildClick2CallUrl(stats, { ...dial, legB: '+4477668899' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(PbxError);
      expect((err as Error).message).not.toContain('4477668899');
    }
  });

  it.each([
    ['crmId', { crmId: 'acme' }],
    ['clientId', { clientId: '12-3' }],
  ] as const)('rejects a non-digit %s in the click2call shape', (setting, override) => {
    expect(() => buildClick2CallUrl({ ...click2call, ...override }, dial)).toThrow(
      expect.objectContaining({ setting, name: 'InvalidPbxSettingsError' }),
    );
  });

  it('does not need CRM and Client ids in the stats shape', () => {
    expect(() => buildClick2CallUrl({ ...stats, crmId: '', clientId: '' }, dial)).not.toThrow();
  });

  it('rejects an unknown URL shape', () => {
    const settings = { ...stats, urlShape: 'v3' } as unknown as PbxSettings;
    expect(() => buildClick2CallUrl(settings, dial)).toThrow(InvalidPbxSettingsError);
  });

  it.each([
    'click2call.pbx.commpeak.com',
    'ftp://click2call.pbx.commpeak.com',
    'https://user:secret@click2call.pbx.commpeak.com',
    'https://click2call.pbx.commpeak.com/?x=1',
    'https://click2call.pbx.commpeak.com/#x',
  ])('rejects the base URL %s', (baseUrl) => {
    expect(() => buildClick2CallUrl({ ...click2call, baseUrl }, dial)).toThrow(InvalidPbxUrlError);
  });

  it('validates the legs before the base URL', () => {
    expect(() => buildClick2CallUrl({ ...stats, baseUrl: 'nope' }, { ...dial, legA: 'x' })).toThrow(InvalidDialRequestError);
  });
});
