/**
 * The doctor's line per CRM connection (issue 20): runDoctor on a real dynalite table, the connections set through
 * the tenant repository (secrets sealed), each asked through its transport's `check` (stub transports here: the CRM
 * transports test their own checks against their fakes). A held connection is a problem with its reason, unasked.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../lib/doctor/checks';
import { runDoctor } from '../../lib/doctor/run';
import type { Tenant } from '../../lib/model/tenant';
import type { ConnectionCheck, NotificationTransport } from '../../lib/notify/transport';
import { TenantRepository } from '../../lib/store/tenants';
import { startCliTable, type CliTable } from '../support/cli';
import { testSealer } from '../support/env';

let cli: CliTable;
let tenants: TenantRepository;

beforeAll(async () => {
  cli = await startCliTable('doctor-crm');
  tenants = new TenantRepository(cli.table, testSealer());
});

afterAll(async () => {
  await cli?.stop();
});

/** A transport of `name` whose check answers `answer` and records the targets it was asked about. */
function stubTransport(name: string, answer: ConnectionCheck | Error | undefined) {
  const asked: unknown[] = [];
  const transport: NotificationTransport<{ token: string }> = {
    name,
    targetOf: (tenant: Tenant) => {
      const connection = tenant.crm?.[name as 'hubspot'];
      return connection ? { token: connection.token } : undefined;
    },
    wants: () => false,
    deliver: () => Promise.resolve({ kind: 'delivered' }),
    hostOf: () => null,
    ...(answer === undefined
      ? {}
      : {
          check: (target: { token: string }) => {
            asked.push(target);
            return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
          },
        }),
  };
  return { transport: transport as NotificationTransport, asked };
}

async function tenantWith(connect: (tenantId: string) => Promise<unknown>): Promise<string> {
  const tenantId = `doc-crm-${randomUUID().slice(0, 8)}`;
  await tenants.create({
    tenantId,
    name: 'Doctor CRM',
    crmId: '1',
    clientId: '2',
    defaultCountry: 'GB',
    pbx: { urlShape: 'click2call', baseUrl: 'https://pbx.invalid' },
  });
  await connect(tenantId);
  return tenantId;
}

const crmChecks = (checks: CheckResult[]) => checks.filter((c) => c.id.startsWith('crm-'));

const doctor = (tenantId: string, transports: NotificationTransport[]) =>
  runDoctor({ tenantId, table: cli.table, where: 'test table', timeoutMs: 300, sealer: testSealer(), transports });

describe('c2c doctor: CRM connections', () => {
  it("asks each connection through its transport's check, with the opened secret, and reports the CRM's own words", async () => {
    const tenantId = await tenantWith(async (id) => {
      await tenants.setCrmConnection(id, 'hubspot', { apiUrl: 'https://api.hubapi.com', token: 'hs-token' });
      await tenants.setCrmConnection(id, 'pipedrive', { apiUrl: 'https://acme.pipedrive.com', token: 'pd-token' });
    });
    const hubspot = stubTransport('hubspot', { ok: true, detail: 'Token valid; scopes crm.objects.calls.write granted.' });
    const pipedrive = stubTransport('pipedrive', { ok: false, detail: 'Pipedrive: "You do not have permission to add call logs"' });
    const report = await doctor(tenantId, [hubspot.transport, pipedrive.transport]);
    expect(crmChecks(report.checks)).toEqual([
      { id: 'crm-hubspot', title: 'HubSpot logging', status: 'ok', message: 'Token valid; scopes crm.objects.calls.write granted.' },
      expect.objectContaining({
        id: 'crm-pipedrive',
        status: 'problem',
        message: 'Pipedrive: "You do not have permission to add call logs"',
        fix: expect.stringContaining(`c2c crm connect ${tenantId} pipedrive`) as unknown,
      }),
    ]);
    expect(hubspot.asked).toEqual([{ token: 'hs-token' }]);
    expect(pipedrive.asked).toEqual([{ token: 'pd-token' }]);
    expect(report.exitCode).toBe(1);
  });

  it('reports a held connection as a problem with its reason, without asking the CRM again', async () => {
    const tenantId = await tenantWith(async (id) => {
      await tenants.setCrmConnection(id, 'hubspot', { apiUrl: 'https://api.hubapi.com', token: 'hs-token' });
      const connectedAt = (await tenants.get(id))!.crm!.hubspot!.connectedAt;
      await tenants.holdCrmConnection(id, 'hubspot', 'HubSpot 401: the access token expired', new Date(), connectedAt);
    });
    const hubspot = stubTransport('hubspot', { ok: true, detail: 'fine' });
    const [line] = crmChecks((await doctor(tenantId, [hubspot.transport])).checks);
    expect(line).toMatchObject({ id: 'crm-hubspot', status: 'problem' });
    expect(line?.message).toMatch(/^Held since .*: HubSpot 401: the access token expired/);
    expect(hubspot.asked).toEqual([]);
  });

  it('says so when no transport of this version logs to the CRM, when it has no check, and when the check throws', async () => {
    const tenantId = await tenantWith(async (id) => {
      await tenants.setCrmConnection(id, 'hubspot', { apiUrl: 'https://api.hubapi.com', token: 'hs-token' });
      await tenants.setCrmConnection(id, 'pipedrive', { apiUrl: 'https://acme.pipedrive.com', token: 'pd-token' });
      await tenants.setCrmConnection(id, 'salesforce', {
        instanceUrl: 'https://acme.my.salesforce.com',
        loginUrl: 'https://acme.my.salesforce.com',
        clientId: 'id',
        clientSecret: 'sf-secret',
      });
    });
    const lines = crmChecks(
      (
        await doctor(tenantId, [
          stubTransport('pipedrive', undefined).transport,
          stubTransport('salesforce', new Error('socket hang up')).transport,
        ])
      ).checks,
    );
    expect(lines.map((l) => [l.id, l.status])).toEqual([
      ['crm-hubspot', 'warn'],
      ['crm-pipedrive', 'warn'],
      ['crm-salesforce', 'problem'],
    ]);
    expect(lines[0]?.message).toMatch(/does not log calls there/);
    expect(lines[2]?.message).toBe('The check failed: socket hang up');
  });

  it('has no CRM line for a tenant connected to none', async () => {
    const tenantId = await tenantWith(() => Promise.resolve());
    expect(crmChecks((await doctor(tenantId, [stubTransport('hubspot', { ok: true, detail: 'x' }).transport])).checks)).toEqual([]);
  });
});
