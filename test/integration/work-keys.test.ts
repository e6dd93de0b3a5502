import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { DoNotCallRepository } from '../../lib/store/do-not-call';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issuePbxEventsToken } from '../../lib/calls/pbx-event-tokens';
import { PlaceCall } from '../../lib/calls/place-call';
import { ReconcileCalls } from '../../lib/calls/reconcile';
import { callRequestSchema } from '../../lib/calls/request';
import { NotificationDeliverer, DEFAULT_NOTIFY_SETTINGS } from '../../lib/notify/deliver';
import { newCallbackSecret } from '../../lib/notify/secrets';
import { Click2CallClient } from '../../lib/pbx/click2call';
import { CallCaps } from '../../lib/policy/caps';
import { AgentPresenceRepository } from '../../lib/store/agent-presence';
import { CallRepository } from '../../lib/store/calls';
import { DeadLetterRepository } from '../../lib/store/dead-letters';
import { DedupeWindowRepository } from '../../lib/store/dedupe-windows';
import { RateLimitRepository } from '../../lib/store/rate-limits';
import { freePort } from '../../local/ports';
import { callIdOf, present } from '../support/api-body';
import { bearer, invoke, seedTenant, startTestEnv, useEnvForHandlers, type TestEnv } from '../support/env';

/**
 * No partition key that every tenant writes (issue 17): two tenants go through every path that writes an index key
 * (a placed call, a PBX event, a scheduled call, a queued call, a crash left to the reconciler, which flags it, the
 * notification outbox and its dead letters), and a scan of the table finds each index partition key naming its own
 * tenant, none written by both, but the work directory's buckets (a marker per tenant and kind, refreshed at most every
 * 30 s per container: lib/store/work-directory.ts).
 */
let env: TestEnv;
let create: typeof import('../../functions/calls-create').handler;
let pbxEvents: typeof import('../../functions/pbx-events').handler;
let calls: CallRepository;
const TENANTS = ['keys-a', 'keys-b'] as const;
// The call listings' keys-only indexes (`ct`, `ca`, `cl`: lib/store/call-index-keys.ts) beside the whole-item ones.
const INDEX_PKS = ['gsi1pk', 'gsi2pk', 'gsi3pk', 'gsi4pk', 'gsi5pk', 'gsi6pk', 'ct', 'ca', 'cl'] as const;
const seen: Array<Record<string, unknown>> = [];
/** A key attribute as text (they are strings; anything else shows as JSON). */
const text = (value: unknown): string => (typeof value === 'string' ? value : (JSON.stringify(value) ?? ''));

