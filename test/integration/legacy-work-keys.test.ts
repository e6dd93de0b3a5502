import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallRepository, type StoredCall } from '../../lib/store/calls';
import { DeadLetterRepository } from '../../lib/store/dead-letters';
import { callSk, tenantPk, WORK_KINDS, workMarkerSk } from '../../lib/store/keys';
import { storedCall } from '../support/calls';
import { startCliTable, type CliTable } from '../support/cli';

/**
 * Items written before issue 17 sit on the shared keys (`DUE_CALLS`...), where no reader looks any more:
 * `c2c calls migrate-work-keys` moves them to their tenant's keys, where the scheduler, the reconciler, the deliverer
 * and the operator's listings find them.
 */
let cli: CliTable;
let calls: CallRepository;
const T = 'legacy';
const AT = '2026-01-01T10:00:00.000Z';

/** A call as the code before issue 17 left it: its index keys on the shared partitions, no directory marker. */
async function legacyCall(call: Partial<StoredCall> & { callId: string }, keys: Record<string, string>) {
  await calls.reserve(storedCall({ tenantId: T, ...call }));
  const names = Object.keys(keys);
  await cli.table.doc.send(
    new UpdateCommand({
      TableName: cli.table.name,
      Key: { pk: tenantPk(T), sk: callSk(call.callId) },
      UpdateExpression: `SET ${names.map((n) => `${n} = :${n}`).join(', ')}`,
      ExpressionAttributeValues: Object.fromEntries(names.map((n) => [`:${n}`, keys[n]])),
    }),
  );
}

beforeAll(async () => {
  cli = await startCliTable('legacy');
  calls = new CallRepository(cli.table);
  const legacySk = (id: string) => `${AT}#${T}#${id}`;
  await legacyCall(
    { callId: 'c_DUE', state: 'scheduled', attempt: 0, schedule: { notBefore: AT, reason: 'requested' } },
    { gsi4pk: 'DUE_CALLS', gsi4sk: legacySk('c_DUE'), gsi5pk: 'NOTIFY_PENDING', gsi5sk: legacySk('c_DUE') },
  );
  await legacyCall(
    { callId: 'c_PENDING', state: 'dispatching', updatedAt: AT },
    { gsi4pk: 'PENDING_CALLS', gsi4sk: legacySk('c_PENDING') },
  );
  await legacyCall({ callId: 'c_FLAGGED', state: 'unknown' }, { gsi4pk: 'FLAGGED_CALLS', gsi4sk: legacySk('c_FLAGGED') });
  await legacyCall({ callId: 'c_DEAD', state: 'completed' }, { gsi5pk: 'NOTIFY_DEAD', gsi5sk: legacySk('c_DEAD') });
  const letter = {
    tenantId: T,
    callId: 'c_DEAD',
    fromEvent: 1,
    eventCount: 3,
    attempts: 9,
    since: AT,
    lastError: 'HTTP 503',
    deadLetteredAt: AT,
    callbackHost: null,
  };
  await cli.table.doc.send(
    new PutCommand({ TableName: cli.table.name, Item: { pk: 'DLQ', sk: legacySk('c_DEAD'), type: 'deadLetter', ...letter } }),
  );
  // The code before issue 17 wrote no directory markers.
  for (const kind of WORK_KINDS)
    await cli.table.doc.send(new DeleteCommand({ TableName: cli.table.name, Key: { pk: tenantPk(T), sk: workMarkerSk(kind) } }));
});

afterAll(async () => {
  await cli?.stop();
});

describe('c2c calls migrate-work-keys', () => {
  it('moves every legacy item to its tenant, where every reader finds it, and a second run moves nothing', async () => {
    const fresh = new CallRepository(cli.table);
    expect(await fresh.waiting.listDue('2026-06-01T00:00:00.000Z', { total: 10, perTenant: { min: 1, max: 10 }, maxTenants: 10 })).toEqual(
      [],
    );

    const run = await cli.c2c(['calls', 'migrate-work-keys']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Moved 1 due, 1 pending, 1 flagged, 1 outbox and 1 dead-lettered calls, and 1 dead letters');

    const reader = new CallRepository(cli.table);
    const due = await reader.waiting.listDue('2026-06-01T00:00:00.000Z', { total: 10, perTenant: { min: 1, max: 10 }, maxTenants: 10 });
    expect(due.map((c) => c.callId)).toEqual(['c_DUE']);
    expect((await reader.queries.listPending({ limit: 10, before: '2026-06-01T00:00:00.000Z' })).map((c) => c.callId)).toEqual([
      'c_PENDING',
    ]);
    expect((await reader.queries.listFlagged(10)).map((c) => c.callId)).toEqual(['c_FLAGGED']);
    expect(await reader.outbox.listNotifyDead(10)).toEqual([{ tenantId: T, callId: 'c_DEAD' }]);
    expect(await reader.listNotifyDue('2026-06-01T00:00:00.000Z', 100)).toContainEqual({ tenantId: T, callId: 'c_DUE' });
    expect((await new DeadLetterRepository(cli.table).list(10)).map((l) => l.callId)).toEqual(['c_DEAD']);
    const marker = await cli.table.doc.send(
      new GetCommand({ TableName: cli.table.name, Key: { pk: tenantPk(T), sk: workMarkerSk('due') } }),
    );
    expect(marker.Item?.waiting).toBe(1);

    const again = await cli.c2c(['calls', 'migrate-work-keys']);
    expect(again.stdout).toContain('Moved 0 due, 0 pending, 0 flagged, 0 outbox and 0 dead-lettered calls, and 0 dead letters');
  });
});
