import { describe, expect, it } from 'vitest';
import {
  checkAgents,
  checkAllowlist,
  checkCallback,
  checkEgressIp,
  checkNotifications,
  checkOutcomes,
  checkPbxConnect,
  checkPbxDns,
  checkPbxEvents,
  checkPbxSettings,
  checkTenant,
  checkWebhookSources,
  stageReachedPbx,
  worst,
  type ProbeAnswer,
} from '../../../lib/doctor/checks';
import type { PbxProbeReport } from '../../../lib/pbx/probe';
import { tenantSchema, type Tenant } from '../../../lib/model/tenant';

const NOW = '2026-03-01T10:00:00.000Z';
const secret = { id: 'ws_1', secret: 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=', createdAt: NOW };

function tenant(overrides: Record<string, unknown> = {}): Tenant {
  return tenantSchema.parse({
    tenantId: 'acme',
    name: 'Acme Ltd',
    crmId: '100',
    clientId: '200',
    defaultCountry: 'GB',
    pbx: {
      urlShape: 'click2call',
      baseUrl: 'https://click2call.pbx.commpeak.com',
      cdrApiUrl: 'https://acme.stats.pbx.commpeak.com/api/cdrs',
    },
    createdAt: NOW,
    updatedAt: NOW,
    ...overrides,
  });
}

function probeReport(overrides: Partial<PbxProbeReport>): PbxProbeReport {
  return {
    probeId: 'probe_1',
    verdict: 'allowlisted',
    ok: true,
    summary: '...',
    egressIp: '203.0.113.7',
    pbx: { host: 'click2call.pbx.commpeak.com', urlShape: 'click2call' },
    request: { legA: '8888888888888888', legB: '447700900000' },
    answer: { kind: 'refused', message: 'Extension does not exist.', latencyMs: 30 },
    probedAt: NOW,
    ...overrides,
  };
}

describe('tenant', () => {
  it('a missing tenant is a problem that names where it was looked for', () => {
    const { result, tenant: found } = checkTenant('acme', undefined, 'table c2c-prod in eu-west-1');
    expect(found).toBeUndefined();
    expect(result).toMatchObject({ status: 'problem' });
    expect(result.message).toContain('table c2c-prod in eu-west-1');
  });

  it('settings that fail validation are a problem naming each field', () => {
    const { result } = checkTenant('acme', { ...tenant(), crmId: 'abc', callback: { url: 'https://x.example', secrets: [] } }, 'here');
    expect(result.status).toBe('problem');
    expect(result.details?.invalidFields).toEqual(
      expect.arrayContaining([expect.stringMatching(/^crmId: /), expect.stringMatching(/^callback\.secrets: /)]),
    );
  });

  it('a suspended tenant is a problem; an active one is ok', () => {
    expect(checkTenant('acme', { ...tenant(), status: 'suspended' }, 'here').result).toMatchObject({ status: 'problem' });
    expect(checkTenant('acme', tenant(), 'here').result).toMatchObject({ status: 'ok' });
  });
});

describe('PBX settings', () => {
  it('all set: ok', () => {
    expect(checkPbxSettings(tenant(), 8000)).toMatchObject({ status: 'ok' });
    expect(checkPbxSettings(tenant(), 8000).message).toContain('8000 ms timeout (stage default)');
  });

  it('a URL shape that does not fit the host, plain http, no CDR search: warnings, each said', () => {
    const result = checkPbxSettings(tenant({ pbx: { urlShape: 'click2call', baseUrl: 'http://acme.stats.pbx.commpeak.com' } }), undefined);
    expect(result.status).toBe('warn');
    expect(result.message).toContain('is a PBX Stats host but the URL shape is click2call');
    expect(result.message).toContain('plain http');
    expect(result.message).toContain('No CDR search URL');
    const stats = checkPbxSettings(
      tenant({ pbx: { urlShape: 'stats', baseUrl: 'https://click2call.pbx.commpeak.com', cdrApiUrl: 'https://x.example' } }),
      undefined,
    );
    expect(stats.message).toContain('is the Click2Call service but the URL shape is stats');
  });

  it('a base URL that cannot make a request is a problem', () => {
    const result = checkPbxSettings(tenant({ pbx: { urlShape: 'click2call', baseUrl: 'https://user:pw@pbx.example.com' } }), undefined);
    expect(result.status).toBe('problem');
    expect(result.message).toContain('cannot make a Click2Call request');
  });
});

describe('PBX network from this machine', () => {
  const endpoint = { host: 'pbx.example.com', port: 443, tls: true };

  it('DNS and TLS failures are problems, unless the stage reached the PBX anyway', () => {
    const dns = { ok: false as const, ms: 3, code: 'ENOTFOUND', detail: 'x' };
    expect(checkPbxDns('pbx.example.com', dns)).toMatchObject({ status: 'problem' });
    const softened = checkPbxDns('pbx.example.com', dns, true);
    expect(softened.status).toBe('warn');
    expect(softened.message).toContain('Seen from this machine only');
    expect(softened.message).not.toContain('No call can reach');

    const cert = checkPbxConnect(endpoint, { ok: false, ms: 9, code: 'ERR_TLS_CERT_ALTNAME_INVALID', detail: 'x' });
    expect(cert).toMatchObject({ status: 'problem', title: 'PBX TLS' });
    expect(cert.message).toContain('the certificate is for another host name');
  });

  it('a certificate that expires within 14 days is a warning', () => {
    const soon = checkPbxConnect(endpoint, { ok: true, ms: 40, protocol: 'TLSv1.3', validTo: '2026-03-05T00:00:00.000Z', daysLeft: 3 });
    expect(soon.status).toBe('warn');
    expect(soon.message).toContain('expires in 3 days');
    expect(checkPbxConnect(endpoint, { ok: true, ms: 40, protocol: 'TLSv1.3', daysLeft: 80 }).status).toBe('ok');
  });
});

describe('egress IP and allowlist', () => {
  it('the egress IP from /v1/health; unknown is a warning; no API is a problem', () => {
    expect(checkEgressIp('https://api.example.com', { ok: true, egressIp: '203.0.113.7', stage: 'prod', ms: 20 }).message).toContain(
      '203.0.113.7',
    );
    expect(checkEgressIp('https://api.example.com', { ok: true, egressIp: null, ms: 20 }).status).toBe('warn');
    expect(checkEgressIp('https://api.example.com', { ok: false, error: 'ECONNREFUSED', ms: 2 }).status).toBe('problem');
    expect(checkEgressIp(undefined, undefined).status).toBe('warn');
  });

  it('maps each probe verdict to a status, and names the egress IP in the fix for a missing allowlist entry', () => {
    const answer = (report: PbxProbeReport): ProbeAnswer => ({ ok: true, report, ms: 100 });
    const run = (report: PbxProbeReport) => checkAllowlist({ apiUrl: 'https://api', keySource: 'k', probe: answer(report) });
    expect(run(probeReport({})).status).toBe('ok');
    const missing = run(
      probeReport({ verdict: 'not_allowlisted', ok: false, answer: { kind: 'not_allowlisted', httpStatus: 404, latencyMs: 5 } }),
    );
    expect(missing.status).toBe('problem');
    expect(missing.fix).toContain('add 203.0.113.7 to the IP ACL');
    expect(missing.message).toContain('no phone rang');
    const accepted = run(probeReport({ verdict: 'accepted', ok: false, answer: { kind: 'accepted', uniqueId: '9.9', latencyMs: 5 } }));
    expect(accepted.status).toBe('problem');
    expect(accepted.message).toContain('A phone may have rung');
    expect(accepted.message).not.toContain('no phone rang');
    expect(
      run(probeReport({ verdict: 'inconclusive', ok: false, answer: { kind: 'unknown', code: 'timeout', latencyMs: 5 } })).status,
    ).toBe('warn');
    expect(
      run(probeReport({ verdict: 'credentials_refused', ok: false, answer: { kind: 'unknown', httpStatus: 401, latencyMs: 5 } })).status,
    ).toBe('problem');
  });

  it('without a key or an API URL, or when the endpoint refuses, says it did not check and how to', () => {
    expect(checkAllowlist({}).message).toMatch(/^Not checked/);
    expect(checkAllowlist({ apiUrl: 'https://api' }).fix).toContain('--temp-key');
    const scope = checkAllowlist({
      apiUrl: 'https://api',
      keySource: 'k',
      probe: { ok: false, status: 403, code: 'insufficient_scope', error: 'x', ms: 1 },
    });
    expect(scope).toMatchObject({ status: 'warn' });
    expect(scope.message).toContain('lacks the scope calls:write');
    const old = checkAllowlist({ apiUrl: 'https://api', keySource: 'k', probe: { ok: false, status: 404, error: 'x', ms: 1 } });
    expect(old.message).toContain('redeploy');
  });

  it('the stage reached the PBX when the probe got any HTTP answer', () => {
    expect(stageReachedPbx({ ok: true, report: probeReport({ verdict: 'not_allowlisted' }), ms: 1 })).toBe(true);
    expect(
      stageReachedPbx({ ok: true, report: probeReport({ verdict: 'unreachable', answer: { kind: 'not_sent', latencyMs: 1 } }), ms: 1 }),
    ).toBe(false);
    expect(
      stageReachedPbx({
        ok: true,
        report: probeReport({ verdict: 'inconclusive', answer: { kind: 'unknown', httpStatus: 502, latencyMs: 1 } }),
        ms: 1,
      }),
    ).toBe(true);
    expect(stageReachedPbx(undefined)).toBe(false);
  });
});

describe('agents', () => {
  const item = (crmUserId: string, extension?: unknown) => ({
    pk: 'TENANT#acme',
    sk: `AGENT#${crmUserId}`,
    crmUserId,
    ...(extension === undefined ? {} : { extension }),
  });

  it('none at all is a problem, and the other agent checks are left out', () => {
    const results = checkAgents([]);
    expect(results.map((r) => [r.id, r.status])).toEqual([['agents', 'problem']]);
  });

  it('finds agents without an extension or with an invalid one, and extensions held twice', () => {
    const results = checkAgents([
      item('u-1', '1000'),
      item('u-2', '1000'),
      item('u-3'),
      item('u-4', 'ext 12'),
      item('u-5', '1001'),
      item('u-6', '1001'),
      item('u-7', '1002'),
    ]);
    const byId = Object.fromEntries(results.map((r) => [r.id, r]));
    expect(byId.agents).toMatchObject({ status: 'ok', message: '7 agents.' });
    expect(byId['agent-extensions']).toMatchObject({ status: 'problem', details: { missing: ['u-3'], invalid: ['u-4'] } });
    expect(byId['duplicate-extensions']).toMatchObject({
      status: 'problem',
      details: { shared: { '1000': ['u-1', 'u-2'], '1001': ['u-5', 'u-6'] } },
    });
    expect(byId['duplicate-extensions']!.message).toMatch(/^Extension 1000 is held by u-1, u-2; Extension 1001 is held by u-5, u-6: /);
  });

  it('a clean list is ok on all three', () => {
    expect(checkAgents([item('u-1', '1000'), item('u-2', '1001')]).map((r) => r.status)).toEqual(['ok', 'ok', 'ok']);
  });
});

describe('webhook sources', () => {
  const source = (name: string, secrets: number) => ({
    tenantId: 'acme',
    source: name,
    secrets: Array.from({ length: secrets }, (_, i) => ({ secretId: `whs_${i}`, value: 'v', hint: 'h', createdAt: NOW })),
    version: 1,
    createdAt: NOW,
    updatedAt: NOW,
  });

  it('none configured is fine; one without a live secret is a problem that names it', () => {
    expect(checkWebhookSources([]).status).toBe('ok');
    const result = checkWebhookSources([source('hubspot', 0), source('token', 2)]);
    expect(result).toMatchObject({ status: 'problem', details: { withoutSecret: ['hubspot'] } });
    expect(result.message).toContain('Fine: token (2 secrets)');
  });

  it('an item that fails validation is a problem too', () => {
    expect(checkWebhookSources([{ ...source('pipedrive', 1), version: 'x' }]).details).toMatchObject({ invalid: ['pipedrive'] });
  });
});

describe('callback', () => {
  const withCallback = tenant({ callback: { url: 'https://crm.example.com/hooks', secrets: [secret] } });
  const reached = { dns: { ok: true as const, ms: 5, addresses: ['192.0.2.1'] }, connect: { ok: true as const, ms: 20 } };

  it('none configured is a warning', () => {
    expect(checkCallback(tenant(), {})).toMatchObject({ status: 'warn' });
  });

  it('a 2xx to the ping is ok', () => {
    const result = checkCallback(withCallback, { ...reached, ping: { ok: true, webhookId: 'ping_1', status: 204, ms: 80 } });
    expect(result).toMatchObject({ status: 'ok', details: { status: 204, dnsMs: 5, connectMs: 20 } });
  });

  it('tells apart the failures an operator meets', () => {
    const ping = (status: number | undefined, error = `HTTP ${status}`) =>
      checkCallback(withCallback, {
        ...reached,
        ping: { ok: false, webhookId: 'ping_1', ms: 10, error, ...(status === undefined ? {} : { status }) },
      });
    expect(ping(401)).toMatchObject({ status: 'problem' });
    expect(ping(401).message).toContain('another secret');
    expect(ping(302).message).toContain('do not follow redirects');
    expect(ping(404).message).toContain('no receiver at that path');
    expect(ping(503).message).toContain('dead-lettered after 24 h');
    expect(ping(undefined, 'no answer within 5000 ms')).toMatchObject({ status: 'problem' });
    // A receiver that is up but refuses an event type it does not know: it may still take call events.
    expect(ping(400)).toMatchObject({ status: 'warn' });
    expect(ping(400).fix).toContain('answer 2xx to {"type":"ping"}');
  });

  it('stops at the first network step that fails', () => {
    const dns = checkCallback(withCallback, { dns: { ok: false, ms: 5, code: 'ENOTFOUND', detail: 'x' } });
    expect(dns.message).toContain('crm.example.com does not resolve');
    const connect = checkCallback(withCallback, { dns: reached.dns, connect: { ok: false, ms: 5, code: 'ECONNREFUSED', detail: 'x' } });
    expect(connect.message).toContain('connection refused');
  });
});

describe('outcomes and the background jobs', () => {
  it('no live PBX events token is a warning', () => {
    expect(checkPbxEvents(tenant()).status).toBe('warn');
    const revoked = tenant({ pbxEvents: { tokens: [{ id: 'pt_1', hash: 'h', createdAt: NOW, revokedAt: NOW }] } });
    expect(checkPbxEvents(revoked).status).toBe('warn');
    expect(checkPbxEvents(tenant({ pbxEvents: { tokens: [{ id: 'pt_2', hash: 'h', createdAt: NOW }] } })).status).toBe('ok');
  });

  it('calls waiting for their end and orphan events are warnings with counts', () => {
    expect(checkOutcomes({ stuckCalls: 0, orphanEvents: 0, windowHours: 24, minAgeMinutes: 60 }).status).toBe('ok');
    const result = checkOutcomes({ stuckCalls: 3, orphanEvents: 2, windowHours: 24, minAgeMinutes: 60 });
    expect(result.status).toBe('warn');
    expect(result.message).toContain('3 calls of the last 24 h are still "dialing"');
    expect(result.message).toContain('2 PBX events');
  });

  it('dead letters and failing deliveries are warnings with the last error', () => {
    expect(checkNotifications({ deadLettered: 0, retrying: 0 }).status).toBe('ok');
    const result = checkNotifications({ deadLettered: 2, retrying: 1, lastError: 'HTTP 503' });
    expect(result.status).toBe('warn');
    expect(result.message).toContain('(last error: HTTP 503)');
  });

  it('the worst status wins', () => {
    expect(worst([])).toBe('ok');
    expect(worst(['ok', 'warn', 'ok'])).toBe('warn');
    expect(worst(['warn', 'problem', 'ok'])).toBe('problem');
  });
});
