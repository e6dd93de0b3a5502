import { performance } from 'node:perf_hooks';
import { outboundPolicyFromEnv, type OutboundPolicy } from '../net/outbound';
import type { NotificationTransport } from '../notify/transport';
import { registeredTransports } from '../notify/transports';
import { pingCallback, type PingResult } from '../notify/ping';
import { pbxProbeReportSchema } from '../pbx/probe';
import { SecretOpenError, type SecretSealer } from '../secrets/seal';
import type { CallIndexMode } from '../store/call-index-keys';
import type { Table } from '../store/client';
import { TenantInspector } from '../store/inspect';
import { openTenantItem } from '../store/tenants';
import type { Tenant } from '../model/tenant';
import {
  checkAgents,
  checkAllowlist,
  checkCallback,
  checkCrmConnections,
  checkEgressIp,
  checkFlaggedCalls,
  checkNotifications,
  checkOutcomes,
  checkPbxConnect,
  checkPbxDns,
  checkPbxEvents,
  checkPbxSettings,
  checkSubscriptions,
  checkTenant,
  checkWebhookSources,
  probeCrmConnections,
  stageReachedPbx,
  type CallbackProbe,
  type CheckResult,
  type CheckStatus,
  type HealthAnswer,
  type ProbeAnswer,
} from './checks';
import { connectEndpoint, endpointOf, resolveHost } from './net';
import { systemClock, type Clock } from '../time/clock';

export interface DoctorOptions {
  tenantId: string;
  table: Table;
  /** Which call indexes the stage's listings read (its CALL_INDEXES); `narrow` when not said. */
  callIndexes?: CallIndexMode;
  /** The table in words, for messages ("table c2c-prod in eu-west-1"). */
  where: string;
  /** The stage's API base URL: the egress IP and the allowlist probe need it. */
  apiUrl?: string;
  /** A key of the tenant with `calls:write`, for the probe; and where it came from, for messages. */
  apiKey?: { key: string; source: string };
  /** Budget of each network step from this machine (DNS, connect, handshake, ping). */
  timeoutMs: number;
  /** The stage's default PBX timeout, for the settings summary. */
  defaultPbxTimeoutMs?: number;
  fetch?: typeof fetch;
  /** Opens the tenant's sealed secrets (the callback ping signs with them); without it they are checked as stored. */
  sealer?: SecretSealer;
  /** Which addresses the signed ping may reach: the CLI's rule for its target (lib/cli/target.ts). */
  outbound?: OutboundPolicy;
  /** Whose `check` asks each CRM connection; default: the registry's (lib/notify/transports). */
  transports?: readonly NotificationTransport[];
  now?: Clock;
}

export interface DoctorReport {
  tenantId: string;
  where: string;
  apiUrl: string | null;
  checkedAt: string;
  durationMs: number;
  checks: CheckResult[];
  summary: Record<CheckStatus, number>;
  /** 0 when no check found a problem (warnings allowed), 1 otherwise. */
  exitCode: 0 | 1;
}

/** Outcomes: calls of the last day, at least an hour old, that never got their end. */
const OUTCOME_WINDOW_HOURS = 24;
const OUTCOME_MIN_AGE_MINUTES = 60;
/**
 * An `unknown` call this old is well past the PBX timeout (29 s at most) and the reconciler's first search: reported
 * until the reconciler settles or flags it.
 */
const UNSETTLED_MIN_AGE_MINUTES = 2;
/** The probe crosses API Gateway (30 s at most) and waits for the PBX (29 s at most). */
const PROBE_TIMEOUT_MS = 35_000;

/**
 * Checks a tenant's setup end to end: its settings and agents in the table, the PBX from this machine
 * (DNS, TCP/TLS) and from the stage (the allowlist probe through the API), the callback URL (a signed
 * ping), and what the background jobs gave up on. Independent checks run at once. Never throws for
 * what it finds; a store error (no table, no credentials) propagates.
 */
