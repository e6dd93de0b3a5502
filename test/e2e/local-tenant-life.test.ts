/**
 * Issue 19, "the local stack behaves like AWS for every tenant", through the real local stack (serverless-offline,
 * dynalite, the simulator): a tenant made with the CLI gets the demo's whole life (its agents' extensions ring, its
 * calls go on to `completed` from PBX Stats events); an `unknown` call is settled or flagged within a minute; HubSpot
 * signs the URL `c2c hook url` prints and a request signed over it verifies; every refused delivery is one line of
 * output and an entry of the source's delivery log; every problem `type` resolves to the served contract.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signHubSpotV3 } from '../../lib/crm/sources/hubspot';
import { PROBLEM_KINDS } from '../../lib/model/domain-error';
import { CallRepository } from '../../lib/store/calls';
import { createDocumentClient, type Table } from '../../lib/store/client';
import { reconcileLine, refusalLine } from '../../local/output';
import { LOCAL_RECONCILE, startLocalStack, writeStackFile, type LocalStack } from '../../local/stack';
import { runCli, type CliResult } from '../support/cli';
import { until } from '../support/until';

const ROOT = path.resolve(__dirname, '../..');
const work = mkdtempSync(path.join(tmpdir(), 'c2c-tenant-life-'));
const stackFile = path.join(work, 'stack.json');
let stack: LocalStack;
let table: Table;
const offlineLines: string[] = [];
const reconcileLines: string[] = [];
const keys: Record<string, string> = {};

const c2c = async (line: string, env: NodeJS.ProcessEnv = {}): Promise<CliResult> => {
  const result = await runCli(line.split(' '), { stackFile, env: { C2C_LOCAL_SEAL_KEY: stack.sealKey, ...env } });
  expect(result.code, `c2c ${line}\n${result.stdout}${result.stderr}`).toBe(0);
  return result;
};
const api = (p: string, key: string, init: RequestInit = {}) =>
  fetch(`${stack.apiUrl}${p}`, {
    ...init,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...init.headers },
  });
interface CallBody {
  callId: string;
  state: string;
  events: Array<{ state: string }>;
}
const callOf = async (res: Response) => (await res.json()) as CallBody;

/** A tenant as an operator makes it with the CLI on the local stack: its PBX is the simulator, one agent, a key. */
async function cliTenant(tenantId: string, extension: string, options: { pbxEvents: boolean }) {
  await c2c(
    `tenant create ${tenantId} --name ${tenantId} --crm-id 7${extension} --client-id 8${extension} --default-country GB ` +
      `--pbx-url ${stack.pbxSimulatorUrl} --url-shape click2call --cdr-url ${stack.pbxSimulatorUrl}/api/cdrs --pbx-timeout-ms 1000`,
  );
  await c2c(`agent put ${tenantId} u-1 --extension ${extension} --email a@${tenantId}.example`);
  // A second agent: the first may still be on a call (one at a time per agent) when the reconciler's test dials.
  await c2c(`agent put ${tenantId} u-2 --extension ${Number(extension) + 1} --email b@${tenantId}.example`);
  if (options.pbxEvents) await c2c(`outcomes pbx-token issue ${tenantId}`);
  const issued = await c2c(`key issue ${tenantId} --name e2e --scopes calls:write,calls:read`);
  keys[tenantId] = /^ {2}(c2c_\S+)$/m.exec(issued.stdout)![1]!;
}

beforeAll(async () => {
  stack = await startLocalStack({
    onOutput: (line) => offlineLines.push(line),
    onReconcileLog: (line) => reconcileLines.push(line),
  });
  writeStackFile(stack, stackFile);
  table = { doc: createDocumentClient({ region: 'local', endpoint: stack.dynamoEndpoint }), name: stack.tableName };
  await cliTenant('acme', '2001', { pbxEvents: true });
  await cliTenant('bolt', '3001', { pbxEvents: false });
}, 180_000);

