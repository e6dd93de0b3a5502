import { ForbiddenAddressError, type OutboundPolicy } from '../../net/outbound';
import { OutboundTimeoutError, ResponseTooLargeError, sendOutbound, type OutboundRequest } from '../../net/request';
import type { DeliveryOutcome } from '../transport';

/** What the call-logging transports share of HTTP: one JSON request to a CRM, and its answer in the engine's words. */
export interface CrmRequest {
  method: OutboundRequest['method'];
  url: string;
  headers?: Record<string, string>;
  /** Sent as JSON (a string body is sent as it is, with the content type the caller set). */
  json?: unknown;
  form?: Record<string, string>;
}

export interface CrmAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body, or undefined when the body was empty or not JSON. */
  body: unknown;
}

/** What a request came to when there was no answer to read: the engine retries these. */
export type CrmNoAnswer = { kind: 'retry'; error: string };

const MAX_ANSWER_BYTES = 256 * 1024;

/**
 * One request to a CRM through the outbound guard (no redirect followed, no private address reached, a bounded
 * body). Answers the status and JSON body, or a retry outcome when there was no answer (timeout, network, refused
 * address): after a timeout the CRM may have acted, which is why an attempt after one looks before it creates.
 */
export async function crmRequest(
  request: CrmRequest,
  options: { timeoutMs: number; outbound: OutboundPolicy },
): Promise<CrmAnswer | CrmNoAnswer> {
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'c2c-crm-log/1', ...request.headers };
  let body: string | undefined;
  if (request.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(request.form).toString();
  } else if (request.json !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = typeof request.json === 'string' ? request.json : JSON.stringify(request.json);
  }
  try {
    const response = await sendOutbound(request.url, {
      method: request.method,
      headers,
      body,
      timeoutMs: options.timeoutMs,
      maxBodyBytes: MAX_ANSWER_BYTES,
      policy: options.outbound,
    });
    return { status: response.status, headers: response.headers, body: parseJson(response.body) };
  } catch (error) {
    return { kind: 'retry', error: describeRequestError(error) };
  }
}

export const isNoAnswer = (answer: CrmAnswer | CrmNoAnswer): answer is CrmNoAnswer => 'kind' in answer;

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The engine's outcome of a CRM answer that did not succeed (docs/design.md, "Adding a transport"): 429 and 503 retry
 * no sooner than their Retry-After; 401 and 403 hold (our credentials were refused); 400, 404, 409 and 422 are
 * permanent; any other status retries. `error` is the CRM's own words, cut short, never a token.
 */
export function failedOutcome(answer: CrmAnswer, error: string, now: Date): Exclude<DeliveryOutcome, { kind: 'delivered' }> {
  const status = answer.status;
  const words = `HTTP ${status}: ${error}`.slice(0, 300);
  if (status === 401 || status === 403) return { kind: 'held', error: words };
  if (status === 429 || status === 503) {
    const retryAfterMs = retryAfterMsOf(answer.headers['retry-after'], now);
    return { kind: 'retry', error: words, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
  if (status === 400 || status === 404 || status === 409 || status === 422) return { kind: 'dead', error: words };
  return { kind: 'retry', error: words };
}

const HTTP_DATE_SHAPE = /\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b.*\b\d{2}:\d{2}:\d{2}\b/;

/** Retry-After as seconds or as an HTTP date (RFC 9110, 10.2.3); undefined when absent or unreadable. */
export function retryAfterMsOf(value: string | string[] | undefined, now: Date): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000;
  // Date.parse reads nearly anything ('-5', '1.5'): only the three HTTP date forms (a month's name and a time) count.
  if (!HTTP_DATE_SHAPE.test(text)) return undefined;
  // asctime's form carries no zone: HTTP dates are GMT, never the host's local time.
  const at = Date.parse(/\b(GMT|UTC)\b/.test(text) ? text : `${text.trim()} GMT`);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

/** Why a request had no answer, in words an operator can act on (never the URL's path or a token). */
export function describeRequestError(error: unknown): string {
  if (error instanceof OutboundTimeoutError) return 'timeout';
  if (error instanceof ForbiddenAddressError) return `refused: ${error.message}`;
  if (error instanceof ResponseTooLargeError) return 'answer too large';
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code) return `network: ${code}`;
  return `network: ${error instanceof Error ? error.message : String(error)}`.slice(0, 200);
}
