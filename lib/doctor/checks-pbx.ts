/** The doctor's checks of the PBX: its settings, DNS, connection, this stage's egress IP and the allowlist probe. */
import { buildClick2CallUrl } from '../pbx/click2call';
import type { PbxProbeReport } from '../pbx/probe';
import { type Tenant } from '../model/tenant';
import { isIP } from 'node:net';
import { explainNetworkCode, type StepResult, type TlsFacts } from './net';
import { capitalize, listOf, plural, safeUrl, worst, type CheckResult, type CheckStatus } from './check-result';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** The PBX settings make a request, and fit together (URL shape and host, CDR search for the reconciler). */
export function checkPbxSettings(tenant: Tenant, defaultTimeoutMs: number | undefined): CheckResult {
  const pbx = tenant.pbx;
  const findings: Array<{ status: CheckStatus; text: string; fix?: string }> = [];
  try {
    buildClick2CallUrl(
      { urlShape: pbx.urlShape, baseUrl: pbx.baseUrl, crmId: tenant.crmId, clientId: tenant.clientId, timeoutMs: 1 },
      { legA: '1', legB: '1', query: {} },
    );
  } catch (error) {
    findings.push({
      status: 'problem',
      text: `the base URL cannot make a Click2Call request (${(error as Error).message}): every call ends not_sent (503).`,
      fix: 'Set a base URL of the form https://host[/path], without credentials, query or fragment (Basic credentials go in the PBX user and password).',
    });
  }
  const url = safeUrl(pbx.baseUrl);
  const host = url?.hostname.toLowerCase() ?? '';
  if (host.endsWith('.stats.pbx.commpeak.com') && pbx.urlShape === 'click2call') {
    findings.push({
      status: 'warn',
      text: `the host ${host} is a PBX Stats host but the URL shape is click2call (/call/{CRM_ID}/{Client_ID}/...): the PBX answers 404 to that path, which reads as "not allowlisted".`,
      fix: 'Use URL shape stats with a PBX Stats host, or the click2call host with shape click2call.',
    });
  } else if (host === 'click2call.pbx.commpeak.com' && pbx.urlShape === 'stats') {
    findings.push({
      status: 'warn',
      text: `the host ${host} is the Click2Call service but the URL shape is stats (/click2call/{leg_a}/...): the PBX answers 404 to that path, which reads as "not allowlisted".`,
      fix: 'Use URL shape click2call with click2call.pbx.commpeak.com, or shape stats with https://<pbx>.stats.pbx.commpeak.com.',
    });
  }
  if (url?.protocol === 'http:' && !LOOPBACK.has(host)) {
    findings.push({
      status: 'warn',
      text: 'the base URL is plain http: agent extensions, lead numbers and any Basic credentials cross the internet unencrypted.',
      fix: 'Use the https URL of the PBX.',
    });
  }
  if (!pbx.cdrApiUrl) {
    findings.push({
      status: 'warn',
      text: 'no CDR search URL: a call whose PBX answer was lost stays "unknown" for good (the reconciler cannot look it up).',
      fix: 'Set the PBX Stats CDR search URL and API key of the tenant (`c2c tenant update <tenant> --cdr-url <url> --cdr-key-env <VAR>`).',
    });
  }
  const timeout = pbx.timeoutMs
    ? `${pbx.timeoutMs} ms timeout`
    : defaultTimeoutMs
      ? `${defaultTimeoutMs} ms timeout (stage default)`
      : "the stage's timeout";
  const summary = `${pbx.baseUrl}, URL shape ${pbx.urlShape}${pbx.basicAuth ? ', Basic credentials set' : ''}, ${timeout}${pbx.cdrApiUrl ? ', CDR search set' : ''}.`;
  const status = worst(findings.map((f) => f.status));
  return {
    id: 'pbx-settings',
    title: 'PBX settings',
    status,
    message: [summary, ...findings.map((f) => capitalize(f.text))].join(' '),
    ...(findings.some((f) => f.fix) ? { fix: findings.flatMap((f) => (f.fix ? [f.fix] : [])).join(' ') } : {}),
    details: { urlShape: pbx.urlShape, baseUrl: pbx.baseUrl, basicAuth: Boolean(pbx.basicAuth), cdrSearch: Boolean(pbx.cdrApiUrl) },
  };
}

