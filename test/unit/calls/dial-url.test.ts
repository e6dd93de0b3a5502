import { describe, expect, it } from 'vitest';
import { assertDialUrlFits, dialQueryOf, pbxSettingsOf } from '../../../lib/calls/dial-url';
import type { CallRequest } from '../../../lib/calls/request';
import { DomainError } from '../../../lib/model/domain-error';
import { buildClick2CallUrl, Click2CallClient, MAX_CLICK2CALL_URL_LENGTH } from '../../../lib/pbx/click2call';
import { InvalidDialRequestError } from '../../../lib/pbx/errors';
import type { Tenant } from '../../../lib/model/tenant';
import { containing } from '../../support/match';

const tenant = {
  tenantId: 'acme',
  crmId: '100',
  clientId: '200',
  pbx: { urlShape: 'click2call', baseUrl: 'https://click2call.pbx.commpeak.com' },
} as Tenant;
const CALL_ID = 'c_0123456789ABCDEFGHJKMNPQRS';
const base: CallRequest = { agent: { crmUserId: 'u-17' }, to: '+447766889900', lead: { id: 'lead-1' } };
const legs = { legA: '1000', legB: '447766889900' };

/** The length of the URL the dial would send for `request`, by the client's own builder. */
const urlLength = (request: CallRequest) =>
  buildClick2CallUrl(pbxSettingsOf(tenant, 1000), {
    ...legs,
    prefix: request.prefix,
    query: dialQueryOf({ callId: CALL_ID, customData: request.customData ?? {}, leadId: request.lead?.id }),
  }).href.length;

/** A request whose URL is exactly `target` characters long, filled with ASCII custom data. */
function requestOfLength(target: number): CallRequest {
  const customData: Record<string, string> = {};
  for (let i = 0; ; i++) {
    const name = `d${String(i).padStart(2, '0')}`;
    const room = target - urlLength({ ...base, customData }) - `&${name}=`.length;
    customData[name] = 'a'.repeat(Math.min(256, room));
    if (room <= 256) return { ...base, customData };
  }
}

const check =
  (request: CallRequest, dial: { legA?: string; legB?: string } = legs) =>
  () =>
    assertDialUrlFits(tenant, { callId: CALL_ID, request, ...dial });

describe('assertDialUrlFits', () => {
  it(`takes a URL of exactly ${MAX_CLICK2CALL_URL_LENGTH} characters and refuses one more, naming customData`, () => {
    const atCap = requestOfLength(MAX_CLICK2CALL_URL_LENGTH);
    expect(urlLength(atCap)).toBe(MAX_CLICK2CALL_URL_LENGTH);
    expect(check(atCap)).not.toThrow();
    const over = requestOfLength(MAX_CLICK2CALL_URL_LENGTH + 1);
    expect(check(over)).toThrow(DomainError);
    try {
      check(over)();
    } catch (error) {
      expect((error as DomainError).errors).toEqual([
        { path: 'customData', message: containing(`${MAX_CLICK2CALL_URL_LENGTH + 1} characters`) },
      ]);
    }
  });

  it('refuses 20 custom values of 256 characters outside ASCII (about 46 KB once encoded), agent known or not', () => {
    const customData = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`field${i}`, '€'.repeat(256)]));
    const request = { ...base, customData };
    expect(urlLength(request)).toBeGreaterThan(45_000);
    expect(check(request)).toThrow(
      expect.objectContaining({ code: 'invalid_request', errors: [expect.objectContaining({ path: 'customData' })] }),
    );
    expect(check(request, {})).toThrow(DomainError);
  });

  it('judges a request on its own fields when the agent or the number did not resolve (longest stand-ins)', () => {
    const nearCap = requestOfLength(MAX_CLICK2CALL_URL_LENGTH - 5);
    expect(check(nearCap)).not.toThrow();
    expect(check(nearCap, {})).toThrow(DomainError);
  });

  it('leaves settings that cannot make a URL to the dial, which records them as not sent', () => {
    const broken = { ...tenant, pbx: { ...tenant.pbx, baseUrl: 'ftp://pbx.example' } };
    expect(() => assertDialUrlFits(broken, { callId: CALL_ID, request: base, ...legs })).not.toThrow();
  });
});

describe('dialQueryOf', () => {
  it('sends our call id and the lead over any custom data', () => {
    expect(
      dialQueryOf({ callId: CALL_ID, customData: { domain: 'x', c2c_call_id: 'c_FORGED', leadid: 'forged' }, leadId: 'lead-1' }),
    ).toEqual({
      domain: 'x',
      c2c_call_id: CALL_ID,
      leadid: 'lead-1',
    });
  });
});

describe('Click2CallClient.dial past the URL cap', () => {
  it('refuses before any I/O (the backstop behind the check at request time)', async () => {
    const client = new Click2CallClient();
    const settings = { ...pbxSettingsOf(tenant, 1000), baseUrl: 'http://127.0.0.1:9' };
    const query = dialQueryOf({
      callId: CALL_ID,
      customData: requestOfLength(MAX_CLICK2CALL_URL_LENGTH + 50).customData!,
      leadId: 'lead-1',
    });
    await expect(client.dial(settings, { ...legs, query })).rejects.toThrow(InvalidDialRequestError);
    client.close();
  });
});
