import { isLoggedState, type CrmName, type LoggableState, type SalesforceConnection } from '../../model/crm-connection';
import type { OutboundPolicy } from '../../net/outbound';
import { sendOutbound } from '../../net/request';
import type { ConnectionCheck, DeliveryOutcome, NotificationTransport, CrmConnectionFlags } from '../transport';
import { crmRequest, describeRequestError, failedOutcome, isNoAnswer, retryAfterMsOf, type CrmAnswer, type CrmRequest } from './crm-http';
import { errorWordsOf, isSalesforceId, lookupQuery, SALESFORCE_API_VERSION, taskDescribeProblems, taskFieldsOf } from './salesforce-fields';
import { DEFAULT_SESSION_MAX_AGE_MS, requestSalesforceToken, SalesforceTokenCache, type SalesforceSession } from './salesforce-token';

export const SALESFORCE = 'salesforce' satisfies CrmName;

/**
 * The pace of one org's deliveries. Salesforce meters its REST API by a rolling 24-hour allocation per org and by 25
 * concurrent requests of 20 s or more (5 in a Developer Edition), with no per-second limit (API Request Limits and
 * Allocations): 5 a second keeps a burst (a redrive of a day's calls) from taking the org's allocation in one go,
 * and our requests, each a single record, stay far below 20 s.
 */
export const SALESFORCE_PER_SECOND = 5;

/** REQUEST_LIMIT_EXCEEDED carries no Retry-After: the 24-hour allocation frees up as it rolls, so no sooner than this. */
export const REQUEST_LIMIT_RETRY_MS = 5 * 60_000;

/** The Task describe lists every field and picklist value (the time zones alone are hundreds): a larger bound than a delivery's. */
const DESCRIBE_MAX_BYTES = 4 * 1024 * 1024;

/** A tenant's Salesforce org, as deliveries and the doctor reach it. */
export interface SalesforceTarget {
  tenantId: string;
  connection: SalesforceConnection;
  logStates?: LoggableState[];
}

/** The registry's TransportOptions (lib/notify/transports/index.ts), and what only this transport takes. */
export interface SalesforceTransportOptions {
  timeoutMs: number;
  outbound: OutboundPolicy;
  crmConnections?: CrmConnectionFlags;
  /** Default: a cache of this transport's own, so of the container (the composition root builds the transports once). */
  tokens?: SalesforceTokenCache;
  /** How long a token without `expires_in` is used (default {@link DEFAULT_SESSION_MAX_AGE_MS}). */
  sessionMaxAgeMs?: number;
}

/** An attempt's step before the engine's words: a refused session is retried once with a new token; `absent`: looked up, none. */
type Step = DeliveryOutcome | { kind: 'session-refused'; error: string } | { kind: 'absent' };

/**
 * Salesforce call logging (docs/crm-logging.md, "Salesforce"): one Task per call (TaskSubtype Call), created by
 * `POST /services/data/v62.0/sobjects/Task` with our call id in `CallObject`, where CTI integrations keep the call's id.
 * Tokens come from the connected app's client credentials flow (salesforce-token.ts). A held connection keeps its
 * target, so its calls wait in the outbox: `deliver` answers `held` at once, without a request, until it is reconnected.
 */