/** The PBX host name resolves (from this machine). */
export function checkPbxDns(host: string, step: StepResult<{ addresses: string[] }>, stageReached = false): CheckResult {
  if (step.ok) {
    return {
      id: 'pbx-dns',
      title: 'PBX DNS',
      status: 'ok',
      message: isIP(host)
        ? `${host} is an IP address: no lookup needed.`
        : `${host} resolves to ${listOf(step.addresses, 4)} (${step.ms} ms).`,
      details: { host, addresses: step.addresses, ms: step.ms },
    };
  }
  const result: CheckResult = {
    id: 'pbx-dns',
    title: 'PBX DNS',
    status: 'problem',
    message: `${host} does not resolve: ${explainNetworkCode(step.code)} (${step.code}, ${step.ms} ms). No call can reach the PBX (503, nothing sent).`,
    fix: "Check the PBX base URL for a typo (`c2c tenant show <tenant>`, fixed with `c2c tenant update <tenant> --pbx-url <url>`); the customer's PBX name is <pbx>.stats.pbx.commpeak.com or click2call.pbx.commpeak.com.",
    details: { host, code: step.code, ms: step.ms },
  };
  return stageReached ? seenFromHereOnly(result) : result;
}

/** The PBX answers on its port: a verified TLS handshake for https, a TCP connect for http. */
export function checkPbxConnect(
  endpoint: { host: string; port: number; tls: boolean },
  step: StepResult<Partial<TlsFacts>>,
  stageReached = false,
): CheckResult {
  const title = endpoint.tls ? 'PBX TLS' : 'PBX TCP';
  const where = `${endpoint.host}:${endpoint.port}`;
  if (!step.ok) {
    const isCert = /CERT|SELF_SIGNED|UNABLE_TO|ALTNAME/.test(step.code);
    const result: CheckResult = {
      id: 'pbx-connect',
      title,
      status: 'problem',
      message: `${where}: ${endpoint.tls ? 'TLS handshake failed' : 'TCP connect failed'}: ${explainNetworkCode(step.code)} (${step.code}, ${step.ms} ms). Calls end not_sent (503) or unknown.`,
      fix: isCert
        ? "The PBX's certificate is not valid for this host name: check the base URL (the host must match the certificate)."
        : 'Check the port in the base URL (https: 443) and that the PBX is up.',
      details: { host: endpoint.host, port: endpoint.port, code: step.code, detail: step.detail, ms: step.ms },
    };
    return stageReached ? seenFromHereOnly(result) : result;
  }
  const days = step.daysLeft;
  const expiring = endpoint.tls && days !== undefined && days < 14;
  const tlsText = endpoint.tls
    ? `TLS handshake in ${step.ms} ms (${step.protocol ?? 'TLS'}, certificate ${step.subject ?? 'valid'}${step.issuer ? ` by ${step.issuer}` : ''}${step.validTo ? `, expires ${step.validTo.slice(0, 10)}` : ''})`
    : `TCP connect in ${step.ms} ms (plain http)`;
  return {
    id: 'pbx-connect',
    title,
    status: expiring ? 'warn' : 'ok',
    message: expiring ? `${where}: ${tlsText}; the certificate expires in ${plural(days, 'day')}.` : `${where}: ${tlsText}.`,
    ...(expiring
      ? { fix: 'Tell the PBX customer (or CommPeak) that the certificate must be renewed: calls fail the day it expires.' }
      : {}),
    details: {
      host: endpoint.host,
      port: endpoint.port,
      ms: step.ms,
      ...(endpoint.tls ? { protocol: step.protocol, validTo: step.validTo, daysLeft: days } : {}),
    },
  };
}

/**
 * A failure seen from this machine matters less when the stage reached the PBX over HTTP (the probe got
 * an answer): this machine's resolver or firewall differs from the stage's, and calls are not affected.
 */
