/**
 * Retention (DynamoDB TTL on `expiresAt`) and a data subject's erasure (`c2c calls erase`), against dynalite:
 * each item's expiry is read back from the table, and an erasure is checked item by item, in the tenant it
 * targets and in the ones it must not touch.
 */
import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issuePbxEventsToken } from '../../lib/calls/pbx-event-tokens';
import { RecordPbxEvent } from '../../lib/calls/pbx-events';
import { callExpiry } from '../../lib/policy/retention';
import { AuditRepository } from '../../lib/store/audit';
import { CallRepository, type StoredCall } from '../../lib/store/calls';
import { toCallResource } from '../../lib/calls/resource';
import type { Table } from '../../lib/store/client';
import { callSk, pbxUniqueIdSk, tenantPk } from '../../lib/store/keys';
import { PbxEventRepository } from '../../lib/store/pbx-events';
import { callPolicySchema } from '../../lib/model/call-policy';
import { TenantRepository } from '../../lib/store/tenants';
import type { Tenant } from '../../lib/model/tenant';
import { storedCall } from '../support/calls';
import { startCliTable, type CliTable } from '../support/cli';
import { testSealer } from '../support/env';
import { anyOf } from '../support/match';

const DAY = 86_400;
const NUMBER = '+447766889900';
const OTHER_NUMBER = '+447700900123';

let cli: CliTable;
let table: Table;
let calls: CallRepository;
let pbxEvents: PbxEventRepository;
let audit: AuditRepository;
let tenants: TenantRepository;

beforeAll(async () => {
  cli = await startCliTable('retention');
  table = cli.table;
  calls = new CallRepository(table);
  pbxEvents = new PbxEventRepository(table);
  audit = new AuditRepository(table);
  tenants = new TenantRepository(table, testSealer());
});

afterAll(async () => {
  await cli?.stop();
});

async function rawItem(tenantId: string, sk: string): Promise<Record<string, unknown> | undefined> {
  const out = await table.doc.send(new GetCommand({ TableName: table.name, Key: { pk: tenantPk(tenantId), sk }, ConsistentRead: true }));
  return out.Item;
}

async function tenantItems(tenantId: string): Promise<Array<Record<string, unknown>>> {
  const out = await table.doc.send(
    new QueryCommand({
      TableName: table.name,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': tenantPk(tenantId) },
      ConsistentRead: true,
    }),
  );
  return out.Items ?? [];
}

const expiresAtOf = async (tenantId: string, callId: string) => (await rawItem(tenantId, callSk(callId)))?.expiresAt;

let seq = 0;
const callId = () => `c_${randomUUID().replace(/-/g, '').slice(0, 26).toUpperCase()}`;
const tenantId = () => `ret-${++seq}-${randomUUID().slice(0, 6)}`;

async function newTenant(id = tenantId(), extra: Partial<Tenant> = {}): Promise<Tenant> {
  return tenants.create({
    tenantId: id,
    name: 'Retention tenant',
    crmId: '1',
    clientId: '2',
    defaultCountry: 'GB',
    pbx: { urlShape: 'click2call', baseUrl: 'https://pbx.example.com' },
    ...extra,
  });
}

