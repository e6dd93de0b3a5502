import diagnostics_channel from 'node:diagnostics_channel';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { METER_USER_AGENT, tableDef } from './dynamo-meter';
import { requestTargets, type RequestTarget } from './partition-keys';

/** One request dynalite received: when, its operation and the partitions its body names. */
export interface SeenRequest {
  at: number;
  operation: string;
  targets: RequestTarget[];
}

/**
 * The requests dynalite (in this process: local/dynamo.ts) receives, with the keys each names, read from the request's
 * own body as it arrives at dynalite's HTTP server (Node's `http.server.request.start` channel; the body read beside
 * dynalite's own reader, which the server attaches first). The bench meter's own reads (its user agent) are left out:
 * what remains is what the code under test sent.
 */
export function watchDynaliteKeys(port: number, ignoreAgents: string[] = [METER_USER_AGENT]) {
  const schema = tableDef();
  const seen: SeenRequest[] = [];
  let parseErrors = 0;
  const onStart = (message: unknown) => {
    const { server, request } = message as { server?: Server; request?: IncomingMessage };
    if ((server?.address() as AddressInfo | null)?.port !== port || !request) return;
    const agent = `${String(request.headers['user-agent'] ?? '')} ${String(request.headers['x-amz-user-agent'] ?? '')}`;
    if (ignoreAgents.some((a) => agent.includes(a))) return;
    const at = Date.now();
    const operation = String(request.headers['x-amz-target'] ?? '?').replace(/^.*\./, '');
    const chunks: Buffer[] = [];
    // The 'request' event (where dynalite attaches its reader) follows this channel synchronously, before any body
    // chunk is parsed: both readers get every chunk.
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
        seen.push({ at, operation, targets: requestTargets(operation, body, schema) });
      } catch {
        parseErrors++;
      }
    });
  };
  diagnostics_channel.subscribe('http.server.request.start', onStart);
  return {
    /** The requests received so far (their bodies read), oldest first. */
    requests: () => seen,
    /** Requests from `from` on (Date.now()). */
    since: (from: number) => seen.filter((r) => r.at >= from),
    parseErrors: () => parseErrors,
    clear: () => void seen.splice(0),
    stop: () => diagnostics_channel.unsubscribe('http.server.request.start', onStart),
  };
}
