import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallRepository } from '../../lib/store/calls';
import { TenantRepository } from '../../lib/store/tenants';
import { storedCall } from '../support/calls';
import { jsonOf, startCliTable, type CliTable } from '../support/cli';
import { testSealer } from '../support/env';

let cli: CliTable;
let calls: CallRepository;

beforeAll(async () => {
  cli = await startCliTable('waiting');
  calls = new CallRepository(cli.table);
  await new TenantRepository(cli.table, testSealer()).create({
    tenantId: 'acme',
    name: 'Acme',
    crmId: '1',
    clientId: '2',
    defaultCountry: 'GB',
    pbx: { urlShape: 'click2call', baseUrl: 'https://pbx.example.com' },
  });
  await calls.reserve(
    storedCall({
      callId: 'c_SCHED000000000000000000000',
      tenantId: 'acme',
      state: 'scheduled',
      attempt: 0,
      schedule: { notBefore: '2026-12-02T09:00:00.000Z', reason: 'calling_hours' },
    }),
  );
  await calls.reserve(
    storedCall({
      callId: 'c_QUEUED00000000000000000000',
      tenantId: 'acme',
      state: 'queued',
      attempt: 0,
      team: 'sales',
      queue: { maxWaitSec: 60, since: '2026-12-01T10:00:00.000Z', until: '2026-12-01T10:01:00.000Z' },
    }),
  );
  await calls.reserve(storedCall({ callId: 'c_SENT0000000000000000000000', tenantId: 'acme', state: 'dialing' }));
});

afterAll(async () => {
  await cli?.stop();
});

describe('c2c calls waiting / cancel', () => {
  it('lists the scheduled and queued calls, the soonest due first, numbers masked', async () => {
    const human = await cli.c2c(['calls', 'waiting', 'acme']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout.indexOf('c_QUEUED00000000000000000000')).toBeLessThan(human.stdout.indexOf('c_SCHED000000000000000000000'));
    expect(human.stdout).toContain('team sales');
    expect(human.stdout).toContain('calling_hours');
    expect(human.stdout).not.toContain('c_SENT0000000000000000000000');
    expect(human.stdout).not.toContain('7766889900');
    const listed = jsonOf<Array<{ callId: string }>>(await cli.c2c(['calls', 'waiting', 'acme', '--json']));
    expect(listed.map((c) => c.callId)).toEqual(['c_QUEUED00000000000000000000', 'c_SCHED000000000000000000000']);
  });

  it('cancels a waiting call (twice is fine), and refuses a call already sent with exit code 1', async () => {
    const first = jsonOf<{ outcome: string; call: { state: string; events: Array<{ state: string; detail?: string }> } }>(
      await cli.c2c(['calls', 'cancel', 'acme', 'c_SCHED000000000000000000000', '--by', 'ops', '--json']),
    );
    expect(first.outcome).toBe('cancelled');
    expect(first.call.state).toBe('cancelled');
    expect(first.call.events.at(-1)).toMatchObject({ state: 'cancelled', detail: 'by ops (c2c)' });
    const again = await cli.c2c(['calls', 'cancel', 'acme', 'c_SCHED000000000000000000000']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('cancelled');
    const sent = await cli.c2c(['calls', 'cancel', 'acme', 'c_SENT0000000000000000000000']);
    expect(sent.code).toBe(1);
    expect(sent.stderr).toContain('already sent to the PBX');
    expect((await calls.get('acme', 'c_SENT0000000000000000000000'))?.state).toBe('dialing');
    expect((await cli.c2c(['calls', 'cancel', 'acme', 'c_NOPE0000000000000000000000'])).code).toBe(1);
  });
});
