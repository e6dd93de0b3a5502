import type { SalesforceConnection } from '../../model/crm-connection';
import type { OutboundPolicy } from '../../net/outbound';
import { crmRequest, isNoAnswer, retryAfterMsOf } from './crm-http';

/** An access token of a connected app's run-as user, as the token endpoint gave it. */
export interface SalesforceSession {
  accessToken: string;
  /** `instance_url` of the answer: the org's own URL (requests still go to the connection's checked instance URL). */
  instanceUrl: string | null;
  /** The run-as user's id, the last segment of the answer's identity URL (`id`). */
  userId: string | null;
  /** When the cache stops handing it out (ms since the epoch). */
  expiresAt: number;
}

/**
 * What asking for a token came to: a session; `refused` when Salesforce refused the connected app's credentials or
 * set-up (invalid_client, invalid_grant...: only an admin can fix it, so the connection is held); `retry` otherwise.
 */
export type TokenAnswer =
  | { kind: 'session'; session: SalesforceSession }
  | { kind: 'refused'; error: string }
  | { kind: 'retry'; error: string; retryAfterMs?: number };

/**
 * How long a token is used when the answer gives no `expires_in` (the client credentials answer does not): Salesforce
 * ends a session after the org's or the app's session timeout of inactivity (2 hours by default, shorter if an admin
 * chose so). A token older than this is replaced before use; one that dies sooner answers 401 INVALID_SESSION_ID, on
 * which the transport forgets it and asks once for a new one.
 */
export const DEFAULT_SESSION_MAX_AGE_MS = 15 * 60_000;

/** Token endpoint errors that are not about the credentials: Salesforce's login rate limit. Retried, never held. */
const PASSING_TOKEN_ERRORS = new Set(['rate_limit_exceeded', 'temporarily_unavailable', 'server_error']);

/**
 * The OAuth 2.0 client credentials flow: `POST {loginUrl}/services/oauth2/token` with the connected app's consumer key
 * and secret, as a form. The answer's words, never the secret, make the error.
 */
export async function requestSalesforceToken(
  connection: SalesforceConnection,
  http: { timeoutMs: number; outbound: OutboundPolicy },
  now: Date,
  maxAgeMs = DEFAULT_SESSION_MAX_AGE_MS,
): Promise<TokenAnswer> {
  const answer = await crmRequest(
    {
      method: 'POST',
      url: `${connection.loginUrl.replace(/\/+$/, '')}/services/oauth2/token`,
      form: { grant_type: 'client_credentials', client_id: connection.clientId, client_secret: connection.clientSecret },
    },
    http,
  );
  if (isNoAnswer(answer)) return { kind: 'retry', error: `token endpoint: ${answer.error}` };
  const body = (typeof answer.body === 'object' && answer.body !== null ? answer.body : {}) as Record<string, unknown>;
  if (answer.status === 200 && typeof body.access_token === 'string' && body.access_token !== '') {
    const expiresIn = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in * 1000 : maxAgeMs;
    return {
      kind: 'session',
      session: {
        accessToken: body.access_token,
        instanceUrl: typeof body.instance_url === 'string' ? body.instance_url : null,
        userId: typeof body.id === 'string' ? (body.id.split('/').pop() ?? null) : null,
        expiresAt: now.getTime() + Math.min(expiresIn, maxAgeMs),
      },
    };
  }
  const code = typeof body.error === 'string' ? body.error : undefined;
  const words = `token endpoint: HTTP ${answer.status}${code ? ` ${code}` : ''}${typeof body.error_description === 'string' ? ` (${body.error_description})` : ''}`;
  if (answer.status >= 400 && answer.status < 500 && code && !PASSING_TOKEN_ERRORS.has(code) && answer.status !== 429) {
    return { kind: 'refused', error: words.slice(0, 300) };
  }
  const retryAfterMs = retryAfterMsOf(answer.headers['retry-after'], now);
  return { kind: 'retry', error: words.slice(0, 300), ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
}

/** What a cache entry is known by: a new `c2c crm connect` (new connectedAt or client id) never reuses an old token. */
export const sessionKeyOf = (tenantId: string, connection: Pick<SalesforceConnection, 'clientId' | 'connectedAt'>) =>
  `${tenantId}\n${connection.clientId}\n${connection.connectedAt}`;

/**
 * The tokens of this container, one per connection: reused until they expire, asked for once however many deliveries
 * want one at the same moment, and forgotten when Salesforce says the session is no longer valid.
 */
export class SalesforceTokenCache {
  private readonly sessions = new Map<string, SalesforceSession>();
  private readonly pending = new Map<string, Promise<TokenAnswer>>();

  constructor(private readonly fetchToken: (connection: SalesforceConnection, now: Date) => Promise<TokenAnswer>) {}

  async get(tenantId: string, connection: SalesforceConnection, now: Date): Promise<TokenAnswer> {
    const key = sessionKeyOf(tenantId, connection);
    const cached = this.sessions.get(key);
    if (cached && cached.expiresAt > now.getTime()) return { kind: 'session', session: cached };
    this.sessions.delete(key);
    let request = this.pending.get(key);
    if (!request) {
      request = this.fetchToken(connection, now).then(
        (answer) => {
          this.pending.delete(key);
          if (answer.kind === 'session') this.sessions.set(key, answer.session);
          return answer;
        },
        (error: unknown) => {
          this.pending.delete(key);
          throw error;
        },
      );
      this.pending.set(key, request);
    }
    return request;
  }

  /** Drops the connection's token if it is still `accessToken` (a newer one, fetched meanwhile, is kept); all if not given. */
  forget(tenantId: string, connection: SalesforceConnection, accessToken?: string): void {
    const key = sessionKeyOf(tenantId, connection);
    if (accessToken === undefined || this.sessions.get(key)?.accessToken === accessToken) this.sessions.delete(key);
  }
}
