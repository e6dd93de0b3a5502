import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import { systemClock, type Clock } from '../time/clock';

/**
 * The network steps of a diagnosis, each timed and never throwing: DNS, a TCP connect, a TLS handshake
 * with certificate verification. They answer what this machine sees; the allowlist probe answers what
 * the stage sees.
 */

/** A step that failed: Node's error code (ENOTFOUND, ECONNREFUSED, CERT_HAS_EXPIRED...) and its message. */
export interface StepFailure {
  ok: false;
  ms: number;
  code: string;
  detail: string;
}

export type StepResult<T extends object = object> = ({ ok: true; ms: number } & T) | StepFailure;

/** Host and port of an http(s) URL, the port defaulted from the scheme; undefined for anything else. */
export function endpointOf(url: string): { host: string; port: number; tls: boolean } | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
  const isTls = parsed.protocol === 'https:';
  // An IPv6 literal keeps its brackets in `hostname`.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port: parsed.port ? Number(parsed.port) : isTls ? 443 : 80, tls: isTls };
}

/** Resolves a host name as the HTTP clients will (getaddrinfo: /etc/hosts, then DNS). An IP literal resolves to itself. */
export async function resolveHost(host: string, timeoutMs: number): Promise<StepResult<{ addresses: string[] }>> {
  const started = performance.now();
  if (net.isIP(host)) return { ok: true, ms: 0, addresses: [host] };
  let timer: NodeJS.Timeout | undefined;
  try {
    const found = await Promise.race([
      lookup(host, { all: true }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEOUT' })), timeoutMs);
      }),
    ]);
    return { ok: true, ms: elapsed(started), addresses: [...new Set(found.map((a) => a.address))] };
  } catch (error) {
    return failure(error, started);
  } finally {
    clearTimeout(timer);
  }
}

/** Opens and closes one TCP connection. */
export function connectTcp(host: string, port: number, timeoutMs: number): Promise<StepResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (result: StepResult) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done(timeoutFailure('connect', timeoutMs, started)), timeoutMs);
    socket.once('connect', () => done({ ok: true, ms: elapsed(started) }));
    socket.once('error', (error) => done(failure(error, started)));
  });
}

export interface TlsFacts {
  protocol: string | null;
  /** The leaf certificate's subject CN and issuer O/CN, for the operator's eyes. */
  subject?: string;
  issuer?: string;
  /** ISO time the leaf certificate expires, and the whole days left. */
  validTo?: string;
  daysLeft?: number;
}

/**
 * One TLS handshake, verifying the certificate chain and the host name as an HTTPS client would. A
 * failure's `code` is Node's (CERT_HAS_EXPIRED, ERR_TLS_CERT_ALTNAME_INVALID, SELF_SIGNED_CERT_IN_CHAIN...).
 */
export function handshakeTls(
  host: string,
  port: number,
  options: { timeoutMs: number; ca?: string | Buffer; now?: Clock },
): Promise<StepResult<TlsFacts>> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = tls.connect({
      host,
      port,
      // SNI takes names only; an IP literal is checked against the certificate's IP entries without it.
      ...(net.isIP(host) ? {} : { servername: host }),
      rejectUnauthorized: true,
      ...(options.ca ? { ca: options.ca } : {}),
    });
    const done = (result: StepResult<TlsFacts>) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done(timeoutFailure('TLS handshake', options.timeoutMs, started)), options.timeoutMs);
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      const validTo = cert?.valid_to ? new Date(cert.valid_to) : undefined;
      const now = (options.now ?? systemClock)();
      done({
        ok: true,
        ms: elapsed(started),
        protocol: socket.getProtocol(),
        ...(cert?.subject?.CN ? { subject: String(cert.subject.CN) } : {}),
        ...(cert?.issuer ? { issuer: String(cert.issuer.O ?? cert.issuer.CN ?? '') } : {}),
        ...(validTo && !Number.isNaN(validTo.getTime())
          ? { validTo: validTo.toISOString(), daysLeft: Math.floor((validTo.getTime() - now.getTime()) / 86_400_000) }
          : {}),
      });
    });
    socket.once('error', (error) => done(failure(error, started)));
  });
}

/** The TCP or TLS step for an endpoint: a TLS handshake for https, a TCP connect for http. */
export function connectEndpoint(
  endpoint: { host: string; port: number; tls: boolean },
  options: { timeoutMs: number; ca?: string | Buffer },
): Promise<StepResult<Partial<TlsFacts>>> {
  return endpoint.tls ? handshakeTls(endpoint.host, endpoint.port, options) : connectTcp(endpoint.host, endpoint.port, options.timeoutMs);
}

/** Plain words for the network error codes an operator meets. */
export function explainNetworkCode(code: string): string {
  switch (code) {
    case 'ENOTFOUND':
      return 'no such name';
    case 'EAI_AGAIN':
    case 'ETIMEOUT':
      return 'the DNS lookup did not finish (resolver unreachable or slow)';
    case 'ECONNREFUSED':
      return 'nothing listens on that port (connection refused)';
    case 'ETIMEDOUT':
    case 'CONNECT_TIMEOUT':
      return 'no answer to the connection attempt (a firewall dropping packets, or the host is down)';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'no route to the host';
    case 'ECONNRESET':
      return 'the connection was reset';
    case 'CERT_HAS_EXPIRED':
      return 'the certificate has expired';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return 'the certificate is for another host name';
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
      return 'the certificate is self-signed (not trusted)';
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return 'the certificate chain is incomplete or from an unknown authority';
    default:
      return code;
  }
}

function timeoutFailure(what: string, timeoutMs: number, started: number): StepFailure {
  return { ok: false, ms: elapsed(started), code: 'CONNECT_TIMEOUT', detail: `${what}: no answer within ${timeoutMs} ms` };
}

function failure(error: unknown, started: number): StepFailure {
  const err = error as NodeJS.ErrnoException;
  return { ok: false, ms: elapsed(started), code: err?.code ?? 'ERROR', detail: err?.message ?? String(error) };
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}
