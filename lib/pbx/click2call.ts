import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import * as z from 'zod';
import { assertUrlAllowed, ForbiddenAddressError, guardedLookup, outboundPolicyFromEnv, type OutboundPolicy } from '../net/outbound';
import { InvalidDialRequestError, InvalidPbxSettingsError, InvalidPbxUrlError } from './errors';

/**
 * Which of the two documented Click2Call URL layouts a tenant's PBX answers:
 * - `click2call`: `{base}/call/{CRM_ID}/{Client_ID}/{leg_a}/{leg_b}[/{prefix}]`
 * - `stats`: `{base}/click2call/{leg_a}/{leg_b}[/{prefix}]` (PBX Stats integration)
 */
export type UrlShape = 'click2call' | 'stats';

/** Per-tenant PBX settings. */
export interface PbxSettings {
  urlShape: UrlShape;
  /**
   * Scheme and host (and optional base path) of the PBX: `https://click2call.pbx.commpeak.com` for shape
   * `click2call`, `https://acme.stats.pbx.commpeak.com` for shape `stats`, `http://127.0.0.1:4010` locally.
   */
  baseUrl: string;
  /** CRM vendor id, digits only. Used by shape `click2call`. */
  crmId: string;
  /** Client (tenant) id, digits only. Used by shape `click2call`. */
  clientId: string;
  /** HTTP Basic credentials, for PBX modules that require them on top of the IP allowlist. */
  basicAuth?: { username: string; password: string };
  /** Budget for the whole exchange: connect, request, response headers and body. */
  timeoutMs: number;
}

/** One call to place: ring the agent's extension `legA`, then dial `legB`. */
export interface DialRequest {
  /** The agent's extension, digits only. */
  legA: string;
  /** The destination in E.164 without `+`, digits only. */
  legB: string;
  /** Dial prefix put before `legB` by the PBX (`*`, a route code). Sent as one path segment. */
  prefix?: string;
  /** Custom data written into the PBX's CDR (e.g. `{ c2c_call_id: 'c_123' }`). */
  query: Record<string, string>;
}

/**
 * What one Click2Call GET produced. Only `not_sent` guarantees the PBX never saw the request,
 * so only `not_sent` may be sent again; `unknown` must be settled by webhooks or the CDR search.
 */
export type DialOutcome =
  /** The PBX took the call. `legA`, `legB` and `pbxHost` are its echo, empty when it sent none. */
  | { kind: 'accepted'; uniqueId: string; message: string; legA: string; legB: string; pbxHost: string; latencyMs: number }
  /** The PBX answered `success:false`; `message` is its text, verbatim. */
  | { kind: 'refused'; message: string; uniqueId?: string; pbxHost?: string; latencyMs: number }
  /** HTTP 404: the PBX's answer to a source IP outside the tenant's allowlist. */
  | { kind: 'not_allowlisted'; httpStatus: 404; latencyMs: number }
  /** Nothing left this host: connection refused, DNS failure, connect timeout, unusable base URL. */
  | { kind: 'not_sent'; code: string; detail: string; latencyMs: number }
  /** The request may have reached the PBX: timeout, reset, 5xx, unreadable body, any other status. */
  | { kind: 'unknown'; code: string; detail: string; httpStatus?: number; latencyMs: number };

/** Options for {@link Click2CallClient}. */
export interface Click2CallClientOptions {
  /** Merged over the defaults of both keep-alive agents (http and https), e.g. `ca` for a private PBX certificate. */
  agentOptions?: https.AgentOptions;
  /**
   * Which PBX addresses may be dialled (lib/net/outbound.ts). Default: `ALLOW_PRIVATE_OUTBOUND` of the
   * environment, so production refuses loopback, private and metadata addresses unless told otherwise.
   */
  outbound?: OutboundPolicy;
}

/*
 * Idle keep-alive sockets are dropped after this long. Node's server default keep-alive is 5 s; a socket the
 * server already closed fails our next request with ECONNRESET, which must be answered `unknown` and never
 * re-sent, so idle sockets are kept for less time than servers typically keep them.
 */
const IDLE_SOCKET_TIMEOUT_MS = 4_000;

