/**
 * `c2c doctor` on the local stack: dynalite, the PBX simulator, and the API through serverless-offline,
 * so the allowlist probe really runs in a handler and really reaches the simulator. Each problem the
 * doctor knows is seeded on a tenant of its own, and found. One stack for the file.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../lib/cli/program';
import type { CheckId, CheckResult } from '../../lib/doctor/checks';
import type { DoctorReport } from '../../lib/doctor/run';
import { newCallbackSecret } from '../../lib/notify/secrets';
import { DEFAULT_PROBE_EXTENSION } from '../../lib/pbx/probe';
import { EnvelopeSealer, LocalKeyProvider } from '../../lib/secrets/seal';
import { AgentRepository } from '../../lib/store/agents';
import { ApiKeyRepository } from '../../lib/store/api-keys';
import { narrowCallIndexKeys } from '../../lib/store/call-index-keys';
import { createDocumentClient, type Table } from '../../lib/store/client';
import {
  agentSk,
  callSk,
  DEFAULT_WORK_SHARDS,
  flaggedCallsPk,
  notifyDeadPk,
  notifyPendingPk,
  pbxOrphanSk,
  tenantPk,
  tenantSk,
} from '../../lib/store/keys';
import { TenantRepository } from '../../lib/store/tenants';
import type { CallbackSettings } from '../../lib/model/tenant';
import { SOURCE_ADAPTERS } from '../../lib/crm/sources';
import { WebhookSourceRepository } from '../../lib/store/webhook-sources';
import { issuePbxEventsToken } from '../../lib/calls/pbx-event-tokens';
import { freePort } from '../../local/ports';
import { startLocalStack, writeStackFile, type LocalStack } from '../../local/stack';
import { startWebhookReceiver, type WebhookReceiver } from '../../local/webhook-receiver';

let stack: LocalStack;
let receiver: WebhookReceiver;
let table: Table;
let tenants: TenantRepository;
let agents: AgentRepository;
let workDir: string;
let stackFile: string;
const secret = newCallbackSecret();
const timings: string[] = [];

beforeAll(async () => {
  receiver = await startWebhookReceiver({ secrets: [secret.secret] });
  stack = await startLocalStack({
    callback: { url: receiver.url, secrets: [secret] },
    notifyPollMs: 0,
    // A short PBX budget keeps the unreachable cases quick.
    env: { PBX_TIMEOUT_MS: '2000' },
  });
  workDir = mkdtempSync(join(tmpdir(), 'c2c-doctor-'));
  stackFile = writeStackFile(stack, join(workDir, 'stack.json'));
  table = { doc: createDocumentClient({ region: 'local', endpoint: stack.dynamoEndpoint }), name: stack.tableName };
  tenants = new TenantRepository(table, new EnvelopeSealer(new LocalKeyProvider(stack.sealKey)));
  agents = new AgentRepository(table);
  console.log(`local stack for the doctor ready in ${stack.startupMs} ms`);
}, 120_000);

afterAll(async () => {
  console.log(`doctor runs: ${timings.join(', ')}`);
  table?.doc.destroy();
  await stack?.stop();
  await receiver?.close();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `c2c doctor <args>` in-process against the local stack (its stack file gives the table, the API URL and the demo key). */
async function doctorRaw(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const started = Date.now();
  const code = await run(['node', 'c2c', 'doctor', ...args], {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
    stackFile,
  });
  timings.push(`${args[1]} ${Date.now() - started} ms`);
  return { code, stdout, stderr };
}

async function doctor(
  tenantId: string,
  extra: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; report: DoctorReport }> {
  const result = await doctorRaw(['--tenant', tenantId, '--json', '--timeout-ms', '2000', ...extra], env);
  expect(result.stderr).toBe('');
  return { code: result.code, report: JSON.parse(result.stdout) as DoctorReport };
}

function check(report: DoctorReport, id: CheckId): CheckResult {
  const found = report.checks.find((c) => c.id === id);
  if (!found) throw new Error(`no check ${id} in ${report.checks.map((c) => c.id).join(', ')}`);
  return found;
}

const problems = (report: DoctorReport) => report.checks.filter((c) => c.status === 'problem').map((c) => c.id);

/**
 * A tenant set up as it should be, on the simulator: two agents on registered extensions, a PBX events
 * token, the CDR search, and (unless told otherwise) the callback to the receiver.
 */