export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const started = performance.now();
  const now = options.now ?? systemClock;
  const checkedAt = now().toISOString();
  const inspector = new TenantInspector(options.table, options.callIndexes);
  const fetchFn = options.fetch ?? fetch;

  const opened = await openedTenantItem(await inspector.tenantItem(options.tenantId), options);
  if ('refused' in opened) return finish(options, checkedAt, started, [opened.refused]);
  const tenantItem = opened.item;
  const { result: tenantResult, tenant } = checkTenant(options.tenantId, tenantItem, options.where);
  const checks: CheckResult[] = [tenantResult];
  if (!tenantItem) return finish(options, checkedAt, started, checks);

  const since = new Date(now().getTime() - OUTCOME_WINDOW_HOURS * 3_600_000).toISOString();
  const until = new Date(now().getTime() - OUTCOME_MIN_AGE_MINUTES * 60_000).toISOString();

  const unsettledUntil = new Date(now().getTime() - UNSETTLED_MIN_AGE_MINUTES * 60_000).toISOString();
  const [
    agentItems,
    sourceItems,
    flagged,
    unsettled,
    deadLettered,
    retrying,
    stuckCalls,
    orphanEvents,
    health,
    probe,
    pbxNet,
    callbackProbe,
    crmProbes,
    subscriptionItems,
  ] = await Promise.all([
    inspector.agentItems(options.tenantId),
    inspector.webhookSourceItems(options.tenantId),
    inspector.countFlaggedCalls(options.tenantId),
    inspector.countUnsettledUnknownCalls(options.tenantId, since, unsettledUntil),
    inspector.countDeadLetteredCalls(options.tenantId),
    inspector.notificationsRetrying(options.tenantId),
    inspector.countCallsInStates(options.tenantId, ['dialing', 'answered'], since, until),
    inspector.countOrphanEventsSince(options.tenantId, since),
    options.apiUrl ? getHealth(fetchFn, options.apiUrl, options.timeoutMs) : Promise.resolve(undefined),
    tenant && options.apiUrl && options.apiKey ? postProbe(fetchFn, options.apiUrl, options.apiKey.key) : Promise.resolve(undefined),
    tenant ? probePbxNetwork(tenant, options.timeoutMs) : Promise.resolve(undefined),
    tenant ? probeCallback(tenant, options) : Promise.resolve(undefined),
    tenant ? probeCrmConnections(tenant, transportsOf(options), now()) : Promise.resolve({}),
    inspector.subscriptionItems(options.tenantId),
  ]);

  if (tenant) {
    const reached = stageReachedPbx(probe);
    checks.push(checkPbxSettings(tenant, options.defaultPbxTimeoutMs));
    if (pbxNet?.endpoint && pbxNet.dns) {
      checks.push(checkPbxDns(pbxNet.endpoint.host, pbxNet.dns, reached));
      if (pbxNet.connect) checks.push(checkPbxConnect(pbxNet.endpoint, pbxNet.connect, reached));
    }
  }
  checks.push(checkEgressIp(options.apiUrl, health));
  if (tenant) checks.push(checkAllowlist({ apiUrl: options.apiUrl, keySource: options.apiKey?.source, probe }));
  checks.push(...checkAgents(agentItems));
  checks.push(checkWebhookSources(sourceItems));
  if (tenant) {
    checks.push(checkCallback(tenant, callbackProbe ?? {}));
    checks.push(checkPbxEvents(tenant));
    checks.push(...checkCrmConnections(tenant, crmProbes));
  }
  checks.push(checkOutcomes({ stuckCalls, orphanEvents, windowHours: OUTCOME_WINDOW_HOURS, minAgeMinutes: OUTCOME_MIN_AGE_MINUTES }));
  checks.push(checkFlaggedCalls(flagged, { count: unsettled, minAgeMinutes: UNSETTLED_MIN_AGE_MINUTES }));
  checks.push(checkNotifications({ deadLettered, retrying: retrying.count, lastError: retrying.lastError }));
  checks.push(checkSubscriptions(subscriptionItems));
  return finish(options, checkedAt, started, checks);
}

/**
 * The stored tenant with its secrets opened (under the tenant of the key it was read with), so the settings
 * are checked and the ping signed as the service would. A secret that does not open (another key, an
 * altered value, a value that is not sealed at all) is a problem of its own: the service refuses it, so
 * every request of the tenant fails, and nothing of the item is used for the other checks.
 */
async function openedTenantItem(
  item: Record<string, unknown> | undefined,
  options: DoctorOptions,
): Promise<{ item: Record<string, unknown> | undefined } | { refused: CheckResult }> {
  if (!item || !options.sealer) return { item };
  try {
    return { item: await openTenantItem(item, options.sealer, options.tenantId) };
  } catch (error) {
    if (!(error instanceof SecretOpenError)) throw error;
    return {
      refused: {
        id: 'tenant',
        title: 'Tenant',
        status: 'problem',
        message: `${error.message}: every request of tenant ${options.tenantId} that needs its secrets fails with 500. The other checks were not run.`,
        fix: 'Set the secret again through the CLI (`c2c tenant update <tenant> --pbx-password-env <VAR>` or `--cdr-key-env <VAR>`, `c2c outcomes callback rotate-secret <tenant>`), which seals it under this stage key.',
      },
    };
  }
}

