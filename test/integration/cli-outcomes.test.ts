/** `c2c outcomes ...`, run in-process against a real dynalite table; effects checked in the table. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPbxEventsToken } from '../../lib/calls/pbx-event-tokens';
import { CallRepository } from '../../lib/store/calls';
import type { Table } from '../../lib/store/client';
import { PbxEventRepository } from '../../lib/store/pbx-events';
import { TenantRepository } from '../../lib/store/tenants';
import { storedCall } from '../support/calls';
import { startCliTable, type CliTable } from '../support/cli';
import { testSealer } from '../support/env';

let cli: CliTable;
let table: Table;
let tenants: TenantRepository;
let calls: CallRepository;

beforeAll(async () => {
  cli = await startCliTable('cli-outcomes');
  table = cli.table;
  tenants = new TenantRepository(table, testSealer());
  calls = new CallRepository(table);
  await tenants.create({
    tenantId: 'cli-out',
    name: 'CLI Outcomes',
    crmId: '1',
    clientId: '2',
    defaultCountry: 'GB',
    pbx: { urlShape: 'click2call', baseUrl: 'https://pbx.example.com' },
  });
});

afterAll(async () => {
  await cli?.stop();
});

const c2c = (args: string[], env: NodeJS.ProcessEnv = {}) => cli.c2c(args, { env });

describe('c2c outcomes', () => {
  it('sets a callback URL with a new secret, rotates and retires secrets, and never shows one unasked', async () => {
    const set = await c2c(['outcomes', 'callback', 'set', 'cli-out', '--url', 'https://crm.example.com/hooks/c2c', '--json']);
    expect(set.code, set.stderr).toBe(0);
    const first = (JSON.parse(set.stdout) as { newSecret: { id: string; secret: string } }).newSecret;
    expect(first.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect((await tenants.get('cli-out'))?.callback).toMatchObject({ url: 'https://crm.example.com/hooks/c2c', secrets: [first] });

    // Changing the URL keeps the secret.
    const again = await c2c(['outcomes', 'callback', 'set', 'cli-out', '--url', 'https://crm.example.com/v2', '--json']);
    expect(JSON.parse(again.stdout)).toEqual({ url: 'https://crm.example.com/v2' });

    const rotated = (
      JSON.parse((await c2c(['outcomes', 'callback', 'rotate-secret', 'cli-out', '--json'])).stdout) as { newSecret: { id: string } }
    ).newSecret;
    expect((await tenants.get('cli-out'))?.callback?.secrets.map((s) => s.id)).toEqual([first.id, rotated.id]);

    const shown = await c2c(['outcomes', 'callback', 'show', 'cli-out']);
    expect(shown.stdout).not.toContain('whsec_');
    expect((await c2c(['tenant', 'show', 'cli-out', '--json'])).stdout).not.toContain('whsec_');

    expect((await c2c(['outcomes', 'callback', 'retire-secret', 'cli-out', first.id])).code).toBe(0);
    const last = await c2c(['outcomes', 'callback', 'retire-secret', 'cli-out', rotated.id]);
    expect(last.code).toBe(1);
    expect(last.stderr).toMatch(/only secret/);
  });

  it('refuses a plain-http callback off this machine', async () => {
    const res = await c2c(['outcomes', 'callback', 'set', 'cli-out', '--url', 'http://crm.example.com/x']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/https/);
  });

  it('issues a PBX events token, prints the URL once, and revokes it', async () => {
    const issued = await c2c(['outcomes', 'pbx-token', 'issue', 'cli-out', '--time-zone', 'Europe/London', '--json'], {
      C2C_API_URL: 'https://api.example.com/',
    });
    expect(issued.code, issued.stderr).toBe(0);
    const { tokenId, url } = JSON.parse(issued.stdout) as { tokenId: string; url: string };
    expect(url).toMatch(/^https:\/\/api\.example\.com\/v1\/pbx-events\/cli-out\/[A-Za-z0-9_-]{32}$/);
    const token = url.split('/').at(-1)!;
    let tenant = (await tenants.get('cli-out'))!;
    expect(tenant.pbxEvents?.timeZone).toBe('Europe/London');
    expect(JSON.stringify(tenant)).not.toContain(token);
    expect(verifyPbxEventsToken(tenant, token)).toBe(true);

    expect((await c2c(['outcomes', 'pbx-token', 'list', 'cli-out'])).stdout).toContain(tokenId);
    expect((await c2c(['outcomes', 'pbx-token', 'revoke', 'cli-out', tokenId])).code).toBe(0);
    tenant = (await tenants.get('cli-out'))!;
    expect(verifyPbxEventsToken(tenant, token)).toBe(false);
    expect((await c2c(['outcomes', 'pbx-token', 'issue', 'cli-out'])).code).toBe(2);
  });

  it('lists dead-lettered calls and redrives them', async () => {
    const at = new Date().toISOString();
    const call = storedCall({
      callId: 'c_DEADDEADDEADDEADDEADDEADDE',
      tenantId: 'cli-out',
      state: 'completed',
      agent: { crmUserId: 'u-1' },
      crmUserId: 'u-1',
      createdAt: at,
    });
    await calls.reserve(call);
    await calls.markNotifyDead('cli-out', call.callId, 0, {
      attempts: 9,
      since: at,
      lastAttemptAt: at,
      nextAttemptAt: at,
      lastError: 'HTTP 503',
      deadLetteredAt: at,
    });

    const listed: unknown = JSON.parse((await c2c(['outcomes', 'dead-letters', 'list', '--tenant', 'cli-out', '--json'])).stdout);
    expect(listed).toEqual([
      expect.objectContaining({ callId: call.callId, attempts: 9, lastError: 'HTTP 503', fromEvent: 0, eventCount: 1 }),
    ]);
    expect(listed).toEqual([expect.objectContaining({ transport: 'webhook' })]);
    // Limited to another transport: nothing listed, nothing redriven, the webhook's slot stays given up.
    expect(
      JSON.parse((await c2c(['outcomes', 'dead-letters', 'list', '--tenant', 'cli-out', '--transport', 'hubspot', '--json'])).stdout),
    ).toEqual([]);
    expect((await c2c(['outcomes', 'dead-letters', 'redrive', '--tenant', 'cli-out', '--transport', 'hubspot'])).stdout).toMatch(
      /Redrove 0 calls/,
    );
    expect((await calls.get('cli-out', call.callId))?.notify?.deadLetteredAt).toBe(at);
    expect((await c2c(['outcomes', 'dead-letters', 'list', '--transport', 'Hub Spot'])).code).toBe(2);
    expect((await c2c(['outcomes', 'dead-letters', 'redrive'])).code).toBe(2);
    const redrive = await c2c(['outcomes', 'dead-letters', 'redrive', '--tenant', 'cli-out']);
    expect(redrive.stdout).toMatch(/Redrove 1 call/);
    expect(await calls.listNotifyDue(new Date(Date.now() + 1000).toISOString(), 10)).toContainEqual({
      tenantId: 'cli-out',
      callId: call.callId,
    });
    expect((await calls.get('cli-out', call.callId))?.notify).toBeUndefined();
  });

  it('lists orphan PBX events', async () => {
    await new PbxEventRepository(table).put({
      tenantId: 'cli-out',
      receivedAt: new Date().toISOString(),
      transport: 'query',
      eventType: 'Call End',
      fields: { uniqueid: '9.9', event: 'Call End' },
      truncated: false,
    });
    const res = await c2c(['outcomes', 'orphans', 'cli-out']);
    expect(res.stdout).toContain('9.9');
  });
});
