import { isLoggedState, LOGGABLE_STATES, type LoggableState, type PipedriveConnection } from '../../model/crm-connection';
import type { OutboundPolicy } from '../../net/outbound';
import type { StoredCall } from '../../store/calls';
import type { ConnectionCheck, DeliveryOutcome, NotificationTransport, PaceRule, CrmConnectionFlags } from '../transport';
import { crmRequest, failedOutcome, isNoAnswer, retryAfterMsOf, type CrmAnswer } from './crm-http';
import { callIdMarker, callLogBodyOf, UnloggableCallError } from './pipedrive-fields';

export const PIPEDRIVE_TRANSPORT = 'pipedrive';

/** Where a tenant's calls are logged in Pipedrive: its connection (API URL and token) and the states it logs. */
export interface PipedriveTarget {
  tenantId: string;
  connection: PipedriveConnection;
  logStates?: LoggableState[];
}

/** What the transport is built from (TransportOptions of ./index, as far as it needs them). */
export interface PipedriveTransportOptions {
  timeoutMs: number;
  outbound: OutboundPolicy;
  crmConnections?: CrmConnectionFlags;
}

/**
 * Half of the lowest plan's burst limit for an API token (Lite: 20 requests per rolling 2 seconds per token;
 * docs/crm-logging.md, "Pipedrive", limits): the token's user, and other integrations on the token, keep the rest.
 */
export const PIPEDRIVE_PER_SECOND = 5;
/** The list's documented page ceiling ("The upper limit is 50"), and how many pages a lookup reads at most (20 tokens each). */
const PAGE = 50;
const LOOKUP_PAGES = 10;

/**
 * Pipedrive call logging (docs/crm-logging.md, "Pipedrive"): one call log per call (`POST /api/v1/callLogs`), on
 * the call's person, organization, deal or lead, owned by the agent's Pipedrive user. Authenticated by the
 * `x-api-token` header (the token never goes in a URL, so never in a log line).
 *
 * A call log cannot be changed once created: the API has no update of call logs (only add, get, list, delete and
 * attach an audio file), so a later fact finds the log as it was created. After an attempt whose outcome is unknown
 * the token's recent call logs are read and the one whose note carries our call id is taken instead of creating one.
 */
