import type { AfterResponseMiddleware, BeforeRequestMiddleware, Bundle, HttpResponse, ZObject } from 'zapier-platform-core';

/**
 * How the app speaks to the service: every request goes to the connection's base URL with its API key as a Bearer
 * token, and every refusal (RFC 9457 problem+json, docs/api.md "Errors: problem details") reaches the Zap's user as the
 * service's own sentence and code, not as Zapier's "Got 4xx calling ...".
 */

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The connection's base URL without a trailing slash; https, or http to this machine only (the local stack). */
export function baseUrlOf(z: ZObject, bundle: Bundle): string {
  const raw = String(bundle.authData.baseUrl ?? '').trim();
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new z.errors.Error(
      `Base URL: "${raw}" is not a URL; use the service's address, e.g. https://calls.example.com`,
      'invalid_base_url',
      400,
    );
  }
  const loopback = LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new z.errors.Error('Base URL: must start with https:// (http:// only for localhost)', 'invalid_base_url', 400);
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new z.errors.Error('Base URL: only the address, without a query, a fragment or credentials', 'invalid_base_url', 400);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** An absolute URL of the service's API: `path` starts with `/v1/`. */
export function apiUrl(z: ZObject, bundle: Bundle, path: string): string {
  return `${baseUrlOf(z, bundle)}${path}`;
}

/**
 * beforeRequest: the API key as a Bearer token on requests to the connection's own base URL only (a request to any
 * other address, should one ever be made, never carries the key). The platform's early 429 handling is turned off so
 * that the service's problem (its detail and Retry-After) reaches {@link problemToError}.
 */
export const addBearer: BeforeRequestMiddleware = (request, z, bundle) => {
  const base = baseUrlOf(z, bundle);
  const ours = request.url === base || request.url.startsWith(`${base}/`) || request.url.startsWith(`${base}?`);
  const apiKey = String(bundle.authData.apiKey ?? '');
  if (ours && apiKey) request.headers = { ...request.headers, authorization: `Bearer ${apiKey}` };
  request.headers = { accept: 'application/json', ...request.headers };
  (request as { throwForThrottlingEarly?: boolean }).throwForThrottlingEarly = false;
  return request;
};

interface Problem {
  status?: number;
  code?: string;
  title?: string;
  detail?: string;
  errors?: Array<{ path?: string; message?: string }>;
  requestId?: string;
}

/**
 * afterResponse: a problem+json answer becomes an error a person can act on: the problem's `detail`, each offending
 * field of `errors`, and its `code` (the stable reason a Zap's error handling can branch on).
 * - 401: `ExpiredAuthError`, Zapier's error for credentials that no longer work: the connection is marked expired and
 *   its owner asked to reconnect with a valid key. (`RefreshAuthError` is for credentials Zapier can refresh, OAuth and
 *   session auth; an API key has nothing to refresh.)
 * - 429 and 503: `ThrottledError` after the service's Retry-After. Nothing was dialled (docs/api.md "Answers"), and a
 *   replayed "Place a call" carries the same Idempotency-Key, so Zapier's retry never rings twice.
 * - anything else: `z.errors.Error(message, code, status)`.
 * A request made with `skipThrowForStatus` handles its own statuses (an unsubscribe that finds its subscription gone).
 */
export const problemToError: AfterResponseMiddleware = (response, z) => {
  if (response.status < 400 || response.skipThrowForStatus) return response;
  return raiseForProblem(response, z);
};

/** Throws the error of a problem+json answer (see {@link problemToError}); any other answer is returned as it is. */
export function raiseForProblem(response: HttpResponse, z: ZObject): HttpResponse {
  const problem = problemOf(response);
  if (!problem) return response;
  const code = problem.code ?? `http_${response.status}`;
  const fields = (problem.errors ?? []).map((e) => `${e.path ?? 'body'}: ${e.message ?? 'invalid'}`);
  const detail = problem.detail ?? problem.title ?? `HTTP ${response.status}`;
  const message = `${detail}${fields.length ? ` (${fields.join('; ')})` : ''} [${code}]`;
  if (response.status === 401) throw new z.errors.ExpiredAuthError(message);
  if (response.status === 429 || response.status === 503) {
    const retryAfter = Number.parseInt(response.getHeader('retry-after') ?? '', 10);
    throw new z.errors.ThrottledError(message, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : 60);
  }
  throw new z.errors.Error(message, code, response.status);
}

function problemOf(response: HttpResponse): Problem | undefined {
  const type = response.getHeader('content-type') ?? '';
  if (!/json/i.test(type)) return undefined;
  try {
    const body = JSON.parse(response.content) as unknown;
    // A problem names its code; any other JSON error (a proxy's, a gateway's) is left to the platform's "Got 404 calling...".
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
    return typeof (body as Problem).code === 'string' ? body : undefined;
  } catch {
    return undefined;
  }
}
