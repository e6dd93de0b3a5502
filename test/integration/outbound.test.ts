/**
 * The outbound-address rule (lib/net/outbound.ts) as a deployed stage applies it: this file runs the handlers
 * with ALLOW_PRIVATE_OUTBOUND=false, so the PBX simulator and the receiver, both on loopback, stand for
 * addresses inside the service's own network. At set time the CLI refuses such URLs; at send time, a URL
 * stored straight in the table (bypassing the CLI) whose name resolves to 127.0.0.1 is refused after DNS:
 * nothing reaches the loopback servers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReconcileCalls } from '../../lib/calls/reconcile';
import { STRICT_OUTBOUND } from '../../lib/net/outbound';
import { NotificationDeliverer } from '../../lib/notify/deliver';
import { pingCallback } from '../../lib/notify/ping';
import { newCallbackSecret } from '../../lib/notify/secrets';
import { CallRepository } from '../../lib/store/calls';
import { DeadLetterRepository } from '../../lib/store/dead-letters';
import { startWebhookReceiver, type WebhookReceiver } from '../../local/webhook-receiver';
import { storedCall } from '../support/calls';
import { startCliTable, type CliTable } from '../support/cli';
import { present } from '../support/api-body';
import { bearer, invoke, seedTenant, startTestEnv, useEnvForHandlers, type TestEnv } from '../support/env';
import { containing } from '../support/match';

let env: TestEnv;
let cli: CliTable;
let receiver: WebhookReceiver;
let calls: CallRepository;
let create: typeof import('../../functions/calls-create').handler;
let probe: typeof import('../../functions/pbx-probe').handler;
const secret = newCallbackSecret();
/** The same loopback servers, named by a host that resolves to 127.0.0.1. */
const viaLocalhost = (url: string) => url.replace('127.0.0.1', 'localhost');

beforeAll(async () => {
  env = await startTestEnv();
  useEnvForHandlers(env, { ALLOW_PRIVATE_OUTBOUND: 'false' });
  ({ handler: create } = await import('../../functions/calls-create'));
  ({ handler: probe } = await import('../../functions/pbx-probe'));
  calls = new CallRepository(env.table);
  receiver = await startWebhookReceiver({ secrets: [secret.secret] });
  cli = await startCliTable('outbound');
});

afterAll(async () => {
  await env?.stop();
  await receiver?.close();
  await cli?.stop();
});

describe('set time: the CLI refuses URLs that lead inside the network, outside the local stage', () => {
  const createTenant = (tenantId: string, pbxUrl: string, extra: string[] = [], cliEnv: NodeJS.ProcessEnv = {}) =>
    cli.c2c(
      [
        'tenant',
        'create',
        tenantId,
        '--name',
        'Outbound',
        '--crm-id',
        '1',
        '--client-id',
        '2',
        '--default-country',
        'GB',
        '--pbx-url',
        pbxUrl,
        '--url-shape',
        'click2call',
        ...extra,
      ],
      { env: cliEnv },
    );

  it.each([
    ['https://127.0.0.1/hook', 'loopback'],
    ['https://169.254.169.254/latest/meta-data/', 'cloud-metadata'],
    ['https://[::ffff:127.0.0.1]/hook', 'loopback'],
    ['https://localhost:8443/hook', 'localhost resolves to 127.0.0.1'],
    ['http://localhost:3000/hook', 'localhost resolves to 127.0.0.1'],
    ['https://10.1.2.3/hook', 'private'],
  ])('refuses callback URL %s (exit 2, nothing written)', async (url, why) => {
    const tenantId = `out-cb-${Math.random().toString(36).slice(2, 8)}`;
    expect((await createTenant(tenantId, 'https://pbx.outbound-test.invalid')).code).toBe(0);
    const res = await cli.c2c(['outcomes', 'callback', 'set', tenantId, '--url', url]);
    expect(res.code, res.stdout).toBe(2);
    expect(res.stderr).toContain('--url');
    expect(res.stderr).toContain(why);
    expect(res.stderr).toContain('refused outside the local stage');
    const shown = await cli.c2c(['outcomes', 'callback', 'show', tenantId]);
    expect(shown.stderr).toMatch(/has no callback URL/);
  });

  it('refuses a PBX URL or a CDR URL that leads inside the network, and creates no tenant', async () => {
    const pbx = await createTenant('out-pbx', 'http://10.0.0.7');
    expect(pbx.code).toBe(2);
    expect(pbx.stderr).toMatch(/--pbx-url: 10\.0\.0\.7 is a private/);
    const cdr = await createTenant('out-cdr', 'https://pbx.outbound-test.invalid', ['--cdr-url', 'http://[fd00:ec2::254]/api/cdrs']);
    expect(cdr.code).toBe(2);
    expect(cdr.stderr).toMatch(/--cdr-url: fd00:ec2::254 is a cloud-metadata/);
    for (const tenantId of ['out-pbx', 'out-cdr']) expect((await cli.c2c(['tenant', 'show', tenantId])).code).toBe(1);
  });

  it('accepts loopback where the stage says it is local (ALLOW_PRIVATE_OUTBOUND=true), as the local stack does', async () => {
    const res = await createTenant('out-local', 'http://127.0.0.1:4010', [], { ALLOW_PRIVATE_OUTBOUND: 'true' });
    expect(res.code, res.stderr).toBe(0);
  });
});

