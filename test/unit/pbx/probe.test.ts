import { describe, expect, it } from 'vitest';
import type { DialOutcome, DialRequest, PbxSettings } from '../../../lib/pbx/click2call';
import { InvalidPbxSettingsError } from '../../../lib/pbx/errors';
import { DEFAULT_PROBE_EXTENSION, DEFAULT_PROBE_NUMBER, interpretProbeOutcome, loadProbeSettings, probePbx } from '../../../lib/pbx/probe';
import { extensionSchema } from '../../../lib/model/agent';

const settings: PbxSettings = {
  urlShape: 'click2call',
  baseUrl: 'https://click2call.pbx.commpeak.com',
  crmId: '100',
  clientId: '200',
  timeoutMs: 2000,
};
const context = { egressIp: '203.0.113.7', legA: DEFAULT_PROBE_EXTENSION, host: 'click2call.pbx.commpeak.com' };

/** A PBX that answers `outcome` and remembers what it was asked. */
function fakePbx(outcome: DialOutcome | Error) {
  const sent: Array<{ settings: PbxSettings; request: DialRequest }> = [];
  return {
    sent,
    pbx: {
      dial: (s: PbxSettings, request: DialRequest) => {
        sent.push({ settings: s, request });
        return outcome instanceof Error ? Promise.reject(outcome) : Promise.resolve(outcome);
      },
    },
  };
}

describe('the probe extension', () => {
  it('defaults to a value no agent can hold: agent extensions are at most 12 digits', () => {
    expect(loadProbeSettings({})).toEqual({ legA: DEFAULT_PROBE_EXTENSION, legB: DEFAULT_PROBE_NUMBER });
    expect(extensionSchema.safeParse(DEFAULT_PROBE_EXTENSION).success).toBe(false);
    // The invariant the setting relies on: no agent extension is 13 digits or longer.
    expect(extensionSchema.safeParse('2'.repeat(13)).success).toBe(false);
    expect(DEFAULT_PROBE_EXTENSION.length).toBeGreaterThan(15); // longer than any E.164 number, too
  });

  it('accepts another long extension, and refuses short ones and those starting with 0, 1 or 9 (access codes, emergency numbers)', () => {
    expect(loadProbeSettings({ PBX_PROBE_EXTENSION: '7777777777777', PBX_PROBE_NUMBER: '15555550100' })).toEqual({
      legA: '7777777777777',
      legB: '15555550100',
    });
    expect(loadProbeSettings({ PBX_PROBE_EXTENSION: '' }).legA).toBe(DEFAULT_PROBE_EXTENSION);
    for (const bad of ['1000', '777777777777', '0000000000000000', '1120000000000', '9990000000000', '8888x88888888', '8'.repeat(33)]) {
      expect(() => loadProbeSettings({ PBX_PROBE_EXTENSION: bad }), bad).toThrow(/PBX_PROBE_EXTENSION/);
    }
    expect(() => loadProbeSettings({ PBX_PROBE_NUMBER: '+447700900000' })).toThrow(/PBX_PROBE_NUMBER/);
  });
});

describe('probePbx', () => {
  it('sends the impossible extension and the drama number, with only c2c_probe as custom data (never a call id)', async () => {
    const { pbx, sent } = fakePbx({ kind: 'refused', message: 'Extension does not exist.', latencyMs: 40 });
    const report = await probePbx({ pbx, now: () => new Date('2026-03-01T10:00:00Z') }, settings, loadProbeSettings({}), '203.0.113.7');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.settings).toBe(settings);
    expect(sent[0]!.request).toEqual({ legA: DEFAULT_PROBE_EXTENSION, legB: '447700900000', query: { c2c_probe: report.probeId } });
    expect(report).toMatchObject({
      verdict: 'allowlisted',
      ok: true,
      egressIp: '203.0.113.7',
      pbx: { host: 'click2call.pbx.commpeak.com', urlShape: 'click2call' },
      request: { legA: DEFAULT_PROBE_EXTENSION, legB: '447700900000' },
      answer: { kind: 'refused', message: 'Extension does not exist.', latencyMs: 40 },
      probedAt: '2026-03-01T10:00:00.000Z',
    });
    expect(report.probeId).toMatch(/^probe_[0-9a-f]{12}$/);
  });

  it('answers "misconfigured" when the settings cannot make a request, and rethrows anything else', async () => {
    const bad = fakePbx(new InvalidPbxSettingsError('crmId', 'crmId must be digits only'));
    const report = await probePbx(bad, settings, loadProbeSettings({}), null);
    expect(report).toMatchObject({
      verdict: 'misconfigured',
      ok: false,
      answer: { kind: 'invalid_settings', detail: 'crmId must be digits only' },
    });

    const bug = fakePbx(new TypeError('boom'));
    await expect(probePbx(bug, settings, loadProbeSettings({}), null)).rejects.toThrow('boom');
  });
});

