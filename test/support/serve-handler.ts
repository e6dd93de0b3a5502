import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { invoke } from './env';

type Handler = Parameters<typeof invoke>[0];

/**
 * Serves one Lambda handler over real HTTP on a route template (e.g. `/v1/pbx-events/{tenantId}/{token}`),
 * as API Gateway would: for tests whose sender is a real HTTP client (the PBX simulator's webhooks).
 * `intercept` may answer a request itself (e.g. a 500, to make the sender retry).
 */
export async function serveHandler(
  handler: Handler,
  route: string,
  options: { intercept?: (method: string, path: string) => number | undefined } = {},
): Promise<{ url: string; close(): Promise<void> }> {
  const names = [...route.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  const pattern = new RegExp(`^${route.replace(/\{\w+\}/g, '([^/]+)')}$`);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://local');
      const match = pattern.exec(url.pathname);
      const intercepted = options.intercept?.(req.method ?? 'GET', url.pathname);
      if (!match || intercepted !== undefined) {
        res.writeHead(match ? intercepted! : 404).end();
        return;
      }
      const path = Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(match[i + 1]!)]));
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      const rawBody = Buffer.concat(chunks).toString('utf8');
      invoke(handler, {
        method: req.method ?? 'GET',
        route,
        path,
        query: Object.fromEntries(url.searchParams),
        headers: { 'content-type': headers['content-type'] ?? '', ...headers },
        ...(rawBody ? { rawBody } : {}),
      }).then(
        (result) => res.writeHead(result.status, { 'content-type': 'application/json' }).end(JSON.stringify(result.body ?? {})),
        () => res.writeHead(500).end(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