describe('retention', () => {
  const created = new Date('2026-03-01T10:00:00.000Z');
  const createdSec = Date.parse('2026-03-01T10:00:00.000Z') / 1000;
  const expiry = callExpiry({ retentionDays: 400, refusedRetentionDays: 30 }, created);

  it("a tenant's policy defaults to 400 days, 30 for calls that never reached the PBX", () => {
    const policy = callPolicySchema.parse({});
    expect([policy.retentionDays, policy.refusedRetentionDays]).toEqual([400, 30]);
    expect(expiry).toEqual({ full: createdSec + 400 * DAY, refused: createdSec + 30 * DAY });
    // A refused call is never kept longer than a dialled one.
    expect(callExpiry({ retentionDays: 10, refusedRetentionDays: 30 }, created)).toEqual({
      full: createdSec + 10 * DAY,
      refused: createdSec + 10 * DAY,
    });
  });

  it('a reserved call expires after the full retention; a call reserved as rejected after the refused one', async () => {
    const tenant = 'ret-reserve';
    const dispatching = storedCall({ callId: callId(), tenantId: tenant, state: 'dispatching', createdAt: created.toISOString(), expiry });
    const rejected = storedCall({
      callId: callId(),
      tenantId: tenant,
      state: 'rejected',
      reason: 'invalid_number',
      createdAt: created.toISOString(),
      expiry,
    });
    await calls.reserve(dispatching);
    await calls.reserve(rejected);
    expect(await expiresAtOf(tenant, dispatching.callId)).toBe(expiry.full);
    expect(await expiresAtOf(tenant, rejected.callId)).toBe(expiry.refused);
    // The ledger's own field stays out of the public call resource.
    const stored = await calls.get(tenant, dispatching.callId);
    expect(stored?.expiry).toEqual(expiry);
    expect(toCallResource(stored!)).not.toHaveProperty('expiry');
  });

  it('not_sent shortens the expiry, a redispatch restores it, and every later state keeps the full one', async () => {
    const tenant = 'ret-moves';
    const call = storedCall({ callId: callId(), tenantId: tenant, state: 'dispatching', createdAt: created.toISOString(), expiry });
    await calls.reserve(call);
    await calls.transition(tenant, call.callId, {
      from: ['dispatching'],
      to: 'not_sent',
      attempt: 1,
      changes: { reason: 'pbx_unreachable' },
    });
    expect(await expiresAtOf(tenant, call.callId)).toBe(expiry.refused);
    expect(await calls.redispatch(tenant, call.callId, call.requestHash, 1)).toBeDefined();
    expect(await expiresAtOf(tenant, call.callId)).toBe(expiry.full);
    await calls.transition(tenant, call.callId, { from: ['dispatching'], to: 'dialing', attempt: 2 });
    expect(await expiresAtOf(tenant, call.callId)).toBe(expiry.full);
    await calls.transition(tenant, call.callId, { from: ['dialing'], to: 'completed' });
    expect(await expiresAtOf(tenant, call.callId)).toBe(expiry.full);

    // The PBX refusing the call after the GET: rejected, the refused retention.
    const refused = storedCall({ callId: callId(), tenantId: tenant, state: 'dispatching', createdAt: created.toISOString(), expiry });
    await calls.reserve(refused);
    await calls.transition(tenant, refused.callId, {
      from: ['dispatching'],
      to: 'rejected',
      attempt: 1,
      changes: { reason: 'pbx_rejected' },
    });
    expect(await expiresAtOf(tenant, refused.callId)).toBe(expiry.refused);
  });

  it('a call written before retention existed still moves, and is still kept (no numeric expiresAt)', async () => {
    const tenant = 'ret-legacy';
    const call = storedCall({ callId: callId(), tenantId: tenant, state: 'dispatching' });
    await calls.reserve(call);
    expect(await calls.transition(tenant, call.callId, { from: ['dispatching'], to: 'not_sent', attempt: 1 })).toMatchObject({
      state: 'not_sent',
    });
    expect(await calls.redispatch(tenant, call.callId, call.requestHash, 1)).toMatchObject({ state: 'dispatching' });
    expect(typeof (await expiresAtOf(tenant, call.callId))).not.toBe('number');
  });

  it("raw PBX events and the unique_id link of a call expire with the call's full retention; orphans after 30 days", async () => {
    const live = issuePbxEventsToken();
    const tenant = await newTenant(tenantId(), { pbxEvents: { tokens: [live.record] } });
    const call = storedCall({ callId: callId(), tenantId: tenant.tenantId, state: 'dialing', createdAt: created.toISOString(), expiry });
    await calls.reserve(call);
    const record = new RecordPbxEvent({
      calls,
      pbxEvents,
      getTenant: () => Promise.resolve(tenant),
      logger: { info: () => undefined, warn: () => undefined },
    });
    const applied = await record.execute({
      tenantId: tenant.tenantId,
      token: live.token,
      read: () => ({
        transport: 'query',
        truncated: false,
        fields: { event: 'answer', unique_id: '1795729243.77', c2c_call_id: call.callId },
      }),
    });
    expect(applied).toMatchObject({ kind: 'applied', state: 'answered' });
    const orphan = await record.execute({
      tenantId: tenant.tenantId,
      token: live.token,
      read: () => ({ transport: 'query', truncated: false, fields: { event: 'answer', unique_id: '1795729243.78' } }),
    });
    expect(orphan).toEqual({ kind: 'orphan' });

    const items = await tenantItems(tenant.tenantId);
    const underCall = items.filter((i) => i.type === 'pbxEvent');
    expect(underCall).toHaveLength(1);
    expect(underCall[0]!.expiresAt).toBe(expiry.full);
    expect((await rawItem(tenant.tenantId, pbxUniqueIdSk('1795729243.77')))?.expiresAt).toBe(expiry.full);
    const orphanItem = items.find((i) => i.type === 'pbxOrphan')!;
    expect(orphanItem.expiresAt).toBe(Math.floor(Date.parse(String(orphanItem.receivedAt)) / 1000) + 30 * DAY);
  });
});

