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
    ['a request id whose last group is all digits', '{"requestId":"5f0c2a9e-1b2c-4d3e-8f4a-843048629312"}'],
    ['a request id ending in digits and a letter', '{"requestId":"5f0c2a9e-1b2c-4d3e-8f4a-84304862931f"}'],
    ['a hex probe id', '{"probeId":"probe_1f2e3d4c5b6a7788990011"}'],
  ])('passes %s', (_what, line) => {
    expect(leaksIn(line)).toEqual([]);
  });
});