describe('send time: a stored URL whose name resolves to loopback is refused after DNS', () => {
  let key: string;
  const tenantId = 'out-send';

  beforeAll(async () => {
    // Straight into the table, as a bypass of the CLI (or a DNS record changed after the URL was set) would leave it.
    ({ key } = await seedTenant(env, {
      tenantId,
      pbx: { urlShape: 'click2call', baseUrl: viaLocalhost(env.sim.url), cdrApiUrl: `${viaLocalhost(env.sim.url)}/api/cdrs` },
      callback: { url: viaLocalhost(receiver.url), secrets: [secret] },
    }));
  });

  it('does not dial: the call is not_sent (nothing left us), the answer says why, the PBX saw nothing', async () => {
    const before = env.sim.requests().length;
    const res = await invoke(create, {
      method: 'POST',
      route: '/v1/calls',
      headers: { ...bearer(key), 'idempotency-key': 'out-send-1' },
      body: { agent: { crmUserId: 'u-17' }, to: '+44 7766 889900' },
    });
    expect(res.status).toBe(503);
    expect(res.body.detail).toContain('forbidden_address');
    expect(res.body.call).toMatchObject({ state: 'not_sent' });
    const stored = await calls.get(tenantId, present(res.body.call?.callId, 'call.callId'));
    expect(stored?.events.at(-1)).toMatchObject({ state: 'not_sent', detail: 'forbidden_address' });
    expect(env.sim.requests().length).toBe(before);
  });

  it('fails the notification with a clear lastError, and the receiver gets nothing', async () => {
    const callId = 'c_OUTBOUNDNOTIFY00000000000001';
    await calls.reserve(storedCall({ callId, tenantId, state: 'completed' }));
    const deliverer = new NotificationDeliverer({
      calls,
      getTenant: (id) => env.tenants.get(id),
      sink: new DeadLetterRepository(env.table),
      settings: {
        timeoutMs: 2000,
        baseDelayMs: 5000,
        maxDelayMs: 60_000,
        maxAgeMs: 3_600_000,
        maxAttempts: 0,
        concurrency: 1,
        batchSize: 10,
      },
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
      outbound: STRICT_OUTBOUND,
    });
    expect(await deliverer.deliverCall(tenantId, callId)).toBe('retrying');
    const failed = await calls.get(tenantId, callId);
    expect(failed?.notify?.lastError).toMatch(/^refused: localhost resolves to 127\.0\.0\.1, which is a loopback/);
    expect(receiver.deliveries()).toEqual([]);
  });

  it("refuses the doctor's signed ping", async () => {
    const ping = await pingCallback(
      { url: viaLocalhost(receiver.url), secrets: [secret] },
      { tenantId, timeoutMs: 2000, outbound: STRICT_OUTBOUND },
    );
    expect(ping).toMatchObject({ ok: false, error: containing('refused: localhost resolves to 127.0.0.1') });
    expect(receiver.deliveries()).toEqual([]);
  });

  it('makes the CDR search a retryLater with a warning, and sends no search', async () => {
    const callId = 'c_OUTBOUNDRECONCILE0000000001';
    const old = new Date(Date.now() - 3_600_000).toISOString();
    await calls.reserve(storedCall({ callId, tenantId, state: 'unknown', reason: 'pbx_timeout', createdAt: old }));
    const warnings: Array<[string, unknown]> = [];
    const reconciler = new ReconcileCalls({
      calls,
      tenants: env.tenants,
      logger: { info: () => undefined, warn: (message: unknown, ...extra: unknown[]) => void warnings.push([message as string, extra[0]]) },
      maxTries: 3,
      minAgeSec: 0,
      cdrTimeoutMs: 2000,
      outbound: STRICT_OUTBOUND,
    });
    const cdrSearchesBefore = env.sim.requests().filter((r) => r.path.startsWith('/api/cdrs')).length;
    const report = await reconciler.run();
    expect(report.retryLater).toBeGreaterThanOrEqual(1);
    expect(await calls.get(tenantId, callId)).toMatchObject({ state: 'unknown', reconcile: { tries: 1, flagged: false } });
    expect(warnings).toContainEqual([expect.stringContaining('forbidden address'), expect.objectContaining({ callId })]);
    expect(env.sim.requests().filter((r) => r.path.startsWith('/api/cdrs')).length).toBe(cdrSearchesBefore);
  });

  it('makes the allowlist probe unreachable, naming the refused address, with nothing sent', async () => {
    const before = env.sim.requests().length;
    const res = await invoke(probe, { method: 'POST', route: '/v1/diagnostics/pbx-probe', headers: bearer(key) });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ verdict: 'unreachable', answer: { kind: 'not_sent', code: 'forbidden_address' } });
    expect(res.body.answer?.detail).toContain('localhost resolves to 127.0.0.1');
    expect(env.sim.requests().length).toBe(before);
  });
});