function seenFromHereOnly(result: CheckResult): CheckResult {
  return {
    ...result,
    status: 'warn',
    message: `${result.message.replace(/ (No call can reach|Calls end)[^.]*\.$/, '')} Seen from this machine only: the stage reached the PBX (the probe got an answer), so calls are not affected.`,
    fix: "Nothing to do for calls: this machine's DNS or network differs from the stage's.",
  };
}

// 3. Egress IP and 4. allowlist --------------------------------------------------------------------------------

export type HealthAnswer = { ok: true; egressIp: string | null; stage?: string; ms: number } | { ok: false; error: string; ms: number };

export function checkEgressIp(apiUrl: string | undefined, health: HealthAnswer | undefined): CheckResult {
  const title = 'Egress IP';
  if (!apiUrl || !health) {
    return {
      id: 'egress-ip',
      title,
      status: 'warn',
      message: 'Not checked: no API URL, so the address the PBX must allowlist is not known here.',
      fix: "Give --api-url (the stage's HttpApiUrl output or custom domain) or set C2C_API_URL.",
    };
  }
  if (!health.ok) {
    return {
      id: 'egress-ip',
      title,
      status: 'problem',
      message: `The API at ${apiUrl} does not answer GET /v1/health (${health.error}): if that is the stage's URL, CRMs cannot place calls at all.`,
      fix: "Check the URL (npx serverless info --stage <stage>) and the stage (a deploy, the health function's logs).",
      details: { apiUrl, error: health.error },
    };
  }
  if (!health.egressIp) {
    return {
      id: 'egress-ip',
      title,
      status: 'warn',
      message: `The stage${health.stage ? ` ${health.stage}` : ''} does not know its egress IP (EGRESS_IP is empty), so it cannot tell the PBX customer what to allowlist.`,
      fix: 'Read the EgressIp output of the stack (npx serverless info --stage <stage> --verbose); redeploy so EGRESS_IP is set.',
      details: { apiUrl, stage: health.stage },
    };
  }
  return {
    id: 'egress-ip',
    title,
    status: 'ok',
    message: `Calls to the PBX leave from ${health.egressIp}${health.stage ? ` (stage ${health.stage})` : ''}: the address the PBX customer allowlists.`,
    details: { apiUrl, egressIp: health.egressIp, stage: health.stage, ms: health.ms },
  };
}

export type ProbeAnswer =
  { ok: true; report: PbxProbeReport; ms: number } | { ok: false; status?: number; code?: string; error: string; ms: number };

const PROBE_FIXES: Record<PbxProbeReport['verdict'], string | undefined> = {
  allowlisted: undefined,
  not_allowlisted:
    'Ask the PBX customer to add the egress IP to the IP ACL of their CommPeak PBX (Click2Call / API access), then run `c2c doctor --tenant <tenant>` again. If it is listed already, check the base URL and URL shape: a wrong path answers 404 too.',
  credentials_refused: "Set the tenant's PBX user and password to the HTTP Basic credentials the PBX issued for Click2Call.",
  accepted:
    'Look the unique_id up in the PBX CDRs and report it to CommPeak; make sure PBX_PROBE_EXTENSION is not an extension on this PBX.',
  unreachable: 'See the PBX DNS and TLS/TCP checks; if they pass from here, the stage cannot get out (NAT gateway, route tables).',
  misconfigured: "Correct the tenant's PBX settings (see PBX settings).",
  inconclusive: "Run `c2c doctor --tenant <tenant>` again; if it persists, check the PBX's status and that the base URL is the PBX's.",
};

