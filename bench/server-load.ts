import diagnostics_channel from 'node:diagnostics_channel';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Counts the requests an HTTP server in this process receives (dynalite's: local/dynamo.ts starts it in-process),
 * from Node's own `http.server.request.start` channel, so that neither dynalite nor the stack needs a hook.
 */
export function watchServer(port: number) {
  const at: number[] = [];
  const operations: string[] = [];
  const onStart = (message: unknown) => {
    const { server, request } = message as { server?: Server; request?: IncomingMessage };
    if ((server?.address() as AddressInfo | null)?.port !== port) return;
    at.push(Date.now());
    // DynamoDB's operation travels in a header: `DynamoDB_20120810.PutItem`.
    operations.push(String(request?.headers['x-amz-target'] ?? '?').replace(/^.*\./, ''));
  };
  diagnostics_channel.subscribe('http.server.request.start', onStart);
  return {
    /** Requests received so far. */
    count: () => at.length,
    /** Requests received from `from` to `to` (Date.now() values, `to` excluded). */
    between: (from: number, to: number) => at.filter((t) => t >= from && t < to).length,
    /** The requests from `from` to `to` by DynamoDB operation. */
    operationsBetween: (from: number, to: number) => {
      const counts: Record<string, number> = {};
      at.forEach((t, i) => {
        if (t >= from && t < to) counts[operations[i]!] = (counts[operations[i]!] ?? 0) + 1;
      });
      return counts;
    },
    /** When the first request at or after `from` came, if any. */
    firstFrom: (from: number) => at.find((t) => t >= from),
    stop: () => diagnostics_channel.unsubscribe('http.server.request.start', onStart),
  };
}

/** The share of wall time this process's event loop was busy between two readings of `performance.eventLoopUtilization()`. */
export function busyShare(from: { active: number; idle: number }, to: { active: number; idle: number }): number {
  const active = to.active - from.active;
  const total = active + (to.idle - from.idle);
  return total > 0 ? active / total : 0;
}