export function salesforceTransport(options: SalesforceTransportOptions): NotificationTransport<SalesforceTarget> {
  const http = { timeoutMs: options.timeoutMs, outbound: options.outbound };
  const maxAgeMs = options.sessionMaxAgeMs ?? DEFAULT_SESSION_MAX_AGE_MS;
  const fetchToken = (connection: SalesforceConnection, now: Date) => requestSalesforceToken(connection, http, now, maxAgeMs);
  const tokens = options.tokens ?? new SalesforceTokenCache(fetchToken);

  const api = (target: SalesforceTarget, session: SalesforceSession, request: Omit<CrmRequest, 'url'> & { path: string }) =>
    crmRequest(
      {
        method: request.method,
        url: `${apiBase(target.connection)}${request.path}`,
        headers: { authorization: `Bearer ${session.accessToken}` },
        ...(request.json !== undefined ? { json: request.json } : {}),
      },
      http,
    );

  async function hold(target: SalesforceTarget, error: string, now: Date): Promise<DeliveryOutcome> {
    tokens.forget(target.tenantId, target.connection);
    try {
      await options.crmConnections?.hold(target.tenantId, SALESFORCE, error, now, target.connection.connectedAt);
    } catch (cause) {
      // Still held: the engine looks again in 15 minutes, and holds again then.
      return { kind: 'held', error: `${error} (the connection's flag could not be saved: ${describeRequestError(cause)})` };
    }
    return { kind: 'held', error };
  }

  /** Runs `step` with the connection's token; a 401 forgets it and runs `step` once more with a new one, a second 401 holds. */
  async function withSession(
    target: SalesforceTarget,
    now: Date,
    step: (session: SalesforceSession) => Promise<Step>,
  ): Promise<DeliveryOutcome> {
    let refused = '';
    for (let round = 0; round < 2; round++) {
      const token = await tokens.get(target.tenantId, target.connection, now);
      if (token.kind === 'refused') return hold(target, token.error, now);
      if (token.kind === 'retry') return token;
      const outcome = await step(token.session);
      if (outcome.kind === 'absent') return { kind: 'retry', error: 'looked up without an outcome' };
      if (outcome.kind === 'held') return hold(target, outcome.error, now);
      if (outcome.kind !== 'session-refused') return outcome;
      tokens.forget(target.tenantId, target.connection, token.session.accessToken);
      refused = outcome.error;
    }
    return hold(target, `${refused} (again with a new token)`, now);
  }

  async function create(target: SalesforceTarget, session: SalesforceSession, fields: Record<string, unknown>, now: Date): Promise<Step> {
    const answer = await api(target, session, { method: 'POST', path: '/sobjects/Task', json: fields });
    if (isNoAnswer(answer)) return answer;
    if (answer.status < 200 || answer.status >= 300) return failure(answer, now);
    const id = (answer.body as { id?: unknown } | undefined)?.id;
    // Without an id the Task may exist all the same: the next attempt looks it up before creating.
    return typeof id === 'string' && isSalesforceId(id)
      ? { kind: 'delivered', remoteId: id }
      : { kind: 'retry', error: 'created without an id in the answer' };
  }

  async function update(
    target: SalesforceTarget,
    session: SalesforceSession,
    taskId: string,
    fields: Record<string, unknown>,
    now: Date,
  ): Promise<Step> {
    if (!isSalesforceId(taskId)) return { kind: 'dead', error: 'the kept Task id is not a Salesforce id' };
    const answer = await api(target, session, { method: 'PATCH', path: `/sobjects/Task/${taskId}`, json: fields });
    if (isNoAnswer(answer)) return answer;
    if (answer.status < 200 || answer.status >= 300) return failure(answer, now);
    return { kind: 'delivered', remoteId: taskId };
  }

  async function lookup(target: SalesforceTarget, session: SalesforceSession, callId: string, now: Date): Promise<Step> {
    const answer = await api(target, session, { method: 'GET', path: `/query?q=${encodeURIComponent(lookupQuery(callId))}` });
    if (isNoAnswer(answer)) return answer;
    if (answer.status !== 200) return failure(answer, now);
    const records = (answer.body as { records?: unknown } | undefined)?.records;
    const id = Array.isArray(records) ? (records[0] as { Id?: unknown } | undefined)?.Id : undefined;
    return typeof id === 'string' && isSalesforceId(id) ? { kind: 'delivered', remoteId: id } : { kind: 'absent' };
  }

  return {
    name: SALESFORCE,
    targetOf(tenant) {
      const connection = tenant.crm?.salesforce;
      if (!connection) return undefined;
      return { tenantId: tenant.tenantId, connection, ...(tenant.crm?.logStates ? { logStates: tenant.crm.logStates } : {}) };
    },
    // The final state the tenant logs, of a call that names its record: a call without a lead has nowhere to be logged.
    wants: (event, call, target) =>
      call.lead !== null && isLoggedState(event.state, target.logStates ? { logStates: target.logStates } : undefined),
    hostOf: (target) => hostOf(target.connection.instanceUrl),
    paceOf: (target) => ({ key: `${SALESFORCE}#${target.tenantId}`, perSecond: SALESFORCE_PER_SECOND }),
    async deliver(call, event, { target, now, attempt, remoteId }) {
      const held = target.connection.held;
      if (held) return { kind: 'held', error: `the Salesforce connection is held since ${held.at}: ${held.reason}` };
      const fields = taskFieldsOf(call, event);
      if ('error' in fields) return { kind: 'dead', error: fields.error };
      return withSession(target, now, async (session) => {
        if (remoteId) return update(target, session, remoteId, fields.update, now);
        if (attempt > 1) {
          // The previous attempt's outcome is unknown: the Task it may have created carries our call id.
          const found = await lookup(target, session, call.callId, now);
          if (found.kind !== 'absent') return found;
        }
        return create(target, session, fields.create, now);
      });
    },
    async check(target, now) {
      return checkConnection(target, now, fetchToken, http);
    },
  };
}