/** PBX answers are a few hundred bytes; anything far larger is not a Click2Call answer. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * The longest Click2Call URL we send, in characters of the encoded absolute URL (ASCII, so also bytes).
 *
 * RFC 9110 (section 4.1) recommends that senders and recipients support URIs of at least 8000 octets,
 * and that is about what common front ends accept: Apache's request line is capped at 8190 bytes, nginx's
 * header buffers at 8 KB, CloudFront's URLs at 8192. A GET past its server's limit is answered 414 or 431
 * after it was sent: the call would be `unknown` (never re-sent, flagged for a human) for a request that
 * could never have worked. So a longer URL is refused before anything is sent. Custom data dominates the
 * length: a character outside ASCII takes up to 9 characters once percent-encoded.
 */
export const MAX_CLICK2CALL_URL_LENGTH = 8000;

/** Digits only, bounded so a runaway value cannot build an absurd URL. */
const DIGITS = /^\d{1,32}$/;

/*
 * Errors that can only happen before a connection exists. Even then they count as `not_sent` only when the
 * socket never connected: an error list alone must never let a request that may have been written be re-sent.
 */
const CONNECT_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'ETIMEDOUT',
]);

/**
 * Builds the Click2Call GET URL for a tenant: exactly the URL {@link Click2CallClient.dial} sends, and
 * the one whose length is checked against {@link MAX_CLICK2CALL_URL_LENGTH} before a call is reserved.
 *
 * Every value is validated before anything else happens, and the prefix is percent-encoded as a single
 * path segment, so no input can change the path the PBX sees.
 *
 * @throws {InvalidDialRequestError} a leg is not digits only, or the prefix is `.` / `..` or not encodable
 * @throws {InvalidPbxSettingsError} an unknown URL shape, or CRM/Client id not digits only (shape `click2call`)
 * @throws {InvalidPbxUrlError} the base URL is not an absolute http(s) URL without credentials, query or fragment
 */
export function buildClick2CallUrl(settings: PbxSettings, req: DialRequest): URL {
  const head = pathHead(settings);
  const legA = requireDigits(req.legA, () => new InvalidDialRequestError('legA', 'legA must be digits only'));
  const legB = requireDigits(req.legB, () => new InvalidDialRequestError('legB', 'legB must be digits only'));
  const segments = [...head, legA, legB];
  if (req.prefix !== undefined && req.prefix !== '') segments.push(encodePrefixSegment(req.prefix));

  const url = parseBaseUrl(settings.baseUrl);
  const basePath = url.pathname.replace(/\/+$/, '');
  url.pathname = `${basePath}/${segments.join('/')}`;
  url.search = new URLSearchParams(Object.entries(req.query)).toString();
  return url;
}

function pathHead(settings: PbxSettings): string[] {
  switch (settings.urlShape) {
    case 'click2call':
      return [
        'call',
        requireDigits(settings.crmId, () => new InvalidPbxSettingsError('crmId', 'crmId must be digits only')),
        requireDigits(settings.clientId, () => new InvalidPbxSettingsError('clientId', 'clientId must be digits only')),
      ];
    case 'stats':
      return ['click2call'];
    default:
      throw new InvalidPbxSettingsError('urlShape', `unknown urlShape: ${String(settings.urlShape)}`);
  }
}

function requireDigits(value: unknown, error: () => Error): string {
  if (typeof value !== 'string' || !DIGITS.test(value)) throw error();
  return value;
}

function encodePrefixSegment(prefix: string): string {
  // WHATWG URLs resolve `.`, `..` and their %2E spellings as dot-segments, so no encoding can carry them.
  if (prefix === '.' || prefix === '..') {
    throw new InvalidDialRequestError('prefix', 'prefix cannot be "." or ".."');
  }
  try {
    return encodeURIComponent(prefix);
  } catch (cause) {
    throw new InvalidDialRequestError('prefix', 'prefix is not well-formed Unicode', { cause });
  }
}