export function pipedriveTransport(options: PipedriveTransportOptions): NotificationTransport<PipedriveTarget> {
  const http = { timeoutMs: options.timeoutMs, outbound: options.outbound };
  const headersOf = (target: PipedriveTarget) => ({ 'x-api-token': target.connection.token });
  const urlOf = (target: PipedriveTarget, path: string) => `${target.connection.apiUrl.replace(/\/+$/, '')}/api/v1${path}`;

  /** 401, 402 (the company account is not open) and 403 flag the connection: nothing succeeds until an admin acts. */
  async function hold(target: PipedriveTarget, answer: CrmAnswer, now: Date): Promise<DeliveryOutcome> {
    const error = `HTTP ${answer.status}: ${errorWords(answer)}`.slice(0, 300);
    await options.crmConnections?.hold(target.tenantId, 'pipedrive', error, now, target.connection.connectedAt);
    return { kind: 'held', error };
  }

  async function outcomeOfFailure(target: PipedriveTarget, answer: CrmAnswer, now: Date): Promise<DeliveryOutcome> {
    if (answer.status === 401 || answer.status === 402 || answer.status === 403) return hold(target, answer, now);
    const failed = failedOutcome(answer, errorWords(answer), now);
    if (failed.kind === 'retry' && answer.status === 429 && failed.retryAfterMs === undefined) {
      // Pipedrive documents x-ratelimit-reset (seconds left in the 2-second window) where others send Retry-After.
      const resetMs = retryAfterMsOf(answer.headers['x-ratelimit-reset'], now);
      if (resetMs !== undefined) return { ...failed, retryAfterMs: resetMs };
    }
    if (answer.status === 410) return { kind: 'dead', error: failed.error };
    return failed;
  }

  /** The call log whose note carries the call id, among the token's most recent ones; undefined when none does. */
  async function lookUp(call: StoredCall, target: PipedriveTarget, now: Date): Promise<{ id?: string } | DeliveryOutcome> {
    const marker = callIdMarker(call.callId);
    for (let page = 0; page < LOOKUP_PAGES; page += 1) {
      const answer = await crmRequest(
        { method: 'GET', url: urlOf(target, `/callLogs?start=${page * PAGE}&limit=${PAGE}`), headers: headersOf(target) },
        http,
      );
      if (isNoAnswer(answer)) return answer;
      if (answer.status < 200 || answer.status > 299) return outcomeOfFailure(target, answer, now);
      const body = answer.body as { data?: unknown; additional_data?: { pagination?: { more_items_in_collection?: boolean } } };
      const logs = Array.isArray(body?.data) ? (body.data as Array<{ id?: unknown; note?: unknown }>) : [];
      const found = logs.find((log) => typeof log.note === 'string' && carriesMarker(log.note, marker));
      if (found && (typeof found.id === 'string' || typeof found.id === 'number')) return { id: String(found.id) };
      if (body?.additional_data?.pagination?.more_items_in_collection !== true) return {};
    }
    return {};
  }

  return {
    name: PIPEDRIVE_TRANSPORT,
    // A held connection still has a target: its calls wait (held) instead of being passed over unlogged.
    targetOf: (tenant) =>
      tenant.crm?.pipedrive
        ? {
            tenantId: tenant.tenantId,
            connection: tenant.crm.pipedrive,
            ...(tenant.crm.logStates ? { logStates: tenant.crm.logStates } : {}),
          }
        : undefined,
    wants: (event, call, target) =>
      call.lead !== null &&
      (LOGGABLE_STATES as readonly string[]).includes(event.state) &&
      isLoggedState(event.state, target.logStates ? { logStates: target.logStates } : undefined),
    hostOf: (target) => hostOf(target.connection.apiUrl),
    paceOf: (target): PaceRule => ({ key: `pipedrive#${target.tenantId}`, perSecond: PIPEDRIVE_PER_SECOND }),

    async deliver(call, _event, { target, now, attempt, remoteId }): Promise<DeliveryOutcome> {
      if (target.connection.held) return { kind: 'held', error: `connection held: ${target.connection.held.reason}` };
      // Call logs cannot be updated: the log created first stays, and the delivery of a later fact is done.
      if (remoteId) return { kind: 'delivered', remoteId };
      let body;
      try {
        body = callLogBodyOf(call);
      } catch (error) {
        if (error instanceof UnloggableCallError) return { kind: 'dead', error: `not loggable in Pipedrive: ${error.message}` };
        throw error;
      }
      if (attempt > 1) {
        const found = await lookUp(call, target, now);
        if ('kind' in found) return found;
        if (found.id) return { kind: 'delivered', remoteId: found.id };
      }
      const answer = await crmRequest({ method: 'POST', url: urlOf(target, '/callLogs'), headers: headersOf(target), json: body }, http);
      if (isNoAnswer(answer)) return answer;
      if (answer.status < 200 || answer.status > 299) return outcomeOfFailure(target, answer, now);
      const id = (answer.body as { data?: { id?: unknown } } | undefined)?.data?.id;
      // A 2xx without an id may still have created the log: retrying looks it up before creating again.
      if (typeof id !== 'string' && typeof id !== 'number') return { kind: 'retry', error: `HTTP ${answer.status} without a call log id` };
      return { kind: 'delivered', remoteId: String(id) };
    },

    async check(target): Promise<ConnectionCheck> {
      const answer = await crmRequest({ method: 'GET', url: urlOf(target, '/users/me'), headers: headersOf(target) }, http);
      if (isNoAnswer(answer)) return { ok: false, detail: `Pipedrive did not answer: ${answer.error}` };
      if (answer.status < 200 || answer.status > 299)
        return { ok: false, detail: `Pipedrive refused the token: HTTP ${answer.status}: ${errorWords(answer)}` };
      const user = (answer.body as { data?: MeData } | undefined)?.data;
      if (!user || typeof user.id !== 'number') return { ok: false, detail: 'Pipedrive answered /users/me without a user' };
      const who = `${user.name ?? 'user'} (user ${user.id}${user.company_name ? `, ${user.company_name}` : ''})`;
      // The reference: "a user without account settings access cannot create call logs for other users".
      const settings = Array.isArray(user.access) && user.access.some((a) => a?.app === 'account_settings');
      if (!settings)
        return {
          ok: false,
          detail: `the token of ${who} has no account settings access: Pipedrive lets it log calls only as itself, not for other agents`,
        };
      return { ok: true, detail: `token of ${who}; may log calls for every agent` };
    },
  };
}

interface MeData {
  id?: unknown;
  name?: string;
  company_name?: string;
  access?: Array<{ app?: string; admin?: boolean } | null>;
}

/** Pipedrive's own words: `error` (and `error_info` when it adds something), never more than a line. */
function errorWords(answer: CrmAnswer): string {
  const body = answer.body as { error?: unknown; error_info?: unknown } | undefined;
  const error = typeof body?.error === 'string' ? body.error : undefined;
  return (error ?? `no error message`).replace(/\s+/g, ' ').slice(0, 200);
}

/** The marker, not a prefix of a longer id: followed by the end or a character no call id has. */
function carriesMarker(note: string, marker: string): boolean {
  let at = note.indexOf(marker);
  while (at !== -1) {
    const next = note.charAt(at + marker.length);
    if (!/[A-Za-z0-9_-]/.test(next)) return true;
    at = note.indexOf(marker, at + 1);
  }
  return false;
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
}
