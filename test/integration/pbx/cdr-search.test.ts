/**
 * The CDR search over real HTTP: it carries the tenant's API key, so it follows no redirect (a second server
 * on another port stands for "another host" and must never see the key), and it reads a bounded body.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CdrSearchError, MAX_CDR_ANSWER_BYTES, searchCdrs } from '../../../lib/pbx/cdr-search';

const API_KEY = 'cdr-key-that-must-stay-home-123';
const LOCAL = { allowPrivate: true };

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

async function serve(handler: http.RequestListener): Promise<{ url: string; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => handler(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const cdr = (n: number) => ({
  uniqueid: `1795000000.${n}`,
  hangup_cause: 'ANSWERED',
  bill_duration: 10,
  custom_fields: { c2c_call_id: `c_${n}`, pad: 'x'.repeat(200) },
});

let elsewhere: Awaited<ReturnType<typeof serve>>;
let redirecting: Awaited<ReturnType<typeof serve>>;
let huge: Awaited<ReturnType<typeof serve>>;
let hugeChunked: Awaited<ReturnType<typeof serve>>;
/** A well-formed answer past the bound: the old search read it whole and returned it. */
const hugeBody = JSON.stringify({
  data: Array.from({ length: Math.ceil((MAX_CDR_ANSWER_BYTES * 1.5) / 260) }, (_, i) => cdr(i)),
  total: 0,
});

beforeAll(async () => {
  elsewhere = await serve((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: [cdr(1)] })),
  );
  redirecting = await serve((_req, res) => res.writeHead(302, { location: `${elsewhere.url}/api/cdrs` }).end());
  huge = await serve((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(hugeBody) }).end(hugeBody),
  );
  hugeChunked = await serve((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    for (let i = 0; i < hugeBody.length; i += 64 * 1024) res.write(hugeBody.slice(i, i + 64 * 1024));
    res.end();
  });
});

afterAll(async () => {
  await Promise.all([elsewhere, redirecting, huge, hugeChunked].map((s) => s?.close()));
});

describe('searchCdrs', () => {
  it('does not follow a redirect to another host: the API key never reaches it', async () => {
    const error = await searchCdrs(
      { url: `${redirecting.url}/api/cdrs`, apiKey: API_KEY, timeoutMs: 2000, outbound: LOCAL },
      { c2c_call_id: 'c_1' },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CdrSearchError);
    expect((error as Error).message).toMatch(/HTTP 302 \(a redirect: not followed/);
    expect(redirecting.seen).toHaveLength(1);
    expect(redirecting.seen[0]!.headers['x-api-key']).toBe(API_KEY);
    expect(elsewhere.seen).toEqual([]);
  });

  it.each([
    ['with a Content-Length', () => huge],
    ['chunked, with no length announced', () => hugeChunked],
  ])(`refuses an answer larger than ${MAX_CDR_ANSWER_BYTES} bytes (%s)`, async (_how, server) => {
    const error = await searchCdrs(
      { url: `${server().url}/api/cdrs`, apiKey: API_KEY, timeoutMs: 5000, outbound: LOCAL },
      { c2c_call_id: 'c_1' },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CdrSearchError);
    expect((error as Error).message).toBe(`The CDR search answer is larger than ${MAX_CDR_ANSWER_BYTES} bytes`);
  });

  it('still reads a well-formed answer within the bound', async () => {
    expect(
      await searchCdrs({ url: `${elsewhere.url}/api/cdrs`, apiKey: API_KEY, timeoutMs: 2000, outbound: LOCAL }, { c2c_call_id: 'c_1' }),
    ).toMatchObject([{ uniqueid: '1795000000.1' }]);
  });
});