async function healthyTenant(overrides: { baseUrl?: string; callback?: CallbackSettings | null } = {}): Promise<string> {
  const tenantId = `doc-${randomUUID().slice(0, 8)}`;
  const { record } = issuePbxEventsToken();
  const callback = overrides.callback === undefined ? { url: receiver.url, secrets: [secret] } : overrides.callback;
  await tenants.create({
    tenantId,
    name: 'Doctor patient',
    crmId: '100',
    clientId: '200',
    defaultCountry: 'GB',
    pbx: { urlShape: 'click2call', baseUrl: overrides.baseUrl ?? stack.pbxSimulatorUrl, cdrApiUrl: `${stack.pbxSimulatorUrl}/api/cdrs` },
    pbxEvents: { tokens: [record] },
    ...(callback ? { callback } : {}),
  });
  await agents.put(tenantId, 'u-1', { extension: '1000' });
  await agents.put(tenantId, 'u-2', { extension: '1001' });
  return tenantId;
}

describe('c2c doctor on a healthy tenant', () => {
  it('finds nothing wrong on the demo tenant, and its probe rang nothing: one refused request at the PBX, no call, no CDR', async () => {
    const before = stack.simulator.requests().at(-1)?.seq ?? 0;
    const cdrsBefore = stack.simulator.cdrs().length;
    const deliveriesBefore = stack.simulator.webhookDeliveries().length;
    const pingsBefore = receiver.deliveries().length;

    const { code, report } = await doctor(stack.demo.tenantId);

    expect(code).toBe(0);
    expect(problems(report)).toEqual([]);
    expect(report.checks.filter((c) => c.status === 'warn')).toEqual([]);
    expect(check(report, 'allowlist')).toMatchObject({ status: 'ok', details: { verdict: 'allowlisted', egressIp: '127.0.0.1' } });
    expect(check(report, 'allowlist').message).toContain('no phone rang');
    expect(check(report, 'egress-ip').message).toContain('127.0.0.1');
    expect(check(report, 'pbx-connect')).toMatchObject({ status: 'ok', title: 'PBX TCP' });

    // The probe at the PBX: exactly one GET, with the extension that cannot exist, refused, nothing placed.
    const seen = stack.simulator.requests(before);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ legA: DEFAULT_PROBE_EXTENSION, legB: '447700900000', outcome: 'refused', placed: false });
    expect(seen[0]!.query).toHaveProperty('c2c_probe');
    expect(seen[0]!.query).not.toHaveProperty('c2c_call_id');
    expect(stack.simulator.cdrs()).toHaveLength(cdrsBefore);
    expect(stack.simulator.webhookDeliveries()).toHaveLength(deliveriesBefore);
    // No call was recorded for it.
    const calls = await fetch(`${stack.apiUrl}/v1/calls`, { headers: { authorization: `Bearer ${stack.demo.apiKey}` } });
    expect(((await calls.json()) as { calls: unknown[] }).calls).toEqual([]);

    // The callback got one signed ping, which verified at the receiver.
    const pings = receiver.deliveries().slice(pingsBefore);
    expect(pings).toHaveLength(1);
    expect(pings[0]).toMatchObject({ verified: true, status: 204 });
    expect(JSON.parse(pings[0]!.body)).toMatchObject({ type: 'ping', data: { tenantId: stack.demo.tenantId } });
  });

  it('prints a checklist with a mark per check and a summary, and exits 0', async () => {
    const result = await doctorRaw(['--tenant', stack.demo.tenantId]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^c2c doctor: tenant demo, local table c2c-local/);
    expect(result.stdout).toMatch(/✓ PBX allowlist\s+\S/);
    // The demo tenant's three agents (local/seed.ts: u-17, u-18, u-19, the team `sales`).
    expect(result.stdout).toMatch(/✓ Agents\s+3 agents\./);
    expect(result.stdout).toMatch(/All good: \d+ ok/);
    expect(result.stdout).not.toContain('✗');
  });

  it('probes with a key from --api-key-env, or a temporary key it revokes afterwards', async () => {
    const tenantId = await healthyTenant();
    const { key } = await new ApiKeyRepository(table).issue(tenantId, 'ops', ['calls:write']);
    const withEnv = await doctor(tenantId, ['--api-key-env', 'OPS_KEY'], { OPS_KEY: key });
    expect(withEnv.code).toBe(0);
    expect(check(withEnv.report, 'allowlist')).toMatchObject({ status: 'ok', details: { keySource: '--api-key-env OPS_KEY' } });

    const withTemp = await doctor(tenantId, ['--temp-key']);
    expect(withTemp.code).toBe(0);
    expect(check(withTemp.report, 'allowlist').status).toBe('ok');
    const keys = await new ApiKeyRepository(table).list(tenantId);
    const temporary = keys.filter((k) => k.name === 'c2c doctor (temporary)');
    expect(temporary).toHaveLength(1);
    expect(temporary[0]!.revokedAt).toBeDefined();
  });

  it('without a key, says the allowlist was not checked and how to check it (a warning, exit 0)', async () => {
    const tenantId = await healthyTenant();
    const { code, report } = await doctor(tenantId);
    expect(code).toBe(0);
    expect(check(report, 'allowlist')).toMatchObject({ status: 'warn' });
    expect(check(report, 'allowlist').fix).toContain('--temp-key');
  });
});