function finish(options: DoctorOptions, checkedAt: string, started: number, found: CheckResult[]): DoctorReport {
  // Fixes (and the commands messages quote) name the tenant and the API URL, so they can be pasted as they are.
  const fill = (text: string) => text.replaceAll('<tenant>', options.tenantId).replaceAll('<API URL>', options.apiUrl ?? '<API URL>');
  const checks = found.map((check) => ({ ...check, message: fill(check.message), ...(check.fix ? { fix: fill(check.fix) } : {}) }));
  const summary: Record<CheckStatus, number> = { ok: 0, warn: 0, problem: 0 };
  for (const check of checks) summary[check.status] += 1;
  return {
    tenantId: options.tenantId,
    where: options.where,
    apiUrl: options.apiUrl ?? null,
    checkedAt,
    durationMs: Math.round(performance.now() - started),
    checks,
    summary,
    exitCode: summary.problem > 0 ? 1 : 0,
  };
}

/** The transports that check the CRM connections: the doctor's own budget per request, its outbound rule. */
function transportsOf(options: DoctorOptions): readonly NotificationTransport[] {
  return (
    options.transports ?? registeredTransports({ timeoutMs: options.timeoutMs, outbound: options.outbound ?? outboundPolicyFromEnv() })
  );
}

async function probePbxNetwork(tenant: Tenant, timeoutMs: number) {
  const endpoint = endpointOf(tenant.pbx.baseUrl);
  if (!endpoint) return undefined;
  const dns = await resolveHost(endpoint.host, timeoutMs);
  // Connect to the name, as the client does, once it resolves.
  const connect = dns.ok ? await connectEndpoint(endpoint, { timeoutMs }) : undefined;
  return { endpoint, dns, connect };
}

async function probeCallback(tenant: Tenant, options: DoctorOptions): Promise<CallbackProbe | undefined> {
  const callback = tenant.callback;
  if (!callback || callback.secrets.length === 0) return undefined;
  const endpoint = endpointOf(callback.url);
  if (!endpoint) return undefined;
  const dns = await resolveHost(endpoint.host, options.timeoutMs);
  if (!dns.ok) return { dns };
  const connect = await connectEndpoint(endpoint, { timeoutMs: options.timeoutMs });
  if (!connect.ok) return { dns, connect };
  const ping: PingResult = await pingCallback(callback, {
    tenantId: tenant.tenantId,
    timeoutMs: options.timeoutMs,
    outbound: options.outbound,
    now: options.now,
  });
  return { dns, connect, ping };
}

async function getHealth(fetchFn: typeof fetch, apiUrl: string, timeoutMs: number): Promise<HealthAnswer> {
  const started = performance.now();
  try {
    const response = await fetchFn(`${apiUrl.replace(/\/+$/, '')}/v1/health`, { signal: AbortSignal.timeout(timeoutMs) });
    const ms = Math.round(performance.now() - started);
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      return { ok: false, error: `HTTP ${response.status}`, ms };
    }
    const body = (await response.json()) as { egressIp?: unknown; stage?: unknown };
    return {
      ok: true,
      egressIp: typeof body.egressIp === 'string' && body.egressIp ? body.egressIp : null,
      ...(typeof body.stage === 'string' ? { stage: body.stage } : {}),
      ms,
    };
  } catch (error) {
    return { ok: false, error: describeFetchError(error), ms: Math.round(performance.now() - started) };
  }
}

async function postProbe(fetchFn: typeof fetch, apiUrl: string, key: string): Promise<ProbeAnswer> {
  const started = performance.now();
  try {
    const response = await fetchFn(`${apiUrl.replace(/\/+$/, '')}/v1/diagnostics/pbx-probe`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'user-agent': 'c2c-doctor/1' },
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    const ms = Math.round(performance.now() - started);
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const report = response.status === 200 ? pbxProbeReportSchema.safeParse(body) : undefined;
    if (report?.success) return { ok: true, report: report.data, ms };
    const problem = (body ?? {}) as { code?: unknown; detail?: unknown };
    return {
      ok: false,
      status: response.status,
      ...(typeof problem.code === 'string' ? { code: problem.code } : {}),
      error:
        typeof problem.detail === 'string'
          ? `HTTP ${response.status}: ${problem.detail}`
          : response.status === 200
            ? 'HTTP 200 but not a probe report: is the API URL this service?'
            : `HTTP ${response.status}`,
      ms,
    };
  } catch (error) {
    return { ok: false, error: describeFetchError(error), ms: Math.round(performance.now() - started) };
  }
}

function describeFetchError(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'no answer in time';
  const cause = error instanceof Error ? (error.cause as NodeJS.ErrnoException | undefined) : undefined;
  return cause?.code ?? (error instanceof Error ? error.message : String(error));
}
