import { buildClick2CallUrl } from '../pbx/click2call';
import type { PbxProbeReport } from '../pbx/probe';
import type { PingResult } from '../notify/ping';
import { extensionSchema } from '../model/agent';
import { isWebhookSource } from '../crm/sources';
import { webhookSourceSchema } from '../store/webhook-sources';
import { tenantSchema, type Tenant } from '../model/tenant';
import { isIP } from 'node:net';
import { explainNetworkCode, type StepResult, type TlsFacts } from './net';

/**
 * The checks of `c2c doctor`, as pure functions from what was read or measured to a verdict in plain
 * words and what to do about it. The I/O is in ./run.ts. docs/troubleshooting.md has one entry per id.
 */

export type CheckStatus = 'ok' | 'warn' | 'problem';

export type CheckId =
  | 'tenant'
  | 'pbx-settings'
  | 'pbx-dns'
  | 'pbx-connect'
  | 'egress-ip'
  | 'allowlist'
  | 'agents'
  | 'agent-extensions'
  | 'duplicate-extensions'
  | 'webhook-sources'
  | 'callback'
  | 'pbx-events'
  | 'outcomes'
  | 'flagged-calls'
  | 'notifications';

export interface CheckResult {
  id: CheckId;
  title: string;
  status: CheckStatus;
  /** What was found, in plain words. */
  message: string;
  /** What to do about it; absent when nothing needs doing. */
  fix?: string;
  /** The facts behind the message (timings, names, counts), for `--json`. */
  details?: Record<string, unknown>;
}

const RANK: Record<CheckStatus, number> = { ok: 0, warn: 1, problem: 2 };

export const worst = (statuses: readonly CheckStatus[]): CheckStatus =>
  statuses.reduce<CheckStatus>((a, b) => (RANK[b] > RANK[a] ? b : a), 'ok');

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const listOf = (names: readonly string[], max = 10) =>
  names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;

// 1. The tenant ------------------------------------------------------------------------------------------------

/** Exists, is active, and its item passes the schema every request applies to it. */
export function checkTenant(
  tenantId: string,
  item: Record<string, unknown> | undefined,
  where: string,
): { result: CheckResult; tenant?: Tenant } {
  const title = 'Tenant';
  if (!item) {
    return {
      result: {
        id: 'tenant',
        title,
        status: 'problem',
        message: `Tenant ${tenantId} does not exist in ${where}: every API call with its keys answers 401, every webhook for it 401.`,
        fix: 'Check the tenant id and the stage (--stage, --endpoint/--table); create it with `c2c tenant create <tenant> --name <name> --crm-id <digits> --client-id <digits> --default-country <cc> --pbx-url <url> --url-shape click2call`.',
      },
    };
  }
  const parsed = tenantSchema.safeParse(item);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => `${i.path.join('.') || '(item)'}: ${i.message}`);
    return {
      result: {
        id: 'tenant',
        title,
        status: 'problem',
        message:
          `The settings of tenant ${tenantId} do not pass validation (${listOf(fields, 5)}): every request of this tenant fails with 500. ` +
          'The PBX, allowlist and callback checks need valid settings and were not run.',
        fix: `Correct these fields of the tenant's item (pk TENANT#${tenantId}, sk TENANT) in the table.`,
        details: { invalidFields: fields },
      },
    };
  }
  const tenant = parsed.data;
  if (tenant.status !== 'active') {
    return {
      tenant,
      result: {
        id: 'tenant',
        title,
        status: 'problem',
        message: `Tenant ${tenantId} (${tenant.name}) is ${tenant.status}: every API call answers 403 tenant_suspended and nothing is dialled.`,
        fix: "Set the tenant's status back to active once the reason for the suspension is settled: `c2c tenant update <tenant> --status active`.",
        details: { status: tenant.status },
      },
    };
  }
  return {
    tenant,
    result: {
      id: 'tenant',
      title,
      status: 'ok',
      message: `${tenant.name}: active, CRM id ${tenant.crmId}, client id ${tenant.clientId}, settings valid.`,
    },
  };
}

// 2. The PBX ---------------------------------------------------------------------------------------------------

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