describe('c2c doctor finds each problem', () => {
  it('a PBX that does not allowlist the stage: a problem naming the egress IP to allowlist', async () => {
    const before = stack.simulator.requests().at(-1)?.seq ?? 0;
    stack.simulator.setAllow([]);
    try {
      const { code, report } = await doctor(stack.demo.tenantId);
      expect(code).toBe(1);
      expect(problems(report)).toEqual(['allowlist']);
      const allowlist = check(report, 'allowlist');
      expect(allowlist.details).toMatchObject({ verdict: 'not_allowlisted', egressIp: '127.0.0.1' });
      expect(allowlist.message).toMatch(/HTTP 404.*does not allowlist/);
      expect(allowlist.fix).toContain('add 127.0.0.1 to the IP ACL');
    } finally {
      stack.simulator.setAllow(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
    }
    expect(stack.simulator.requests(before).map((r) => r.outcome)).toEqual(['not_allowlisted']);
  });

  it('a PBX host that does not resolve', async () => {
    const tenantId = await healthyTenant({ baseUrl: 'https://pbx.doctor-test.invalid' });
    const { code, report } = await doctor(tenantId, ['--temp-key']);
    expect(code).toBe(1);
    expect(problems(report)).toEqual(expect.arrayContaining(['pbx-dns', 'allowlist']));
    expect(check(report, 'pbx-dns').message).toContain('pbx.doctor-test.invalid does not resolve');
    expect(check(report, 'allowlist').details).toMatchObject({ verdict: 'unreachable', answer: { code: 'ENOTFOUND' } });
    expect(report.checks.map((c) => c.id)).not.toContain('pbx-connect');
  });

  it('a PBX port where nothing listens', async () => {
    const port = await freePort();
    const tenantId = await healthyTenant({ baseUrl: `http://127.0.0.1:${port}` });
    const { code, report } = await doctor(tenantId, ['--temp-key']);
    expect(code).toBe(1);
    expect(problems(report)).toEqual(['pbx-connect', 'allowlist']);
    expect(check(report, 'pbx-connect').message).toContain('connection refused');
    expect(check(report, 'allowlist').details).toMatchObject({ verdict: 'unreachable', answer: { code: 'ECONNREFUSED' } });
  });

  it('an agent without an extension, and two agents on one extension', async () => {
    const tenantId = await healthyTenant();
    // An old or imported item the repository would refuse to write today.
    await table.doc.send(
      new PutCommand({
        TableName: table.name,
        Item: { pk: tenantPk(tenantId), sk: agentSk('u-old'), type: 'agent', tenantId, crmUserId: 'u-old', createdAt: 'x', updatedAt: 'x' },
      }),
    );
    // Two agents on one extension: written before the repository refused it (one agent per extension), as an item.
    await table.doc.send(
      new PutCommand({
        TableName: table.name,
        Item: {
          pk: tenantPk(tenantId),
          sk: agentSk('u-3'),
          type: 'agent',
          tenantId,
          crmUserId: 'u-3',
          extension: '1000',
          createdAt: 'x',
          updatedAt: 'x',
        },
      }),
    );
    const { code, report } = await doctor(tenantId);
    expect(code).toBe(1);
    expect(problems(report)).toEqual(['agent-extensions', 'duplicate-extensions']);
    expect(check(report, 'agent-extensions').message).toContain('1 agent without an extension (u-old)');
    expect(check(report, 'duplicate-extensions').message).toContain('Extension 1000 is held by u-1, u-3');
    expect(check(report, 'agents').message).toBe('4 agents.');
  });

  it('no agents at all', async () => {
    const tenantId = `doc-${randomUUID().slice(0, 8)}`;
    await tenants.create({
      tenantId,
      name: 'Empty',
      crmId: '1',
      clientId: '2',
      defaultCountry: 'GB',
      pbx: { urlShape: 'click2call', baseUrl: stack.pbxSimulatorUrl },
    });
    const { report } = await doctor(tenantId);
    expect(check(report, 'agents')).toMatchObject({ status: 'problem' });
    expect(check(report, 'agents').message).toContain('agent_not_found');
  });

  it('a webhook source without any live secret', async () => {
    const tenantId = await healthyTenant();
    const sources = new WebhookSourceRepository(table, new EnvelopeSealer(new LocalKeyProvider(stack.sealKey)), SOURCE_ADAPTERS);
    await sources.addSecret(tenantId, 'standard', { value: 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=', hint: '…XQ=' });
    // A source whose last secret was removed: configured, but no sender can authenticate.
    const added = await sources.addSecret(tenantId, 'hubspot', { value: 'hubspot-secret', hint: '…cret' });
    await sources.removeSecret(tenantId, 'hubspot', added.secretId);
    const { code, report } = await doctor(tenantId);
    expect(code).toBe(1);
    expect(problems(report)).toEqual(['webhook-sources']);
    expect(check(report, 'webhook-sources').message).toMatch(/^hubspot has no live secret.*401.*Fine: standard \(1 secret\)/);
  });

  it('a callback URL where nothing listens', async () => {
    const port = await freePort();
    const tenantId = await healthyTenant({ callback: { url: `http://127.0.0.1:${port}/hooks`, secrets: [secret] } });
    const { code, report } = await doctor(tenantId);
    expect(code).toBe(1);
    expect(problems(report)).toEqual(['callback']);
    expect(check(report, 'callback').message).toMatch(/not reachable.*connection refused/);
  });

  it('a callback that refuses our signature: the CRM holds another secret', async () => {
    const other = newCallbackSecret();
    const tenantId = await healthyTenant({ callback: { url: receiver.url, secrets: [other] } });
    const { code, report } = await doctor(tenantId);
    expect(code).toBe(1);
    expect(check(report, 'callback').message).toContain('HTTP 401 to a correctly signed ping');
    expect(check(report, 'callback').fix).toContain('--show-secrets');
  });

  it('no callback configured: a warning only (exit 0)', async () => {
    const tenantId = await healthyTenant({ callback: null });
    const { code, report } = await doctor(tenantId);
    expect(code).toBe(0);
    expect(check(report, 'callback')).toMatchObject({ status: 'warn' });
    expect(check(report, 'callback').message).toContain('No callback URL');
  });

  it('calls flagged by the reconciler or still unknown past 2 min, failing and dead-lettered notifications, calls waiting for their outcome, orphan PBX events: warnings with counts', async () => {
    const tenantId = await healthyTenant();
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000).toISOString();
    const callItem = (callId: string, extra: Record<string, unknown>) =>
      table.doc.send(
        new PutCommand({
          TableName: table.name,
          Item: {
            pk: tenantPk(tenantId),
            sk: callSk(callId),
            type: 'call',
            tenantId,
            callId,
            createdAt: twoHoursAgo,
            ...narrowCallIndexKeys({ tenantId, callId, createdAt: typeof extra.createdAt === 'string' ? extra.createdAt : twoHoursAgo }),
            ...extra,
          },
        }),
      );
    await callItem('c_flagged', { state: 'unknown', gsi4pk: flaggedCallsPk(tenantId), gsi4sk: `${twoHoursAgo}#c_flagged` });
    await callItem('c_dead', { state: 'completed', gsi5pk: notifyDeadPk(tenantId), gsi5sk: `${twoHoursAgo}#c_dead` });
    await callItem('c_stuck', { state: 'dialing' });
    // Unknown and not flagged: two hours old (reported, the reconciler should have settled or flagged it), and one
    // just placed (not reported: the reconciler has not had its chance yet).
    await callItem('c_unsettled', { state: 'unknown', reason: 'pbx_timeout' });
    const justNow = new Date(Date.now() - 30_000).toISOString();
    await callItem('c_fresh', { state: 'unknown', createdAt: justNow });
    await callItem('c_retrying', {
      state: 'completed',
      gsi5pk: notifyPendingPk(tenantId, 'c_retrying', DEFAULT_WORK_SHARDS),
      gsi5sk: `${new Date(Date.now() + 60_000).toISOString()}#c_retrying`,
      notify: { attempts: 3, since: twoHoursAgo, lastAttemptAt: twoHoursAgo, nextAttemptAt: twoHoursAgo, lastError: 'HTTP 503' },
    });
    // A PBX event that matched no call (kept as an orphan).
    await table.doc.send(
      new PutCommand({ TableName: table.name, Item: { pk: tenantPk(tenantId), sk: pbxOrphanSk(twoHoursAgo, '1'), type: 'pbxOrphan' } }),
    );
    const { code, report } = await doctor(tenantId);
    expect(code).toBe(0);
    expect(check(report, 'flagged-calls')).toMatchObject({ status: 'warn', details: { count: 1, unsettled: 1 } });
    expect(check(report, 'flagged-calls').message).toContain('1 call is still "unknown" 2 min or more after it was placed');
    expect(check(report, 'notifications')).toMatchObject({
      status: 'warn',
      details: { deadLettered: 1, retrying: 1, lastError: 'HTTP 503' },
    });
    expect(check(report, 'outcomes')).toMatchObject({ status: 'warn', details: { stuckCalls: 1, orphanEvents: 1 } });
    expect(problems(report)).toEqual([]);
  });

  it('a PBX that accepts a call to the extension that cannot exist: a loud problem with its unique id', async () => {
    const tenantId = await healthyTenant();
    const extensions = stack.simulator.extensions();
    const webhooks = stack.simulator.webhooks();
    // Keep the simulated call's PBX Stats events away from the demo tenant.
    stack.simulator.setWebhooks([]);
    stack.simulator.setExtensions([...extensions, DEFAULT_PROBE_EXTENSION]);
    try {
      const { code, report } = await doctor(tenantId, ['--temp-key']);
      expect(code).toBe(1);
      const allowlist = check(report, 'allowlist');
      expect(allowlist).toMatchObject({ status: 'problem', details: { verdict: 'accepted' } });
      expect(allowlist.message).toMatch(/cannot exist \(unique_id \d+\.\d+\).*A phone may have rung/);
      expect(allowlist.message).not.toContain('no phone rang');
    } finally {
      stack.simulator.setExtensions(extensions);
      stack.simulator.setWebhooks(webhooks);
    }
  });

  it('a tenant whose callback secret was swapped for one in clear: one problem naming the field, never the value, and no ping signed with it', async () => {
    const tenantId = await healthyTenant();
    const key = { pk: tenantPk(tenantId), sk: tenantSk() };
    const item = (await table.doc.send(new GetCommand({ TableName: table.name, Key: key }))).Item!;
    const planted = 'whsec_UGxhbnRlZEJ5QVRhYmxlV3JpdGVyMDEyMzQ1Njc4OQ==';
    const callback = item.callback as { secrets: Array<{ id: string; secret: string }> };
    await table.doc.send(
      new PutCommand({
        TableName: table.name,
        Item: { ...item, callback: { ...callback, secrets: callback.secrets.map((s) => ({ ...s, secret: planted })) } },
      }),
    );
    const pings = receiver.deliveries().length;
    const { code, report } = await doctor(tenantId);
    expect(code).toBe(1);
    expect(report.checks.map((c) => [c.id, c.status])).toEqual([['tenant', 'problem']]);
    expect(check(report, 'tenant').message).toContain(
      `callback.secrets.${callback.secrets[0]!.id} of tenant ${tenantId} is not a sealed value`,
    );
    expect(JSON.stringify(report)).not.toContain(planted.slice(6));
    expect(receiver.deliveries()).toHaveLength(pings);
  });

  it('a tenant that does not exist: one problem, exit 1', async () => {
    const { code, report } = await doctor('no-such-tenant');
    expect(code).toBe(1);
    expect(report.checks.map((c) => [c.id, c.status])).toEqual([['tenant', 'problem']]);
  });
});