/** A Salesforce error answer in the engine's words: 401 is the session's (renewed once); REQUEST_LIMIT_EXCEEDED is a limit, not a refusal. */
function failure(answer: CrmAnswer, now: Date): Step {
  const described = errorWordsOf(answer.body);
  const words = described?.words ?? 'no error in the answer';
  if (answer.status === 401) return { kind: 'session-refused', error: `HTTP 401: ${words}` };
  if (answer.status === 403 && described?.codes.includes('REQUEST_LIMIT_EXCEEDED')) {
    return {
      kind: 'retry',
      error: `HTTP 403: ${words}`,
      retryAfterMs: retryAfterMsOf(answer.headers['retry-after'], now) ?? REQUEST_LIMIT_RETRY_MS,
    };
  }
  return failedOutcome(answer, words, now);
}

/**
 * The doctor's look: a new token (the credentials, the run-as user), then the Task describe as that user (read-only),
 * which says whether it may create Tasks with the call fields. Salesforce's own words when not.
 */
async function checkConnection(
  target: SalesforceTarget,
  now: Date,
  fetchToken: (connection: SalesforceConnection, now: Date) => ReturnType<typeof requestSalesforceToken>,
  http: { timeoutMs: number; outbound: OutboundPolicy },
): Promise<ConnectionCheck> {
  const heldNote = target.connection.held ? ` The connection is held since ${target.connection.held.at}: reconnect it once fixed.` : '';
  const token = await fetchToken(target.connection, now);
  if (token.kind === 'refused') return { ok: false, detail: `Salesforce refused the connected app: ${token.error}.${heldNote}` };
  if (token.kind === 'retry') return { ok: false, detail: `no token from Salesforce: ${token.error}.${heldNote}` };
  let status: number;
  let body: unknown;
  try {
    const response = await sendOutbound(`${apiBase(target.connection)}/sobjects/Task/describe`, {
      method: 'GET',
      headers: { accept: 'application/json', authorization: `Bearer ${token.session.accessToken}`, 'user-agent': 'c2c-crm-log/1' },
      timeoutMs: http.timeoutMs,
      maxBodyBytes: DESCRIBE_MAX_BYTES,
      policy: http.outbound,
    });
    status = response.status;
    body = parseJson(response.body);
  } catch (error) {
    return { ok: false, detail: `Task describe: ${describeRequestError(error)}.${heldNote}` };
  }
  if (status !== 200)
    return { ok: false, detail: `Task describe: HTTP ${status}: ${errorWordsOf(body)?.words ?? 'no error in the answer'}.${heldNote}` };
  const problems = taskDescribeProblems(body);
  if (problems.length > 0) return { ok: false, detail: `${problems.join('; ')}.${heldNote}` };
  const user = token.session.userId ? ` as run-as user ${token.session.userId}` : '';
  return { ok: true, detail: `token granted${user}; it may create call Tasks (API ${SALESFORCE_API_VERSION}).${heldNote}` };
}

const apiBase = (connection: SalesforceConnection) =>
  `${connection.instanceUrl.replace(/\/+$/, '')}/services/data/${SALESFORCE_API_VERSION}`;

function hostOf(url: string): string | null {
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}
