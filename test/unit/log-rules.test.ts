import { describe, expect, it } from 'vitest';
import { leaksIn } from '../support/log-rules';

describe('the log scan rules', () => {
  it.each([
    ['a whole E.164 number', '{"level":"INFO","to":"+447766889900"}'],
    ['a number as typed', '{"message":"calling +44 7766 889900"}'],
    ['digits without the plus', '{"legB":"447766889900"}'],
    ['an API key', '{"key":"c2c_acme_abcdefghijklmnopqrstuvwxyzABCDEF12"}'],
    ['a webhook secret', '{"secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}'],
    ['a bearer header', '{"authorization":"Bearer abcdefghijklmnop"}'],
  ])('finds %s', (_what, line) => {
    expect(leaksIn(line).length).toBeGreaterThan(0);
  });

  it.each([
    ['a masked number', '{"to":"+44*******900"}'],
    ['an EMF timestamp', '{"_aws":{"Timestamp":1795731560591}}'],
    ['a PBX unique id', '{"uniqueId":"1795729243.1001"}'],
    ['an ISO time', '{"timestamp":"2026-11-26T21:51:01.230Z"}'],
    ['a call id and key id', '{"callId":"c_HEDR0N6K5378QF7K0WDNP161P2","keyId":"k_d0p-H1HS"}'],
  ])('passes %s', (_what, line) => {
    expect(leaksIn(line)).toEqual([]);
  });
});