afterAll(async () => {
  table?.doc.destroy();
  await stack?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('a tenant made with the CLI on the local stack', { timeout: 120_000 }, () => {
  it('rings its agent on an extension the simulator never heard of, and its PBX Stats events move the call to completed', async () => {
    const placed = await api('/v1/calls', keys.acme!, {
      method: 'POST',
      headers: { 'idempotency-key': `life-${Date.now()}` },
      body: JSON.stringify({ agent: { crmUserId: 'u-1' }, to: '+44 7766 889921' }),
    });
    const call = await callOf(placed);
    expect(placed.status, JSON.stringify(call)).toBe(201);
    expect(call.state).toBe('dialing');
    const done = await until(
      'the call completed',
      async () => {
        const read = await callOf(await api(`/v1/calls/${call.callId}`, keys.acme!));
        return read.state === 'completed' ? read : undefined;
      },
      { timeoutMs: 40_000, intervalMs: 500 },
    );
    expect(done.events.map((e) => e.state)).toEqual(expect.arrayContaining(['dialing', 'answered', 'completed']));
    // The simulator sent them to acme's own URL, with the token the stack issued it.
    expect(stack.simulator.webhookDeliveries().filter((d) => d.ok).length).toBeGreaterThanOrEqual(3);
  });

  it('a tenant without a PBX-events token gets no events: its call stays dialing, as with no webhook in PBX Stats', async () => {
    const placed = await callOf(
      await api('/v1/calls', keys.bolt!, {
        method: 'POST',
        headers: { 'idempotency-key': `life-bolt-${Date.now()}` },
        body: JSON.stringify({ agent: { crmUserId: 'u-1' }, to: '+44 7766 889922' }),
      }),
    );
    expect(placed.state).toBe('dialing');
    await new Promise((r) => setTimeout(r, 12_000));
    expect((await callOf(await api(`/v1/calls/${placed.callId}`, keys.bolt!))).state).toBe('dialing');
  });
});

describe('the local reconciler settles or flags an unknown call within a minute', { timeout: 150_000 }, () => {
  it('settles from the CDR a call the PBX placed behind a lost answer, and flags one it never placed; npm start prints both', async () => {
    const calls = new CallRepository(table);
    const unknownCall = async (tenantId: string, placed: boolean, to: string) => {
      stack.simulator.setFault({ mode: 'hang', placed, times: 1 });
      const res = await api('/v1/calls', keys[tenantId]!, {
        method: 'POST',
        headers: { 'idempotency-key': `life-unknown-${tenantId}-${Date.now()}` },
        body: JSON.stringify({ agent: { crmUserId: 'u-2' }, to }),
      });
      const call = await callOf(res);
      expect(res.status, JSON.stringify(call)).toBe(202);
      expect(call.state).toBe('unknown');
      return { call, at: Date.now() };
    };
    // bolt sends no PBX events: only the reconciler can move its call on, from the simulator's CDR.
    const settled = await unknownCall('bolt', true, '+44 7766 889923');
    const flagged = await unknownCall('acme', false, '+44 7766 889924');
    const bound = (LOCAL_RECONCILE.minAgeSec + (LOCAL_RECONCILE.intervalMs * (LOCAL_RECONCILE.maxTries + 1)) / 1000 + 10) * 1000;
    expect(bound).toBeLessThanOrEqual(120_000);
    await until(
      'the placed call settled',
      async () => {
        const stored = await calls.get('bolt', settled.call.callId);
        return stored?.state === 'completed' ? stored : undefined;
      },
      { timeoutMs: bound, intervalMs: 500 },
    );
    await until(
      'the call never placed flagged',
      async () => {
        const stored = await calls.get('acme', flagged.call.callId);
        return stored?.reconcile?.flagged ? stored : undefined;
      },
      { timeoutMs: bound, intervalMs: 500 },
    );
    const printed = reconcileLines.map(reconcileLine).filter(Boolean).join('\n');
    expect(printed).toContain(`[reconcile] ${settled.call.callId} settled from the PBX's CDR: completed`);
    expect(printed).toContain(`[reconcile] ${flagged.call.callId} flagged: no CDR after ${LOCAL_RECONCILE.maxTries} searches`);
  });
});

describe('HubSpot on the local stack, and why a delivery was refused', { timeout: 60_000 }, () => {
  it('verifies a request signed over the URL c2c hook url prints; logs each refusal as a line and in the delivery log', async () => {
    const secret = 'hubspot-app-secret-for-the-local-stack';
    await c2c('hook set-secret acme hubspot --secret-env HS_SECRET', { HS_SECRET: secret });
    const url = (await c2c('hook url acme hubspot')).stdout.trim();
    expect(url).toBe(`${stack.apiUrl}/v1/hooks/hubspot/acme`);
    const body = (phone: string) => JSON.stringify({ objectId: 501, properties: { hubspot_owner_id: 'u-1', phone } });
    const post = (target: string, text: string, options: { ts?: number; sign?: string } = {}) => {
      const ts = options.ts ?? Date.now();
      return fetch(target, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-hubspot-request-timestamp': String(ts),
          'x-hubspot-signature-v3': signHubSpotV3(options.sign ?? secret, 'POST', target, text, ts),
        },
        body: text,
      });
    };

    const accepted = await post(url, body('+44 7766 889931'));
    const call = await callOf(accepted);
    expect(accepted.status, JSON.stringify(call)).toBe(201);
    expect((await post(url, body('+44 7766 889932'), { sign: 'not-the-secret' })).status).toBe(401);
    expect((await post(url, body('+44 7766 889933'), { ts: Date.now() - 3_600_000 })).status).toBe(401);
    expect((await post(url, '{"objectId": 501, "properties":')).status).toBe(400);
    expect((await post(`${stack.apiUrl}/v1/hooks/nosuchcrm/acme`, body('+44 7766 889934'))).status).toBe(404);

    const lines = () => offlineLines.map(refusalLine).filter((l): l is string => l !== undefined);
    await until('four refusal lines', () => Promise.resolve(lines().length >= 4 ? true : undefined), {
      timeoutMs: 10_000,
      intervalMs: 500,
    });
    expect(lines()).toEqual(
      expect.arrayContaining([
        '[hooks] refused hubspot/acme  HTTP 401 signature_mismatch',
        '[hooks] refused hubspot/acme  HTTP 401 timestamp_out_of_window',
        '[hooks] malformed hubspot/acme  HTTP 400 invalid_request',
        '[hooks] refused nosuchcrm/acme  HTTP 404 unknown_source',
      ]),
    );

    const log = await api('/v1/hooks/deliveries?source=hubspot', keys.acme!);
    expect(log.status).toBe(200);
    const text = await log.text();
    const { deliveries } = JSON.parse(text) as { deliveries: Array<Record<string, unknown>> };
    expect(deliveries.map((d) => [d.verdict, d.reason])).toEqual([
      ['malformed', 'invalid_request'],
      ['refused', 'timestamp_out_of_window'],
      ['refused', 'signature_mismatch'],
      ['accepted', null],
    ]);
    expect(deliveries[3]).toMatchObject({ callId: call.callId, state: 'dialing', status: 201 });
    for (const forbidden of ['7766889931', '7766889932', secret, 'not-the-secret']) expect(text).not.toContain(forbidden);
    expect((await api('/v1/hooks/deliveries?source=salesforce', keys.acme!)).status).toBe(400);

    const printed = (await c2c('hook log acme hubspot')).stdout;
    expect(printed).toMatch(/^AT +VERDICT +STATUS +REASON +CALL$/m);
    expect(printed).toMatch(new RegExp(`accepted +201 +- +${call.callId} \\(dialing\\)`));
    expect(printed).toMatch(/refused +401 +signature_mismatch/);
  });
});

describe('problem types resolve on the local stage', () => {
  it('serves the contract as HTML at the type of every code an answer can carry, with the element of each fragment', async () => {
    const doc = readFileSync(path.join(ROOT, 'docs/api.md'), 'utf8');
    const codes = [...doc.matchAll(/<a id="problem-([a-z0-9_]+)"><\/a>/g)].map((m) => m[1]!);
    expect(codes).toEqual(expect.arrayContaining([...Object.keys(PROBLEM_KINDS), 'invalid_request', 'unauthorized', 'internal_error']));
    const refused = await api('/v1/calls', 'c2c_acme_notarealkeynotarealkeynotarealkey', { method: 'POST', body: '{}' });
    const { type } = (await refused.json()) as { type: string };
    for (const code of new Set([...codes, new URL(type, stack.apiUrl).hash.slice('#problem-'.length)])) {
      const target = new URL(`/docs/api.md#problem-${code}`, `${stack.apiUrl}/v1/calls`);
      const res = await fetch(target);
      expect(res.status, code).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
      expect(await res.text(), code).toContain(`<a id="${target.hash.slice(1)}"></a>`);
    }
  });
});