async function scan() {
  let start: Record<string, unknown> | undefined;
  do {
    const out = await env.table.doc.send(new ScanCommand({ TableName: env.table.name, ExclusiveStartKey: start }));
    seen.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
}

/** The tenant an item belongs to: the id its own partition key names, or (an API key) its tenant attribute. */
function tenantOf(item: Record<string, unknown>): string | undefined {
  const pk = text(item.pk);
  for (const t of TENANTS) if (pk.split('#').includes(t)) return t;
  return typeof item.tenantId === 'string' ? item.tenantId : undefined;
}

beforeAll(async () => {
  env = await startTestEnv();
  useEnvForHandlers(env);
  ({ handler: create } = await import('../../functions/calls-create'));
  ({ handler: pbxEvents } = await import('../../functions/pbx-events'));
  calls = new CallRepository(env.table);
  const deadCallback = `http://127.0.0.1:${await freePort()}/hook`;
  const presence = new AgentPresenceRepository(env.table);
  const crashing = new PlaceCall({
    calls,
    agents: env.agents,
    caps: new CallCaps(new RateLimitRepository(env.table)),
    presence,
    windows: new DedupeWindowRepository(env.table),
    dnc: new DoNotCallRepository(env.table),
    pbx: new Click2CallClient(),
    pbxTimeoutMs: 2000,
    logger: { info: () => undefined, warn: () => undefined },
    faultHook: (point) => {
      if (point === 'after_reserve') throw new Error('simulated crash after_reserve');
    },
  });

  for (const tenantId of TENANTS) {
    const pbx = issuePbxEventsToken();
    const { key } = await seedTenant(
      env,
      { tenantId, pbxEvents: { tokens: [pbx.record] }, callback: { url: deadCallback, secrets: [newCallbackSecret()] } },
      {
        agents: [
          { crmUserId: 'u-17', extension: '1000' },
          { crmUserId: 'u-18', extension: '1001' },
        ],
      },
    );
    await env.agents.put(tenantId, 'u-19', { extension: '1002', teams: ['away'] });
    await presence.setAvailability(tenantId, 'u-19', false, Math.floor(Date.now() / 1000));
    const post = (body: Record<string, unknown>, idempotencyKey: string) =>
      invoke(create, { method: 'POST', route: '/v1/calls', headers: { ...bearer(key), 'idempotency-key': idempotencyKey }, body });

    // A placed call, then its PBX event (Call End).
    const placed = await post({ agent: { crmUserId: 'u-17' }, to: '+44 7766 889900', lead: { id: 'lead-1' } }, 'placed');
    expect(placed.status).toBe(201);
    const uniqueId = present(placed.body.pbx?.uniqueId, 'pbx.uniqueId');
    const ended = await invoke(pbxEvents, {
      method: 'GET',
      route: '/v1/pbx-events/{tenantId}/{token}',
      path: { tenantId, token: pbx.token },
      query: { unique_id: uniqueId, c2c_call_id: callIdOf(placed), event: 'Call End', billsec: '12', hangup_cause: 'NORMAL_CLEARING' },
      headers: {},
    });
    expect(ended.body).toMatchObject({ status: 'applied', state: 'completed' });
    // A scheduled call and a queued one (the team's only member is away).
    const scheduled = await post(
      { agent: { crmUserId: 'u-18' }, to: '+44 7766 889901', notBefore: new Date(Date.now() + 3_600_000).toISOString() },
      'sched',
    );
    expect(scheduled.body.state).toBe('scheduled');
    const queued = await post({ team: 'away', to: '+44 7766 889902', maxWaitSec: 600 }, 'queued');
    expect(queued.body.state).toBe('queued');
    // A crash between the reservation and the GET: the call stays `dispatching`, pending for the reconciler.
    const tenant = (await env.tenants.get(tenantId))!;
    await expect(
      crashing.execute({
        tenant,
        request: callRequestSchema.parse({ agent: { crmUserId: 'u-18' }, to: '+44 7766 889903' }),
        idempotencyKey: 'crashed',
        source: 'api',
      }),
    ).rejects.toThrow(/simulated crash/);
  }
  await scan();
  // The reconciler flags the crashed calls (no CDR carries them); every notification fails (the callback is down) and
  // is dead-lettered at once.
  await new ReconcileCalls({
    calls,
    tenants: env.tenants,
    logger: { info: () => undefined, warn: () => undefined },
    maxTries: 1,
    minAgeSec: 0,
    cdrTimeoutMs: 2000,
  }).run();
  await new NotificationDeliverer({
    calls,
    getTenant: (tenantId) => env.tenants.get(tenantId),
    sink: new DeadLetterRepository(env.table),
    settings: { ...DEFAULT_NOTIFY_SETTINGS, maxAttempts: 1, timeoutMs: 1000 },
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
  }).deliverDue();
  await scan();
}, 120_000);

afterAll(async () => {
  await env?.stop();
});

describe('index keys of two tenants on every path', () => {
  it('went through every work list: pending, due, outbox, flagged, dead-lettered, dead letters', () => {
    const prefixes = new Set(seen.flatMap((item) => [...INDEX_PKS.map((a) => item[a]), item.pk]).map((v) => text(v).split('#')[0]));
    for (const prefix of ['PENDING', 'DUE', 'NOTIFY', 'FLAGGED', 'NOTIFYDEAD', 'DLQ', 'TENANT', 'WORK'])
      expect(prefixes, prefix).toContain(prefix);
  });

  it('every index partition key names the tenant of its item, or is a work directory bucket on a directory marker', () => {
    for (const item of seen) {
      const tenantId = tenantOf(item);
      expect(tenantId, JSON.stringify({ pk: item.pk, sk: item.sk })).toBeDefined();
      for (const attribute of INDEX_PKS) {
        const value = item[attribute];
        if (value === undefined) continue;
        const where = `${attribute} of ${text(item.pk)} / ${text(item.sk)}: ${text(value)}`;
        if (text(item.sk).startsWith('WORK#') && attribute === 'gsi4pk') {
          expect(value, where).toMatch(/^WORK#(due|pending|notify|flagged|dead|dlq)#\d{1,2}$/);
          expect(item.gsi4sk, where).toBe(tenantId);
        } else {
          expect(text(value).split('#'), where).toContain(tenantId);
        }
      }
    }
  });

  it('no partition key, of the table or an index, is written by both tenants but the directory buckets', () => {
    const writers = new Map<string, Set<string>>();
    for (const item of seen) {
      for (const value of [item.pk, ...INDEX_PKS.map((a) => item[a])]) {
        if (value === undefined) continue;
        const set = writers.get(text(value)) ?? new Set<string>();
        set.add(tenantOf(item)!);
        writers.set(text(value), set);
      }
    }
    const shared = [...writers].filter(([, tenants]) => tenants.size > 1).map(([pk]) => pk);
    expect(shared.filter((pk) => !/^WORK#[a-z]+#\d+$/.test(pk))).toEqual([]);
  });
});
