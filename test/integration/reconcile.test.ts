import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReconcileCalls } from '../../lib/calls/reconcile';
import { CallRepository } from '../../lib/store/calls';
import { storedCall } from '../support/calls';
import { bearer, invoke, seedTenant, startTestEnv, useEnvForHandlers, type TestEnv } from '../support/env';

let env: TestEnv;
let create: typeof import('../../functions/calls-create').handler;
let key: string;
let calls: CallRepository;
const logs: string[] = [];
const logger = { info: (m: string) => logs.push(m), warn: (m: string) => logs.push(m) };

beforeAll(async () => {
  env = await startTestEnv();
  useEnvForHandlers(env);
  ({ handler: create } = await import('../../functions/calls-create'));
  ({ key } = await seedTenant(env, {
    tenantId: 'recon',
    pbx: { urlShape: 'click2call', baseUrl: env.sim.url, timeoutMs: 300, cdrApiUrl: `${env.sim.url}/api/cdrs` },
  }));
  calls = new CallRepository(env.table);
});

afterAll(async () => {
  await env?.stop();
});

async function unknownCall(idempotencyKey: string, placed: boolean) {
  env.sim.setFault({ mode: 'hang', placed, times: 1 });
  const res = await invoke(create, {
    method: 'POST',
    route: '/v1/calls',
    headers: { ...bearer(key), 'idempotency-key': idempotencyKey },
    body: { agent: { crmUserId: 'u-17' }, to: '+44 7766 889900' },
  });
  expect(res.status).toBe(202);
  expect(res.body.state).toBe('unknown');
  return res.body.callId as string;
}

describe('the reconciler', () => {
  it('settles an unknown call from the CDR search, leaves an unmatched one unknown and flagged, and never dials', async () => {
    const placedId = await unknownCall('recon-placed', true);
    const lostId = await unknownCall('recon-lost', false);
    const getsBefore = env.sim.requests().length;
    const reconciler = new ReconcileCalls({ calls, tenants: env.tenants, logger, maxTries: 2, minAgeSec: 0, cdrTimeoutMs: 2000 });

    const first = await reconciler.run();
    expect(first).toMatchObject({ settled: 1, retryLater: 1, flagged: 0 });
    const settled = await calls.get('recon', placedId);
    const cdr = env.sim.cdrs().find((c) => c.custom_fields.c2c_call_id === placedId)!;
    expect(settled?.state).toBe('completed');
    expect(settled?.pbx?.uniqueId).toBe(cdr.uniqueid);
    expect(settled?.outcome).toMatchObject({ durationSec: cdr.duration, billSec: cdr.bill_duration, hangupCause: cdr.hangup_cause });
    expect(await calls.links.findByPbxUniqueId('recon', cdr.uniqueid)).toMatchObject({ callId: placedId });

    const second = await reconciler.run();
    expect(second).toMatchObject({ settled: 0, flagged: 1 });
    const lost = await calls.get('recon', lostId);
    expect(lost).toMatchObject({ state: 'unknown', reason: 'pbx_timeout', reconcile: { tries: 2, flagged: true } });
    expect((await calls.queries.listFlagged(10)).map((c) => c.callId)).toContain(lostId);
    // Flagged calls leave the work list: a third run has nothing to do.
    expect((await reconciler.run()).examined).toBe(0);

    expect(env.sim.requests().length).toBe(getsBefore);
  });

  it('leaves a call in dispatching alone while it is young: its GET may still be on the way', async () => {
    const reconciler = new ReconcileCalls({ calls, tenants: env.tenants, logger, maxTries: 1, minAgeSec: 3600, cdrTimeoutMs: 2000 });
    await unknownCall('recon-young', true);
    expect((await reconciler.run()).examined).toBe(0);
  });

  it('never settles a call from a CDR that fits by time, agent and number but does not carry its call id', async () => {
    const placedAt = new Date(Date.now() - 600_000);
    const callId = 'c_RECONEXACTMATCH000000000001';
    // A PBX whose custom CDR fields are not configured ignores the c2c_call_id filter and answers other calls of that minute.
    const lookalike = {
      uniqueid: '1795000000.4242',
      call_start: placedAt.toISOString(),
      call_end: new Date(placedAt.getTime() + 60_000).toISOString(),
      duration: 60,
      bill_duration: 52,
      destination: '447766889900',
      extension: '1000',
      hangup_cause: 'ANSWERED',
      recording_link: 'https://recordings.example/someone-else.mp3',
      custom_fields: { leadid: '1234' },
    };
    const someoneElses = { ...lookalike, uniqueid: '1795000000.4243', custom_fields: { c2c_call_id: 'c_SOMEONEELSE00000000000000001' } };
    const forms: string[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        forms.push(body);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: [lookalike, someoneElses], total: 2 }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      await seedTenant(env, {
        tenantId: 'recon-exact',
        pbx: { urlShape: 'click2call', baseUrl: env.sim.url, cdrApiUrl: `http://127.0.0.1:${port}/api/cdrs` },
      });
      await calls.reserve(
        storedCall({
          callId,
          tenantId: 'recon-exact',
          state: 'unknown',
          reason: 'pbx_timeout',
          createdAt: placedAt.toISOString(),
          updatedAt: placedAt.toISOString(),
        }),
      );
      const reconciler = new ReconcileCalls({
        calls,
        tenants: env.tenants,
        logger,
        maxTries: 5,
        minAgeSec: 0,
        cdrTimeoutMs: 2000,
        outbound: { allowPrivate: true },
      });
      await reconciler.run();
      expect(forms).toContain(`c2c_call_id=${callId}`);
      expect(await calls.get('recon-exact', callId)).toMatchObject({
        state: 'unknown',
        pbx: null,
        reconcile: { tries: 1, flagged: false },
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