describe('interpretProbeOutcome', () => {
  it('a refusal means the PBX read the request: allowlisted', () => {
    expect(interpretProbeOutcome({ kind: 'refused', message: 'Extension does not exist.', latencyMs: 1 }, context)).toMatchObject({
      verdict: 'allowlisted',
    });
    // Any refusal message will do: the PBX answered this address.
    expect(interpretProbeOutcome({ kind: 'refused', message: 'Invalid leg_a.', latencyMs: 1 }, context).verdict).toBe('allowlisted');
  });

  it('404 is the PBX turning this address away, and the summary names the address to allowlist', () => {
    const { verdict, summary } = interpretProbeOutcome({ kind: 'not_allowlisted', httpStatus: 404, latencyMs: 1 }, context);
    expect(verdict).toBe('not_allowlisted');
    expect(summary).toContain('add 203.0.113.7 to the IP ACL');
    expect(summary).toContain('422 pbx_not_allowlisted');
  });

  it('a PBX that accepts a call to an extension that cannot exist is reported loudly, with its unique id', () => {
    const accepted: DialOutcome = {
      kind: 'accepted',
      uniqueId: '1.2',
      message: 'OK',
      legA: DEFAULT_PROBE_EXTENSION,
      legB: '',
      pbxHost: '',
      latencyMs: 1,
    };
    const { verdict, summary } = interpretProbeOutcome(accepted, context);
    expect(verdict).toBe('accepted');
    expect(summary).toContain('unique_id 1.2');
    expect(summary).toContain(DEFAULT_PROBE_EXTENSION);
  });

  it('nothing sent is unreachable; 401/403 are the credentials; other lost answers are inconclusive', () => {
    expect(interpretProbeOutcome({ kind: 'not_sent', code: 'ENOTFOUND', detail: 'x', latencyMs: 1 }, context).verdict).toBe('unreachable');
    expect(interpretProbeOutcome({ kind: 'unknown', code: 'http_401', detail: 'x', httpStatus: 401, latencyMs: 1 }, context).verdict).toBe(
      'credentials_refused',
    );
    expect(interpretProbeOutcome({ kind: 'unknown', code: 'http_403', detail: 'x', httpStatus: 403, latencyMs: 1 }, context).verdict).toBe(
      'credentials_refused',
    );
    expect(interpretProbeOutcome({ kind: 'unknown', code: 'timeout', detail: 'x', latencyMs: 1 }, context).verdict).toBe('inconclusive');
    expect(interpretProbeOutcome({ kind: 'unknown', code: 'http_503', detail: 'x', httpStatus: 503, latencyMs: 1 }, context).verdict).toBe(
      'inconclusive',
    );
    expect(
      interpretProbeOutcome({ kind: 'unknown', code: 'unreadable_body', detail: 'x', httpStatus: 200, latencyMs: 1 }, context).verdict,
    ).toBe('inconclusive');
  });

  it('without a known egress IP, says where to find it', () => {
    const { summary } = interpretProbeOutcome({ kind: 'not_allowlisted', httpStatus: 404, latencyMs: 1 }, { ...context, egressIp: null });
    expect(summary).toContain('EgressIp stack output');
  });
});
