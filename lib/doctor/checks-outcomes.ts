/** The doctor's checks of what comes back: the callback URL, PBX events, outcomes, flagged calls, notifications. */
import type { PingResult } from '../notify/ping';
import { type Tenant } from '../model/tenant';
import { explainNetworkCode, type StepResult, type TlsFacts } from './net';
import { plural, safeUrl, type CheckResult } from './check-result';

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
