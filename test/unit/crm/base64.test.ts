import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeStrictBase64, isRespeltBase64 } from '../../../lib/crm/base64';
import { respellings } from '../../support/respell';

/** A 32-byte HMAC, as HubSpot and Standard Webhooks send it: 43 characters and one `=`. */
const SIGNATURE = createHmac('sha256', 'k').update('delivery').digest();
const CANONICAL = SIGNATURE.toString('base64');

describe('strict base64', () => {
  it.each([
    ['a 32-byte signature', CANONICAL, SIGNATURE],
    ['one byte, two = of padding', 'QQ==', Buffer.from('A')],
    ['two bytes, one =', 'QUI=', Buffer.from('AB')],
    ['three bytes, no padding', 'QUJD', Buffer.from('ABC')],
    ['+ and / of the standard alphabet', '+/+/', Buffer.from([0xfb, 0xff, 0xbf])],
  ])('reads the canonical spelling of %s', (_name, text, bytes) => {
    expect(decodeStrictBase64(text)).toEqual(bytes);
    expect(isRespeltBase64(text)).toBe(false);
  });

  it('finds the other spellings a lenient decoder takes for one signature: 11 passed the old pattern', () => {
    // The count of the issue: each of these used to verify, each with an identity of its own (4 last characters x 3
    // paddings, less the canonical one).
    expect(respellings(CANONICAL).filter((text) => /^[A-Za-z0-9+/]+={0,2}$/.test(text))).toHaveLength(11);
  });

  it.each(respellings(CANONICAL))('refuses the re-spelling %s of the same bytes', (text) => {
    expect(Buffer.from(text, 'base64').equals(SIGNATURE)).toBe(true);
    expect(decodeStrictBase64(text)).toBeUndefined();
    expect(isRespeltBase64(text)).toBe(true);
  });

  it.each([
    ['padding dropped', 'QQ'],
    ['one = where two are due', 'QQ='],
    ['padding where none is due', 'QUJD===='],
    ['unused bits set in the last character', 'QR=='],
    ['base64url characters', '-_-_'],
    ['a space inside', 'QU JD'],
    ['a line break inside', 'QUJD\nQUJD'],
    ['a character outside the alphabet', 'QU*D'],
    ['the empty text', ''],
    ['padding alone', '===='],
  ])('refuses %s', (_name, text) => {
    expect(decodeStrictBase64(text)).toBeUndefined();
  });

  it('tells a re-spelling from text that is not base64 at all (for the log)', () => {
    expect(isRespeltBase64('QQ')).toBe(true);
    expect(isRespeltBase64('QU JD')).toBe(false);
    expect(isRespeltBase64('')).toBe(false);
  });
});
