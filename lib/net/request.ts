import http from 'node:http';
import https from 'node:https';
import { urlToHttpOptions } from 'node:url';
import { assertUrlAllowed, guardedLookup, type OutboundPolicy } from './outbound';

/** The answer of {@link sendOutbound}: redirects are answers too (3xx), never followed. */
export interface OutboundResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Empty when the request asked to discard the body. */
  body: Buffer;
}

export interface OutboundRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  headers?: http.OutgoingHttpHeaders;
  body?: string;
  /** Budget of the whole exchange: DNS, connect, request, answer. */
  timeoutMs: number;
  /** The answer's body is read up to this many bytes; a longer one fails with {@link ResponseTooLargeError}. 0: not read. */
  maxBodyBytes: number;
  policy: OutboundPolicy;
}

/** The answer's body was longer than the caller's bound: it was not read to its end. */
export class ResponseTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`the answer is larger than ${limit} bytes`);
    this.name = 'ResponseTooLargeError';
  }
}

/** No complete answer within the budget. */
export class OutboundTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'OutboundTimeoutError';
  }
}

/**
 * One HTTP(S) request to a tenant-set URL, for the senders off the dial path (notifications, the doctor's
 * ping, the CDR search). Unlike `fetch` it connects only to addresses the policy allows, checked after DNS
 * on the address the socket uses; it follows no redirect (so headers such as an API key never travel to
 * another host); it reads a bounded body. A fresh connection per request: a pooled socket would skip the
 * address check of a later request with another policy.
 *
 * @throws {import('./outbound').ForbiddenAddressError} the host is, or resolves to, a forbidden address
 * @throws {ResponseTooLargeError} | {OutboundTimeoutError} | a Node network error (its `code`: ECONNREFUSED...)
 */
export function sendOutbound(target: string | URL, request: OutboundRequest): Promise<OutboundResponse> {
  const url = typeof target === 'string' ? new URL(target) : target;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return Promise.reject(new TypeError(`not an http(s) URL: ${url.protocol}`));
  try {
    assertUrlAllowed(url, request.policy);
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
  const headers: http.OutgoingHttpHeaders = { ...request.headers };
  if (request.body !== undefined) headers['content-length'] = Buffer.byteLength(request.body);
  const lookup = guardedLookup(request.policy);

  return new Promise<OutboundResponse>((resolve, reject) => {
    let settled = false;
    const finish = (error: Error | undefined, response?: OutboundResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) {
        reject(error);
        req.destroy();
      } else resolve(response!);
    };
    // One options object, not (url, options): a module that wraps http.request with the one-argument form in mind (an
    // HTTP logger such as zapier-platform-core's, loaded in the same process) then still sends our method and headers.
    const req = (url.protocol === 'https:' ? https : http).request(
      { ...urlToHttpOptions(url), method: request.method, headers, agent: false, ...(lookup ? { lookup } : {}) },
      (res) => {
        const declared = Number(res.headers['content-length']);
        if (request.maxBodyBytes > 0 && Number.isFinite(declared) && declared > request.maxBodyBytes) {
          return finish(new ResponseTooLargeError(request.maxBodyBytes));
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (request.maxBodyBytes === 0) return;
          size += chunk.length;
          if (size > request.maxBodyBytes) return finish(new ResponseTooLargeError(request.maxBodyBytes));
          chunks.push(chunk);
        });
        res.on('end', () => finish(undefined, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', (error) => finish(error));
      },
    );
    req.on('error', (error) => finish(error));
    const timer = setTimeout(() => finish(new OutboundTimeoutError(request.timeoutMs)), request.timeoutMs);
    req.end(request.body);
  });
}