describe('c2c calls erase', () => {
  /** Two tenants: calls to NUMBER and to another number in the first, one call to NUMBER in the second. */
  async function seed() {
    const target = await newTenant();
    const bystander = await newTenant();
    const at = new Date().toISOString();
    const expiry = callExpiry({ retentionDays: 400, refusedRetentionDays: 30 }, new Date());
    const dialled: StoredCall = storedCall({
      callId: callId(),
      tenantId: target.tenantId,
      to: NUMBER,
      legB: NUMBER.slice(1),
      pbx: { uniqueId: '1700000000.1', message: 'OK', host: null },
      expiry,
    });
    const refused: StoredCall = storedCall({
      callId: callId(),
      tenantId: target.tenantId,
      to: NUMBER,
      legB: NUMBER.slice(1),
      state: 'rejected',
      reason: 'outside_calling_hours',
      expiry,
    });
    const otherNumber: StoredCall = storedCall({
      callId: callId(),
      tenantId: target.tenantId,
      to: OTHER_NUMBER,
      legB: OTHER_NUMBER.slice(1),
      expiry,
    });
    const elsewhere: StoredCall = storedCall({ callId: callId(), tenantId: bystander.tenantId, to: NUMBER, legB: NUMBER.slice(1), expiry });
    for (const call of [dialled, refused, otherNumber, elsewhere]) await calls.reserve(call);
    await calls.links.linkPbxUniqueId(target.tenantId, '1700000000.1', dialled.callId, expiry.full);
    await calls.links.linkPbxUniqueId(target.tenantId, '1700000000.2', otherNumber.callId, expiry.full);
    const event = (tenant: string, call: string | undefined, fields: Record<string, string>) =>
      pbxEvents.put({
        tenantId: tenant,
        ...(call ? { callId: call } : {}),
        receivedAt: at,
        transport: 'query',
        eventType: 'answer',
        fields,
        truncated: false,
      });
    await event(target.tenantId, dialled.callId, { event: 'start', unique_id: '1700000000.1', destination: NUMBER.slice(1) });
    await event(target.tenantId, dialled.callId, { event: 'answer', unique_id: '1700000000.1' });
    await event(target.tenantId, otherNumber.callId, { event: 'answer', unique_id: '1700000000.2', destination: OTHER_NUMBER.slice(1) });
    // Orphans: the number as digits, in national format, and another number.
    await event(target.tenantId, undefined, { event: 'start', unique_id: '1700000000.9', dst: NUMBER.slice(1) });
    await event(target.tenantId, undefined, { event: 'start', unique_id: '1700000000.8', callee: '07766 889900' });
    await event(target.tenantId, undefined, { event: 'start', unique_id: '1700000000.7', dst: OTHER_NUMBER.slice(1) });
    await event(bystander.tenantId, elsewhere.callId, { event: 'answer', unique_id: '1700000000.5', destination: NUMBER.slice(1) });
    return { target: target.tenantId, bystander: bystander.tenantId, dialled, refused, otherNumber, elsewhere };
  }

  it("removes exactly that number's calls, raw events, links and orphans, prints the counts, and audits without the number", async () => {
    const s = await seed();
    const before = await tenantItems(s.target);
    const bystanderBefore = await tenantItems(s.bystander);

    const result = await cli.c2c(['calls', 'erase', s.target, '--number', '+44 7766 889900', '--by', 'dpo@acme']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('2 calls');
    expect(result.stdout).toContain('2 raw PBX events');
    expect(result.stdout).toContain('2 orphan PBX events');
    expect(result.stdout).toContain('1 PBX unique_id link.');
    expect(result.stdout).not.toContain('7766889900');

    const after = await tenantItems(s.target);
    const gone = before.filter((b) => !after.some((a) => a.sk === b.sk)).map((i) => i.sk as string);
    // Exactly: 2 calls, 2 events under the dialled call, 1 link, 2 orphans; nothing else.
    expect(gone.sort()).toEqual(
      [
        callSk(s.dialled.callId),
        callSk(s.refused.callId),
        pbxUniqueIdSk('1700000000.1'),
        ...before.filter((i) => i.type === 'pbxEvent' && i.callId === s.dialled.callId).map((i) => i.sk as string),
        ...before
          .filter((i) => i.type === 'pbxOrphan' && (i.fields as Record<string, string>).dst !== OTHER_NUMBER.slice(1))
          .map((i) => i.sk as string),
      ].sort(),
    );
    expect(gone).toHaveLength(7);
    expect(await calls.get(s.target, s.otherNumber.callId)).toBeDefined();
    expect(await pbxEvents.listForCall(s.target, s.otherNumber.callId)).toHaveLength(1);
    // The other tenant's call to the same number is not this erasure's business.
    expect((await tenantItems(s.bystander)).length).toBe(bystanderBefore.length);

    const records = await audit.list(s.target);
    expect(records).toEqual([
      {
        tenantId: s.target,
        action: 'calls.erase',
        by: 'dpo@acme',
        at: anyOf(String),
        counts: { calls: 2, pbxEvents: 2, orphanPbxEvents: 2, pbxLinks: 1 },
      },
    ]);
    const auditItems = after.filter((i) => i.type === 'audit');
    expect(auditItems).toHaveLength(1);
    expect(JSON.stringify(auditItems)).not.toMatch(/7766|889900/);
    expect(auditItems[0]!.expiresAt).toBeUndefined();
  });

  it('running it twice is fine: the second run finds nothing, says so, and is audited too', async () => {
    const s = await seed();
    expect((await cli.c2c(['calls', 'erase', s.target, '--number', NUMBER, '--by', 'ops'])).code).toBe(0);
    const again = await cli.c2c(['calls', 'erase', s.target, '--number', NUMBER, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({
      tenantId: s.target,
      calls: 0,
      pbxEvents: 0,
      orphanPbxEvents: 0,
      pbxLinks: 0,
      by: userInfo().username,
    });
    const records = await audit.list(s.target);
    expect(records.map((r) => [r.by, r.counts.calls])).toEqual([
      [userInfo().username, 0],
      ['ops', 2],
    ]);
  });

  it('a number that is not E.164 is a usage error (exit 2) and erases and audits nothing', async () => {
    const s = await seed();
    const before = await tenantItems(s.target);
    for (const bad of ['07766 889900', '+44 12', 'call me']) {
      const result = await cli.c2c(['calls', 'erase', s.target, '--number', bad]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/--number.*E\.164/s);
    }
    expect((await cli.c2c(['calls', 'erase', s.target])).code).toBe(2);
    expect(await tenantItems(s.target)).toEqual(before);
  });

  it('an unknown tenant is an error (exit 1) that writes nothing', async () => {
    const result = await cli.c2c(['calls', 'erase', 'no-such-tenant', '--number', NUMBER]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no-such-tenant');
    expect(await tenantItems('no-such-tenant')).toEqual([]);
  });
});