/** Whether the PBX answers this stage's egress IP, from the probe that rang nothing. */
export function checkAllowlist(input: { apiUrl?: string; keySource?: string; probe?: ProbeAnswer }): CheckResult {
  const title = 'PBX allowlist';
  if (!input.apiUrl) {
    return {
      id: 'allowlist',
      title,
      status: 'warn',
      message: 'Not checked: the probe runs in the stage (from its egress IP) and needs the API URL.',
      fix: "Give --api-url (the stage's HttpApiUrl output or custom domain) or set C2C_API_URL.",
    };
  }
  if (!input.keySource || !input.probe) {
    return {
      id: 'allowlist',
      title,
      status: 'warn',
      message: 'Not checked: the probe needs an API key of this tenant with the scope calls:write.',
      fix: 'Give --api-key-env VAR (a variable holding such a key), or --temp-key to issue one for this run and revoke it after.',
    };
  }
  const probe = input.probe;
  if (!probe.ok) {
    const hint =
      probe.status === 401
        ? 'the API key was refused (unknown, revoked, or of another tenant)'
        : probe.code === 'insufficient_scope'
          ? 'the API key lacks the scope calls:write'
          : probe.code === 'tenant_suspended'
            ? 'the tenant is suspended'
            : probe.status === 404
              ? 'this stage has no probe endpoint (deployed before the doctor had one): redeploy it'
              : probe.error;
    return {
      id: 'allowlist',
      title,
      status: 'warn',
      message: `Not checked: POST /v1/diagnostics/pbx-probe failed (${hint}).`,
      fix:
        probe.status === 404
          ? 'Deploy the current version of the service, then run `c2c doctor --tenant <tenant>` again.'
          : `Check the key (${input.keySource}) and the API URL.`,
      details: { status: probe.status, code: probe.code, error: probe.error },
    };
  }
  const report = probe.report;
  const status: CheckStatus = report.verdict === 'allowlisted' ? 'ok' : report.verdict === 'inconclusive' ? 'warn' : 'problem';
  const fix = PROBE_FIXES[report.verdict];
  return {
    id: 'allowlist',
    title,
    status,
    message: `${probeMessage(report)} (probe ${report.probeId}, ${report.answer.latencyMs} ms${report.verdict === 'accepted' ? '' : '; no phone rang'}.)`,
    ...(fix ? { fix: report.verdict === 'not_allowlisted' && report.egressIp ? fix.replace('the egress IP', report.egressIp) : fix } : {}),
    details: {
      verdict: report.verdict,
      egressIp: report.egressIp,
      answer: report.answer,
      probeId: report.probeId,
      keySource: input.keySource,
    },
  };
}

/** The probe's verdict in a line: the report's own summary carries advice the doctor gives as its fix. */
function probeMessage(report: PbxProbeReport): string {
  const from = report.egressIp ?? "the stage's egress IP";
  const pbx = report.pbx.host ?? 'The PBX';
  const answer = report.answer;
  switch (report.verdict) {
    case 'allowlisted':
      return `${pbx} answers ${from}: it refused the probe as it should ("${answer.message ?? ''}"), so this address is allowlisted.`;
    case 'not_allowlisted':
      return `${pbx} answered HTTP 404 to ${from}: it does not allowlist this address, so every call is refused with 422 pbx_not_allowlisted.`;
    case 'credentials_refused':
      return `${pbx} answered HTTP ${answer.httpStatus}: it refuses the tenant's PBX credentials, so every call fails.`;
    case 'accepted':
      return `${pbx} says it placed a call to extension ${report.request.legA}, which cannot exist (unique_id ${answer.uniqueId}): it accepts calls it should refuse. A phone may have rung.`;
    case 'unreachable':
      return `The stage cannot reach ${pbx}: ${explainNetworkCode(answer.code ?? 'ERROR')}; calls end not_sent (503).`;
    case 'misconfigured':
      return `The tenant's PBX settings cannot make a request (${answer.detail ?? 'invalid'}); nothing was sent.`;
    case 'inconclusive':
      return `${pbx} gave no usable answer (${answer.code ?? 'unknown'}${answer.detail ? `: ${answer.detail}` : ''}), so whether ${from} is allowlisted is unknown; calls now would end "unknown".`;
  }
}

/** Whether the probe shows that the stage reached the PBX over HTTP (whatever it answered). */
export function stageReachedPbx(probe: ProbeAnswer | undefined): boolean {
  if (!probe?.ok) return false;
  const { verdict, answer } = probe.report;
  return ['allowlisted', 'not_allowlisted', 'credentials_refused', 'accepted'].includes(verdict) || answer.httpStatus !== undefined;
}