/** A raw item's string attribute, or '' (these checks read items that may not pass their schema: that is what they report). */
const textOf = (value: unknown): string => (typeof value === 'string' ? value : '');

// 5. Agents ----------------------------------------------------------------------------------------------------

/** No agents; agents without a usable extension; two agents on one extension. */
export function checkAgents(items: ReadonlyArray<Record<string, unknown>>): CheckResult[] {
  const agents = items.map((item) => ({
    crmUserId: typeof item.crmUserId === 'string' ? item.crmUserId : textOf(item.sk).replace(/^AGENT#/, ''),
    extension: item.extension,
  }));
  const results: CheckResult[] = [];
  results.push(
    agents.length === 0
      ? {
          id: 'agents',
          title: 'Agents',
          status: 'problem',
          message: 'The tenant has no agents: every call is refused with 422 agent_not_found.',
          fix: "Add the agents with the CRM's own user ids: `c2c agent put <tenant> <crmUserId> --extension <ext>`, or `c2c agent import <tenant> agents.csv`.",
        }
      : { id: 'agents', title: 'Agents', status: 'ok', message: `${plural(agents.length, 'agent')}.`, details: { count: agents.length } },
  );

  const missing = agents.filter((a) => a.extension === undefined || a.extension === null || a.extension === '');
  const invalid = agents.filter((a) => !missing.includes(a) && !extensionSchema.safeParse(a.extension).success);
  if (missing.length || invalid.length) {
    const parts = [
      ...(missing.length ? [`${plural(missing.length, 'agent')} without an extension (${listOf(missing.map((a) => a.crmUserId))})`] : []),
      ...(invalid.length
        ? [
            `${plural(invalid.length, 'agent')} whose extension is not 1-12 digits (${listOf(invalid.map((a) => `${a.crmUserId}: ${JSON.stringify(a.extension)}`))})`,
          ]
        : []),
    ];
    results.push({
      id: 'agent-extensions',
      title: 'Agent extensions',
      status: 'problem',
      message: `${parts.join('; ')}: calls for them fail with 500 and never ring (the agent record cannot be read), and so does every listing of this tenant's agents.`,
      fix: 'Give each an extension: `c2c agent put <tenant> <crmUserId> --extension <digits>` (or fix the CSV and import again).',
      details: { missing: missing.map((a) => a.crmUserId), invalid: invalid.map((a) => a.crmUserId) },
    });
  } else if (agents.length) {
    results.push({ id: 'agent-extensions', title: 'Agent extensions', status: 'ok', message: 'Every agent has an extension.' });
  }

  const byExtension = new Map<string, string[]>();
  for (const agent of agents) {
    if (typeof agent.extension !== 'string' || !extensionSchema.safeParse(agent.extension).success) continue;
    byExtension.set(agent.extension, [...(byExtension.get(agent.extension) ?? []), agent.crmUserId]);
  }
  const shared = [...byExtension].filter(([, ids]) => ids.length > 1).sort(([a], [b]) => a.localeCompare(b));
  if (shared.length) {
    results.push({
      id: 'duplicate-extensions',
      title: 'Duplicate extensions',
      status: 'problem',
      message:
        `${shared.map(([ext, ids]) => `Extension ${ext} is held by ${listOf(ids)}`).join('; ')}: ` +
        "each one's calls ring the same phone, so all but its owner have their calls ring a colleague's phone; a call that names the agent by extension may be recorded under the wrong one.",
      fix: 'Give each agent their own extension (`c2c agent put <tenant> <crmUserId> --extension <ext>`), or delete the stale agent (`c2c agent delete <tenant> <crmUserId>`).',
      details: { shared: Object.fromEntries(shared) },
    });
  } else if (agents.length) {
    results.push({ id: 'duplicate-extensions', title: 'Duplicate extensions', status: 'ok', message: 'No two agents share an extension.' });
  }
  return results;
}

// 6. Webhook sources -------------------------------------------------------------------------------------------

export function checkWebhookSources(items: ReadonlyArray<Record<string, unknown>>): CheckResult {
  const title = 'Webhook sources';
  if (items.length === 0) {
    return { id: 'webhook-sources', title, status: 'ok', message: 'None configured: calls come through the API only.' };
  }
  const sources = items.map((item) => {
    const parsed = webhookSourceSchema.safeParse(item);
    const name = typeof item.source === 'string' ? item.source : textOf(item.sk).replace(/^HOOKSOURCE#/, '');
    // A source the registry does not know is as unusable as one that fails the schema.
    const valid = parsed.success && isWebhookSource(parsed.data.source);
    return { name, valid, secrets: parsed.success ? parsed.data.secrets.length : 0 };
  });
  const corrupt = sources.filter((s) => !s.valid).map((s) => s.name);
  const bare = sources.filter((s) => s.valid && s.secrets === 0).map((s) => s.name);
  const fine = sources.filter((s) => s.valid && s.secrets > 0);
  const findings = [
    ...(bare.length
      ? [
          `${listOf(bare)} ${bare.length === 1 ? 'has' : 'have'} no live secret: every delivery from ${bare.length === 1 ? 'that sender' : 'those senders'} is refused with 401 and places no call`,
        ]
      : []),
    ...(corrupt.length ? [`the settings of ${listOf(corrupt)} do not pass validation: deliveries fail with 500`] : []),
  ];
  const okText = fine.length ? `${fine.map((s) => `${s.name} (${plural(s.secrets, 'secret')})`).join(', ')}` : '';
  if (findings.length === 0) return { id: 'webhook-sources', title, status: 'ok', message: `${okText}.`, details: { sources } };
  return {
    id: 'webhook-sources',
    title,
    status: 'problem',
    message: `${findings.join('; ')}.${okText ? ` Fine: ${okText}.` : ''}`,
    fix: 'Give each a secret: `c2c hook set-secret <tenant> <source> --generate` (or `--secret-env <VAR>` for a vendor-issued one), and set it at the sender (docs/webhooks.md).',
    details: { sources, withoutSecret: bare, invalid: corrupt },
  };
}

// 7. Callback URL and PBX Stats ---------------------------------------------------------------------------------

export interface CallbackProbe {
  dns?: StepResult<{ addresses: string[] }>;
  connect?: StepResult<Partial<TlsFacts>>;
  ping?: PingResult;
}

/** The CRM's callback URL: configured, resolves, connects, and answers a signed `ping` with a 2xx. */
export function checkCallback(tenant: Tenant, probe: CallbackProbe): CheckResult {
  const title = 'Callback URL';
  const callback = tenant.callback;
  if (!callback) {
    return {
      id: 'callback',
      title,
      status: 'warn',
      message: 'No callback URL: the CRM gets no outcome notifications (fine only if it polls GET /v1/calls).',
      fix: '`c2c outcomes callback set <tenant> --url https://crm.example.com/hooks/c2c`, and give the printed secret to the CRM (docs/outcomes.md).',
    };
  }
  const url = callback.url;
  const host = safeUrl(url)?.host ?? url;
  if (callback.secrets.length === 0) {
    return {
      id: 'callback',
      title,
      status: 'problem',
      message: `${url} has no signing secret: notifications cannot be signed, and a CRM that verifies refuses them.`,
      fix: '`c2c outcomes callback rotate-secret <tenant>`, and give the secret to the CRM.',
    };
  }
  const timings: Record<string, number> = {};
  if (probe.dns && !probe.dns.ok) {
    return callbackProblem(
      url,
      `${host} does not resolve: ${explainNetworkCode(probe.dns.code)}`,
      'Check the callback URL (`c2c outcomes callback show <tenant>`).',
      { dns: probe.dns },
    );
  }
  if (probe.dns?.ok) timings.dnsMs = probe.dns.ms;
  if (probe.connect && !probe.connect.ok) {
    return callbackProblem(
      url,
      `${host}: ${explainNetworkCode(probe.connect.code)}`,
      "Check the URL's host and port, and that the CRM endpoint is up and reachable from the internet.",
      { connect: probe.connect },
    );
  }
  if (probe.connect?.ok) timings.connectMs = probe.connect.ms;
  const ping = probe.ping;
  if (!ping) {
    return { id: 'callback', title, status: 'warn', message: `${url}: not pinged.`, details: { url, ...timings } };
  }
  if (ping.ok) {
    return {
      id: 'callback',
      title,
      status: 'ok',
      message: `${url} answered a signed ping with HTTP ${ping.status} in ${ping.ms} ms (${plural(callback.secrets.length, 'secret')}).`,
      details: { url, status: ping.status, pingMs: ping.ms, webhookId: ping.webhookId, ...timings },
    };
  }
  const status = ping.status;
  if (status !== undefined && status >= 400 && status < 500 && status !== 401 && status !== 403 && status !== 404 && status !== 410) {
    return {
      id: 'callback',
      title,
      status: 'warn',
      message: `${url} answered the signed ping with HTTP ${status}: it is up, but refuses a ping event; call notifications may still be accepted.`,
      fix: 'Ask the CRM side to answer 2xx to {"type":"ping"} events (docs/outcomes.md), so the doctor can tell a working receiver from a broken one.',
      details: { url, status, webhookId: ping.webhookId, ...timings },
    };
  }
  const why =
    status === 401 || status === 403
      ? `HTTP ${status} to a correctly signed ping: the CRM verifies with another secret, so it refuses every notification`
      : status === 404 || status === 410
        ? `HTTP ${status}: no receiver at that path`
        : status !== undefined && status >= 300 && status < 400
          ? `HTTP ${status} (a redirect): notifications do not follow redirects, so every one fails`
          : status !== undefined
            ? `HTTP ${status}: every notification would be retried, then dead-lettered after 24 h`
            : `${explainNetworkCode(ping.error)}`;
  const fix =
    status === 401 || status === 403
      ? 'Give the CRM the current secret (`c2c outcomes callback show <tenant> --show-secrets`).'
      : status !== undefined && status >= 300 && status < 400
        ? 'Set the final URL (where the redirect points) as the callback URL.'
        : 'Fix the CRM endpoint or the URL (`c2c outcomes callback set <tenant> --url <url>`); then redrive any dead letters.';
  return callbackProblem(url, why, fix, { status, error: ping.error, webhookId: ping.webhookId, ...timings });
}

function callbackProblem(url: string, why: string, fix: string, details: Record<string, unknown>): CheckResult {
  return {
    id: 'callback',
    title: 'Callback URL',
    status: 'problem',
    message: `${url} is not reachable (${why}): the CRM gets no outcome notifications; they are retried for 24 h, then dead-lettered.`,
    fix,
    details: { url, ...details },
  };
}

/** PBX Stats can send outcomes only to a URL with a live token. */
export function checkPbxEvents(tenant: Tenant): CheckResult {
  const live = (tenant.pbxEvents?.tokens ?? []).filter((t) => t.revokedAt === undefined);
  if (live.length === 0) {
    return {
      id: 'pbx-events',
      title: 'PBX Stats webhooks',
      status: 'warn',
      message:
        'No live PBX events token: PBX Stats has no URL to send Call Start/Answer/End to, so outcomes will not flow (calls stay "dialing").',
      fix: '`c2c outcomes pbx-token issue <tenant> --api-url <API URL>`, and paste the printed URL into PBX Stats webhooks (docs/outcomes.md).',
    };
  }
  return {
    id: 'pbx-events',
    title: 'PBX Stats webhooks',
    status: 'ok',
    message: `${plural(live.length, 'live token')} (${live.map((t) => t.id).join(', ')}); time zone ${tenant.pbxEvents?.timeZone ?? 'UTC'}.`,
  };
}

/** Recent calls that never got their Call End, and PBX events that matched no call. */
export function checkOutcomes(input: {
  stuckCalls: number;
  orphanEvents: number;
  windowHours: number;
  minAgeMinutes: number;
}): CheckResult {
  const findings: string[] = [];
  if (input.stuckCalls > 0) {
    findings.push(
      `${plural(input.stuckCalls, 'call')} of the last ${input.windowHours} h ${input.stuckCalls === 1 ? 'is' : 'are'} still "dialing" or "answered" ${input.minAgeMinutes} min or more after ${input.stuckCalls === 1 ? 'it was' : 'they were'} placed: no Call End reached us`,
    );
  }
  if (input.orphanEvents > 0) {
    findings.push(
      `${plural(input.orphanEvents, 'PBX event')} of the last ${input.windowHours} h matched no call (\`c2c outcomes orphans <tenant>\`)`,
    );
  }
  if (findings.length === 0) {
    return {
      id: 'outcomes',
      title: 'Outcomes arriving',
      status: 'ok',
      message: `No call of the last ${input.windowHours} h is waiting for its outcome.`,
      details: input,
    };
  }
  return {
    id: 'outcomes',
    title: 'Outcomes arriving',
    status: 'warn',
    message: `${findings.join('; ')}.`,
    fix: "In PBX Stats, check the webhooks for Call Start, Call Answer and Call End point at the tenant's URL (a live token) and send custom data (c2c_call_id); orphans mean the events arrive without it.",
    details: input,
  };
}

// 8. What the background jobs gave up on --------------------------------------------------------------------

/**
 * Calls whose PBX answer was lost: those the reconciler gave up on (flagged), and those still `unknown` well past the
 * PBX timeout that it has neither settled nor flagged yet (`unsettled`, placed `minAgeMinutes` ago or more): while the
 * reconciler works through its tries they are waiting for it; if they stay, it is not running or cannot search.
 */
export function checkFlaggedCalls(
  count: number,
  unsettled: { count: number; minAgeMinutes: number } = { count: 0, minAgeMinutes: 0 },
): CheckResult {
  const title = 'Unreconciled calls';
  if (count === 0 && unsettled.count === 0)
    return { id: 'flagged-calls', title, status: 'ok', message: 'No call is flagged by the reconciler or waiting for it.' };
  const parts: string[] = [];
  if (count > 0)
    parts.push(
      `${plural(count, 'call')} ${count === 1 ? 'was' : 'were'} flagged by the reconciler: the PBX's answer was lost and no CDR was found, so nobody knows whether ${count === 1 ? 'it' : 'they'} rang`,
    );
  if (unsettled.count > 0)
    parts.push(
      `${plural(unsettled.count, 'call')} ${unsettled.count === 1 ? 'is' : 'are'} still "unknown" ${unsettled.minAgeMinutes} min or more after ${unsettled.count === 1 ? 'it was' : 'they were'} placed, neither settled nor flagged yet: the reconciler searches the PBX's CDRs for ${unsettled.count === 1 ? 'it' : 'them'} (RECONCILE_MAX_TRIES searches, every 2 minutes on AWS, every 10 s on the local stack)`,
    );
  return {
    id: 'flagged-calls',
    title,
    status: 'warn',
    message: `${parts.join('; ')}.`,
    fix:
      "`c2c calls list <tenant> --state unknown`; look each up in the PBX CDRs (PBX Stats), and check the tenant's CDR search URL and key." +
      (unsettled.count > 0
        ? " Calls that stay unknown and unflagged mean the reconciler is not running: check the reconcile function's logs."
        : ''),
    details: { count, unsettled: unsettled.count },
  };
}

export function checkNotifications(input: { deadLettered: number; retrying: number; lastError?: string }): CheckResult {
  if (input.deadLettered === 0 && input.retrying === 0) {
    return { id: 'notifications', title: 'Notifications', status: 'ok', message: 'No notification is failing or dead-lettered.' };
  }
  const parts = [
    ...(input.deadLettered ? [`${plural(input.deadLettered, 'call')} with dead-lettered notifications (given up after 24 h)`] : []),
    ...(input.retrying
      ? [
          `${plural(input.retrying, 'call')} whose notifications are failing now${input.lastError ? ` (last error: ${input.lastError})` : ''}`,
        ]
      : []),
  ];
  return {
    id: 'notifications',
    title: 'Notifications',
    status: 'warn',
    message: `${parts.join('; ')}.`,
    fix: 'Fix the callback URL (see Callback URL), then `c2c outcomes dead-letters redrive --tenant <tenant>`.',
    details: input,
  };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function safeUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}
