import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startPbxSimulator, type PbxSimulator } from '../../../local/pbx-sim/simulator';

/** The simulator's playout and PBX Stats webhooks, driven through its /_sim control endpoints over HTTP. */

interface Received {
  method: string;
  contentType: string | undefined;
  params: Record<string, string>;
  at: number;
}

let sim: PbxSimulator;
let server: http.Server;
let receiverUrl: string;
let received: Received[] = [];
let answerWith = 200;

beforeAll(async () => {
  sim = await startPbxSimulator({ port: 0 });
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://x');
      const contentType = req.headers['content-type'];
      const params = contentType?.includes('json')
        ? (JSON.parse(body) as Record<string, string>)
        : Object.fromEntries(body ? new URLSearchParams(body) : url.searchParams);
      received.push({ method: req.method ?? '', contentType, params, at: Date.now() });
      res.writeHead(answerWith).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  receiverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/pbx?static=1`;
});

afterAll(async () => {
  await sim?.close();
  await new Promise((resolve) => server?.close(resolve));
});

beforeEach(() => {
  received = [];
  answerWith = 200;
});

const control = (path: string, method: string, body?: unknown) =>
  fetch(`${sim.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

const dial = (legA: string, legB: string, query = '') =>
  fetch(`${sim.url}/call/1/2/${legA}/${legB}${query}`).then((r) => r.json() as Promise<{ unique_id: string }>);

async function until(predicate: () => boolean, timeoutMs = 3_000) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('PUT /_sim/playout and PUT /_sim/webhooks', () => {
  it("plays an answered call out: Start, Answer, End by JSON, with the Click2Call custom data and the CDR's figures", async () => {
    expect((await control('/_sim/playout', 'PUT', { default: { outcome: 'answered', ringSec: 0.1, talkSec: 0.3 } })).status).toBe(200);
    const put = await control('/_sim/webhooks', 'PUT', { url: receiverUrl, method: 'POST_JSON', customParams: { account: 'acme' } });
    expect(await put.json()).toMatchObject({ webhooks: [{ method: 'POST_JSON', retries: 3, delaySec: 0 }] });
    const dialledAt = Date.now();
    const { unique_id } = await dial('1000', '447766889900', '?c2c_call_id=c_X&leadid=7');
    await until(() => received.length === 3);
    expect(received.map((r) => r.params.event)).toEqual(['Call Start', 'Call Answer', 'Call End']);
    expect(received.every((r) => r.method === 'POST' && r.contentType === 'application/json')).toBe(true);
    const cdr = sim.cdrs().find((c) => c.uniqueid === unique_id)!;
    expect(received[2]!.params).toMatchObject({
      uniqueid: unique_id,
      c2c_call_id: 'c_X',
      leadid: '7',
      account: 'acme',
      duration: String(cdr.duration),
      bill_duration: String(cdr.bill_duration),
      hangup_cause: 'ANSWERED',
      recording_link: cdr.recording_link,
    });
    // The Answer is sent once the 100 ms of ringing have passed: never earlier, however late the Start arrived.
    expect(received[1]!.at - dialledAt).toBeGreaterThanOrEqual(95);
  });

  it('sends by GET with a query string, and by POST with a form; a busy extension has no Answer', async () => {
    await control('/_sim/playout', 'PUT', { rules: [{ match: { extension: '1001' }, outcome: 'busy', ringSec: 0.05 }] });
    await control('/_sim/webhooks', 'PUT', {
      webhooks: [
        { url: receiverUrl, method: 'GET' },
        { url: receiverUrl, method: 'POST_FORM', events: ['end'] },
      ],
    });
    await dial('1001', '447766889900');
    await until(() => received.length === 3);
    const byGet = received.filter((r) => r.method === 'GET');
    expect(byGet.map((r) => r.params.event)).toEqual(['Call Start', 'Call End']);
    expect(byGet[0]!.params.static).toBe('1');
    const byForm = received.filter((r) => r.method === 'POST');
    expect(byForm).toHaveLength(1);
    expect(byForm[0]).toMatchObject({
      contentType: 'application/x-www-form-urlencoded',
      params: { event: 'Call End', hangup_cause: 'BUSY', bill_duration: '0' },
    });
  });

  it('retries a refused webhook the configured number of times, and keeps a record of each send', async () => {
    answerWith = 503;
    await control('/_sim/playout', 'DELETE');
    await control('/_sim/playout', 'PUT', { default: { outcome: 'no_answer', ringSec: 0 } });
    await control('/_sim/webhooks', 'PUT', { url: receiverUrl, retries: 2, retryDelaySec: 0.05, events: ['end'] });
    const since = sim.webhookDeliveries().at(-1)?.seq ?? 0;
    const { unique_id } = await dial('1000', '447766889900');
    await until(() => received.length === 3);
    await new Promise((r) => setTimeout(r, 150));
    expect(received).toHaveLength(3);
    const records = (await (await control(`/_sim/webhooks/deliveries?since=${since}`, 'GET')).json()) as {
      deliveries: Array<{ attempt: number; status: number; ok: boolean; uniqueId: string }>;
    };
    expect(records.deliveries.map((d) => [d.attempt, d.status, d.ok, d.uniqueId])).toEqual([
      [1, 503, false, unique_id],
      [2, 503, false, unique_id],
      [3, 503, false, unique_id],
    ]);
  });

  it('waits delaySec before each send, and sends nothing once the webhooks are removed', async () => {
    await control('/_sim/playout', 'PUT', { default: { outcome: 'failed', ringSec: 0 } });
    await control('/_sim/webhooks', 'PUT', { url: receiverUrl, delaySec: 0.2, events: ['start'] });
    const before = Date.now();
    await dial('1000', '447766889900');
    await until(() => received.length === 1);
    expect(received[0]!.at - before).toBeGreaterThanOrEqual(180);

    await control('/_sim/webhooks', 'DELETE');
    await dial('1000', '447766889900');
    await new Promise((r) => setTimeout(r, 250));
    expect(received).toHaveLength(1);
  });

  it('refuses an invalid playout or webhook with 400', async () => {
    expect((await control('/_sim/playout', 'PUT', { default: { outcome: 'exploded' } })).status).toBe(400);
    expect((await control('/_sim/playout', 'PUT', { rules: [{ match: {}, outcome: 'busy' }] })).status).toBe(400);
    expect((await control('/_sim/webhooks', 'PUT', { url: 'not a url' })).status).toBe(400);
    expect((await control('/_sim/webhooks', 'PUT', { url: receiverUrl, method: 'PATCH' })).status).toBe(400);
  });
});