function parseBaseUrl(baseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch (cause) {
    throw new InvalidPbxUrlError('baseUrl is not an absolute URL', { cause });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidPbxUrlError(`baseUrl protocol must be http or https, got ${url.protocol}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new InvalidPbxUrlError('baseUrl must not carry credentials: use basicAuth');
  }
  if (url.search !== '' || url.hash !== '') {
    throw new InvalidPbxUrlError('baseUrl must not carry a query or a fragment');
  }
  return url;
}

const acceptedAnswerSchema = z.looseObject({
  success: z.literal(true),
  // A number would have lost digits in JSON.parse ("10000000.1000" -> 10000000.1), so only a string is an id.
  unique_id: z.string().min(1),
  message: z.string().default(''),
  leg_a: z.string().default(''),
  leg_b: z.string().default(''),
  pbx: z.string().default(''),
});

const refusedAnswerSchema = z.looseObject({
  success: z.literal(false),
  message: z.string().default(''),
  unique_id: z.string().optional(),
  pbx: z.string().optional(),
});

const click2CallAnswerSchema = z.discriminatedUnion('success', [acceptedAnswerSchema, refusedAnswerSchema]);

/**
 * Classifies a complete HTTP answer from the PBX. Pure: the transport has already read the whole body.
 *
 * 404 means the source IP is not allowlisted; a 2xx JSON answer is accepted or refused by its `success`;
 * every other status, and any body that is not a well-formed answer, is `unknown`.
 */
export function interpretClick2CallAnswer(httpStatus: number, body: string, latencyMs: number): DialOutcome {
  if (httpStatus === 404) return { kind: 'not_allowlisted', httpStatus: 404, latencyMs };
  if (httpStatus < 200 || httpStatus > 299) {
    return { kind: 'unknown', code: `http_${httpStatus}`, detail: `PBX answered HTTP ${httpStatus}`, httpStatus, latencyMs };
  }

  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { kind: 'unknown', code: 'unreadable_body', detail: 'PBX answer is not JSON', httpStatus, latencyMs };
  }
  const parsed = click2CallAnswerSchema.safeParse(json);
  if (!parsed.success) {
    const detail = `PBX answer has an unexpected shape: ${z.prettifyError(parsed.error)}`;
    return { kind: 'unknown', code: 'unexpected_answer', detail, httpStatus, latencyMs };
  }

  const answer = parsed.data;
  if (answer.success) {
    return {
      kind: 'accepted',
      uniqueId: answer.unique_id,
      message: answer.message,
      legA: answer.leg_a,
      legB: answer.leg_b,
      pbxHost: answer.pbx,
      latencyMs,
    };
  }
  return {
    kind: 'refused',
    message: answer.message,
    ...(answer.unique_id !== undefined && { uniqueId: answer.unique_id }),
    ...(answer.pbx !== undefined && { pbxHost: answer.pbx }),
    latencyMs,
  };
}

/**
 * Sends Click2Call GETs and classifies every answer as a {@link DialOutcome}.
 *
 * Never retries, never re-sends: the PBX has no idempotency key, so whether to send again is the ledger's
 * decision. Build one per container and reuse it: its keep-alive agents save a TLS handshake per call.
 */
export class Click2CallClient {
  readonly #httpAgent: http.Agent;
  readonly #httpsAgent: https.Agent;
  readonly #outbound: OutboundPolicy;
  /* One policy per client, so its pooled keep-alive sockets were all checked under the policy that reuses them. */
  readonly #lookup: ReturnType<typeof guardedLookup>;

  constructor(opts: Click2CallClientOptions = {}) {
    this.#outbound = opts.outbound ?? outboundPolicyFromEnv();
    this.#lookup = guardedLookup(this.#outbound);
    const agentOptions: https.AgentOptions = { keepAlive: true, timeout: IDLE_SOCKET_TIMEOUT_MS, ...opts.agentOptions };
    this.#httpAgent = new http.Agent(agentOptions);
    this.#httpsAgent = new https.Agent(agentOptions);
  }

  /**
   * Sends one Click2Call GET and classifies the answer. Transport failures and unusable answers are
   * outcomes, not rejections.
   *
   * @throws {InvalidDialRequestError} before any I/O, when the request cannot be expressed as a URL, or its
   *   URL is longer than {@link MAX_CLICK2CALL_URL_LENGTH}
   * @throws {InvalidPbxSettingsError} before any I/O, for non-digit ids, an unknown shape or a bad timeout
   */
  async dial(settings: PbxSettings, req: DialRequest): Promise<DialOutcome> {
    const startedAt = performance.now();
    if (!Number.isFinite(settings.timeoutMs) || settings.timeoutMs <= 0) {
      throw new InvalidPbxSettingsError('timeoutMs', 'timeoutMs must be a positive number');
    }
    let url: URL;
    try {
      url = buildClick2CallUrl(settings, req);
    } catch (err) {
      if (err instanceof InvalidPbxUrlError) {
        return { kind: 'not_sent', code: 'invalid_url', detail: err.message, latencyMs: elapsedSince(startedAt) };
      }
      throw err;
    }
    // The callers check this before they reserve the call (lib/calls/dial-url.ts); this is the backstop.
    if (url.href.length > MAX_CLICK2CALL_URL_LENGTH) {
      throw new InvalidDialRequestError(
        'query',
        `the Click2Call URL would be ${url.href.length} characters, more than ${MAX_CLICK2CALL_URL_LENGTH}`,
      );
    }
    return this.#get(url, settings, startedAt);
  }

  /** Closes idle keep-alive sockets. Requests in flight are not aborted. */
  close(): void {
    this.#httpAgent.destroy();
    this.#httpsAgent.destroy();
  }

  #get(url: URL, settings: PbxSettings, startedAt: number): Promise<DialOutcome> {
    const isHttps = url.protocol === 'https:';
    const headers: http.OutgoingHttpHeaders = { accept: 'application/json' };
    if (settings.basicAuth) {
      const { username, password } = settings.basicAuth;
      headers.authorization = `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
    }

    try {
      // An IP literal never reaches the lookup below, so it is judged here; nothing has left this host yet.
      assertUrlAllowed(url, this.#outbound);
    } catch (error) {
      if (!(error instanceof ForbiddenAddressError)) throw error;
      return Promise.resolve({ kind: 'not_sent', code: 'forbidden_address', detail: error.message, latencyMs: elapsedSince(startedAt) });
    }

    return new Promise<DialOutcome>((resolve) => {
      let settled = false;
      // Set once a TCP connection exists: from then on, bytes of the request may have reached the PBX.
      let connected = false;

      const settle = (outcome: DialOutcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
      };
      const fail = (err: NodeJS.ErrnoException): void => {
        settle(classifyTransportError(err, connected, elapsedSince(startedAt)));
      };

      const request = (isHttps ? https : http).request(
        url,
        // The lookup resolves, refuses forbidden addresses, and hands the socket the addresses it checked.
        { method: 'GET', agent: isHttps ? this.#httpsAgent : this.#httpAgent, headers, ...(this.#lookup ? { lookup: this.#lookup } : {}) },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_ANSWER_BYTES) {
              const detail = `PBX answer exceeds ${MAX_ANSWER_BYTES} bytes`;
              settle({ kind: 'unknown', code: 'answer_too_large', detail, httpStatus: res.statusCode, latencyMs: elapsedSince(startedAt) });
              request.destroy();
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => {
            const body = Buffer.concat(chunks).toString('utf8');
            settle(interpretClick2CallAnswer(res.statusCode ?? 0, body, elapsedSince(startedAt)));
          });
          res.on('error', fail);
          res.on('close', () => {
            if (!res.complete) fail(Object.assign(new Error('PBX closed the connection mid-answer'), { code: 'ECONNRESET' }));
          });
        },
      );

      request.on('socket', (socket) => {
        // A reused keep-alive socket is already connected.
        if (socket.connecting) socket.once('connect', () => (connected = true));
        else connected = true;
      });
      request.on('error', fail);

      const timer = setTimeout(() => {
        const latencyMs = elapsedSince(startedAt);
        const detail = `no complete answer within ${settings.timeoutMs} ms`;
        settle(
          connected
            ? { kind: 'unknown', code: 'timeout', detail, latencyMs }
            : { kind: 'not_sent', code: 'connect_timeout', detail: `${detail}; never connected`, latencyMs },
        );
        request.destroy();
      }, settings.timeoutMs);

      request.end();
    });
  }
}

function classifyTransportError(err: NodeJS.ErrnoException, connected: boolean, latencyMs: number): DialOutcome {
  // Refused by the lookup, before any socket connected: nothing left this host.
  if (err instanceof ForbiddenAddressError && !connected)
    return { kind: 'not_sent', code: 'forbidden_address', detail: err.message, latencyMs };
  const code = err.code ?? 'transport_error';
  if (!connected && CONNECT_ERROR_CODES.has(code)) {
    return { kind: 'not_sent', code, detail: err.message, latencyMs };
  }
  return { kind: 'unknown', code, detail: err.message, latencyMs };
}

function elapsedSince(startedAt: number): number {
  return Math.round(performance.now() - startedAt);
}
