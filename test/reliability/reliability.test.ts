/**
 * The reliability suite of issue 3: duplicate storms, reused keys, every PBX fault with its retries, crashes at the
 * two dangerous points, the scheduler's due calls (issue 13: two runs at once, a crash after its claim, cancels racing
 * it), 10,000 fuzzed requests, and a scan of everything logged. It prints one table; with
 * RELIABILITY_REPORT=1 (`npm run test:reliability`) it also writes RELIABILITY.md.
 */
import { DoNotCallRepository } from '../../lib/store/do-not-call';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CallDispatch } from '../../lib/calls/dispatch';
import { DispatchDue, type DispatchReport } from '../../lib/calls/dispatch-due';
import { PlaceCall, type FaultPoint } from '../../lib/calls/place-call';
import { ReconcileCalls } from '../../lib/calls/reconcile';
import { callIdFor, callRequestSchema } from '../../lib/calls/request';
import { loadConfig } from '../../lib/config';
import { createRoot, type Root } from '../../lib/compose/root';
import { agents, calls, table, tenants } from '../../lib/compose/shared';
import { Click2CallClient } from '../../lib/pbx/click2call';
import { CallCaps } from '../../lib/policy/caps';
import { AgentPresenceRepository } from '../../lib/store/agent-presence';
import type { CallRepository } from '../../lib/store/calls';
import { RateLimitRepository } from '../../lib/store/rate-limits';
import { DedupeWindowRepository } from '../../lib/store/dedupe-windows';
import { startPbxSimulator, type PbxSimulator } from '../../local/pbx-sim/simulator';
import { freePort } from '../../local/ports';
import { callIdOf, present } from '../support/api-body';
import { bearer, invoke, seedTenant, startTestEnv, useEnvForHandlers, type TestEnv } from '../support/env';
import { renderTable, writeReport, type ReliabilityRow } from './report';

const STORM_KEYS = 100;
const STORM_COPIES = 50;
const CAPPED_COPIES = 10;
const CAPPED_PER_SECOND = 20;
const FUZZ_RUNS = 10_000;
const PBX_SECRET = 'pbx-basic-secret-4a9f1c77';

let env: TestEnv;
let create: typeof import('../../functions/calls-create').handler;
let key: string;
const rows: ReliabilityRow[] = [];
const numbersSent = new Set<string>();
const started = Date.now();

// Everything the handlers log (Powertools writes JSON lines to stdout) is kept for the final scan.
const logged: string[] = [];
const realWrite = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };

function record(check: string, expected: string, observed: string, holds: boolean) {
  rows.push({ check, expected, observed, holds });
  expect(holds, `${check}: expected ${expected}, observed ${observed}`).toBe(true);
}

const dialsFor = (sim: PbxSimulator, callId: string | undefined) => sim.requests().filter((r) => r.query.c2c_call_id === callId).length;

function post(body: unknown, headers: Record<string, string> = {}) {
  const to = (body as { to?: unknown })?.to;
  if (typeof to === 'string') numbersSent.add(to);
  return invoke(create, { method: 'POST', route: '/v1/calls', headers: { ...bearer(key), ...headers }, body });
}

beforeAll(async () => {
  env = await startTestEnv();
  useEnvForHandlers(env, { POWERTOOLS_LOG_LEVEL: 'DEBUG', AUTH_CACHE_TTL_MS: '60000', PBX_TIMEOUT_MS: '600' });
  const capture =
    (stream: 'out' | 'err') =>
    (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      logged.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      // Passed on: the suite-wide capture (test/support/capture-logs.ts) files service lines for the final scan.
      return realWrite[stream](chunk, ...(rest as []));
    };
  process.stdout.write = capture('out');
  process.stderr.write = capture('err');
  ({ handler: create } = await import('../../functions/calls-create'));
  const agents = [
    { crmUserId: 'u-main', extension: '1000' },
    { crmUserId: 'u-fuzz', extension: '1001' },
    { crmUserId: 'u-crash-1', extension: '1002' },
    { crmUserId: 'u-crash-2', extension: '1003' },
    // One agent per extension: each its own, all known to the simulator (below).
    ...Array.from({ length: STORM_KEYS }, (_, i) => ({ crmUserId: `u-storm-${i}`, extension: `${3000 + i}` })),
  ];
  env.sim.setExtensions([
    '1000',
    '1001',
    '1002',
    '1003',
    ...Array.from({ length: STORM_KEYS }, (_, i) => [`${3000 + i}`, `${4000 + i}`]).flat(),
  ]);
  ({ key } = await seedTenant(
    env,
    {
      tenantId: 'rel',
      pbx: {
        urlShape: 'click2call',
        baseUrl: env.sim.url,
        basicAuth: { username: 'c2c', password: PBX_SECRET },
        cdrApiUrl: `${env.sim.url}/api/cdrs`,
      },
      policy: {
        allowedCountries: ['GB'],
        denyPrefixes: ['4470'],
        caps: { perDestination: { max: 100_000, windowSec: 900 }, perAgentPerMinute: 100_000, perTenantPerSecond: 100_000 },
      },
    },
    { agents },
  ));
}, 120_000);

afterAll(async () => {
  process.stdout.write = realWrite.out;
  process.stderr.write = realWrite.err;
  const table = renderTable(rows);
  console.log(`\nReliability table\n\n${table}\n`);
  if (process.env.RELIABILITY_REPORT === '1') writeReport(path.resolve(__dirname, '../../RELIABILITY.md'), rows, Date.now() - started);
  await env?.stop();
});

describe('reliability', () => {
  it(`duplicate storm: ${STORM_KEYS} keys x ${STORM_COPIES} concurrent identical deliveries`, async () => {
    env.sim.clearRequests();
    const statuses = new Map<number, number>();
    const winners: number[] = [];
    for (let batch = 0; batch < STORM_KEYS; batch += 10) {
      await Promise.all(
        Array.from({ length: 10 }, async (_, k) => {
          const i = batch + k;
          const body = { agent: { crmUserId: `u-storm-${i}` }, to: '+44 7766 889900', lead: { id: `storm-${i}` } };
          const answers = await Promise.all(Array.from({ length: STORM_COPIES }, () => post(body, { 'idempotency-key': `storm-${i}` })));
          for (const a of answers) statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
          winners.push(answers.filter((a) => a.status === 201).length);
        }),
      );
    }
    const gets = env.sim.requests().length;
    const summary = [...statuses]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${n}x${s}`)
      .join(', ');
    record(
      `duplicate storm (${STORM_KEYS} keys x ${STORM_COPIES} concurrent)`,
      `${STORM_KEYS} GETs; one 201 per key; the rest 200/202; no 5xx`,
      `${gets} GETs; answers ${summary}`,
      gets === STORM_KEYS && winners.every((w) => w === 1) && [...statuses.keys()].every((s) => s === 200 || s === 201 || s === 202),
    );
  }, 300_000);

  it(`capped storm: ${STORM_KEYS} keys x ${CAPPED_COPIES} concurrent copies at ${CAPPED_PER_SECOND}/s, retried on 429 and 503`, async () => {
    const { key: cappedKey } = await seedTenant(
      env,
      {
        tenantId: 'rel-capped',
        policy: {
          caps: { perDestination: { max: 100_000, windowSec: 900 }, perAgentPerMinute: 100_000, perTenantPerSecond: CAPPED_PER_SECOND },
        },
      },
      { agents: Array.from({ length: STORM_KEYS }, (_, i) => ({ crmUserId: `u-cap-${i}`, extension: `${4000 + i}` })) },
    );
    const before = new Set(env.sim.requests().map((r) => r.query.c2c_call_id));
    const statuses = new Map<number, number>();
    let retries = 0;
    /** A client as the docs ask for: on 429 or 503 it waits Retry-After and sends the same request again. */
    const persistent = async (i: number) => {
      const body = { agent: { crmUserId: `u-cap-${i}` }, to: '+44 7766 889900', lead: { id: `cap-${i}` } };
      for (let attempt = 0; attempt < 30; attempt++) {
        const answer = await invoke(create, {
          method: 'POST',
          route: '/v1/calls',
          headers: { ...bearer(cappedKey), 'idempotency-key': `cap-${i}` },
          body,
        });
        if (answer.status !== 429 && answer.status !== 503) return answer;
        retries++;
        await new Promise((r) => setTimeout(r, Number(answer.headers['retry-after'] ?? '1') * 1000 * Math.random() + 50));
      }
      throw new Error(`key cap-${i} still refused after 30 attempts`);
    };
    const answers = await Promise.all(Array.from({ length: STORM_KEYS * CAPPED_COPIES }, (_, n) => persistent(n % STORM_KEYS)));
    for (const a of answers) statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
    const dialled = env.sim.requests().filter((r) => !before.has(r.query.c2c_call_id));
    const perCall = new Map<string, number>();
    for (const r of dialled) perCall.set(r.query.c2c_call_id ?? '', (perCall.get(r.query.c2c_call_id ?? '') ?? 0) + 1);
    const summary = [...statuses]
      .sort(([a], [b]) => a - b)
      .map(([st, n]) => `${n}x${st}`)
      .join(', ');
    record(
      `capped storm (${STORM_KEYS} keys x ${CAPPED_COPIES} copies, cap ${CAPPED_PER_SECOND}/s, retries on 429/503)`,
      `${STORM_KEYS} GETs, one per key`,
      `${dialled.length} GETs for ${perCall.size} keys after ${retries} retries; final answers ${summary}`,
      dialled.length === STORM_KEYS && perCall.size === STORM_KEYS && [...perCall.values()].every((n) => n === 1),
    );
  }, 300_000);

  it('keyless: an identical pair 0.6 s apart across a minute boundary, and copies across the window', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const body = { agent: { crmUserId: 'u-main' }, to: '+44 7766 889900', lead: { id: 'keyless-pair' } };
      const boundary = Date.parse('2031-06-01T09:59:59.700Z');
      vi.setSystemTime(boundary);
      const first = await post(body);
      vi.setSystemTime(boundary + 600);
      const second = await post(body);
      vi.setSystemTime(boundary + 30_000);
      const copies = await Promise.all(Array.from({ length: 10 }, () => post(body)));
      const gets = dialsFor(env.sim, first.body.callId);
      record(
        'keyless pair across a minute boundary, then 10 concurrent copies within the window',
        '1 GET; the rest 200 duplicate of the same call',
        `${gets} GET; answers ${first.status}, ${second.status}, ${copies.map((c) => c.status).join('/')}`,
        gets === 1 && first.status === 201 && [second, ...copies].every((a) => a.status === 200 && a.body.callId === first.body.callId),
      );
    } finally {
      vi.useRealTimers();
    }
  });

  it('same key, another body', async () => {
    const first = await post({ agent: { crmUserId: 'u-main' }, to: '+44 7766 889900' }, { 'idempotency-key': 'reuse-1' });
    const before = env.sim.requests().length;
    const reused = await post({ agent: { crmUserId: 'u-main' }, to: '+44 7766 889901' }, { 'idempotency-key': 'reuse-1' });
    const gets = env.sim.requests().length - before;
    record(
      'reused key, other body',
      '409 idempotency_key_reused, no GET',
      `${reused.status} ${reused.body.code}, ${gets} GET`,
      first.status === 201 && reused.status === 409 && reused.body.code === 'idempotency_key_reused' && gets === 0,
    );
  });

  type Fault = Parameters<PbxSimulator['setFault']>[0];
  const matrix: Array<{ name: string; fault?: Fault; status: number; state: string; extraAfterRetries: number }> = [
    {
      name: 'latency under the timeout (100 ms of 600)',
      fault: { mode: 'latency', latencyMs: 100 },
      status: 201,
      state: 'dialing',
      extraAfterRetries: 0,
    },
    { name: 'hang past the timeout', fault: { mode: 'hang' }, status: 202, state: 'unknown', extraAfterRetries: 0 },
    { name: 'reset after the request was read', fault: { mode: 'reset' }, status: 202, state: 'unknown', extraAfterRetries: 0 },
    { name: 'HTTP 500', fault: { mode: 'http_500' }, status: 202, state: 'unknown', extraAfterRetries: 0 },
    { name: 'HTTP 503', fault: { mode: 'http_503' }, status: 202, state: 'unknown', extraAfterRetries: 0 },
    { name: 'malformed body', fault: { mode: 'malformed' }, status: 202, state: 'unknown', extraAfterRetries: 0 },
    { name: '404 (not allowlisted)', fault: { mode: 'not_found' }, status: 422, state: 'rejected', extraAfterRetries: 0 },
    { name: 'refusal (success:false)', fault: { mode: 'refuse' }, status: 422, state: 'rejected', extraAfterRetries: 0 },
  ];

  it.each(matrix)('fault: $name', async ({ name, fault, status, state, extraAfterRetries }) => {
    env.sim.setFault(fault!);
    const slug = name.replace(/[^a-z0-9]+/gi, '-');
    const idem = { 'idempotency-key': `fault-${slug}` };
    const body = { agent: { crmUserId: 'u-main' }, to: '+44 7766 889900', lead: { id: `fault-${slug}` } };
    const first = await post(body, idem);
    env.sim.clearFault();
    const callId = first.body.callId ?? first.body.call?.callId;
    const finalState = first.body.state ?? first.body.call?.state;
    const gets = dialsFor(env.sim, callId);
    const retries = [];
    for (let i = 0; i < 5; i++) retries.push((await post(body, idem)).status);
    const after = dialsFor(env.sim, callId);
    record(
      `fault: ${name}`,
      `${status} ${state}; 1 GET; +${extraAfterRetries} after 5 retries`,
      `${first.status} ${finalState}; ${gets} GET; +${after - gets} after 5 retries (${retries.join(',')})`,
      first.status === status && finalState === state && gets === 1 && after - gets === extraAfterRetries,
    );
  });

  it('fault: connection refused, then the PBX comes back', async () => {
    const port = await freePort();
    const { key: downKey } = await seedTenant(env, {
      tenantId: 'rel-down',
      pbx: { urlShape: 'click2call', baseUrl: `http://127.0.0.1:${port}` },
    });
    const body = { agent: { crmUserId: 'u-17' }, to: '+44 7766 889900' };
    const send = () =>
      invoke(create, { method: 'POST', route: '/v1/calls', headers: { ...bearer(downKey), 'idempotency-key': 'refused-1' }, body });
    const first = await send();
    const back = await startPbxSimulator({ port, extensions: ['1000'] });
    try {
      const retries = [];
      for (let i = 0; i < 5; i++) retries.push((await send()).status);
      const gets = back.requests().length;
      record(
        'fault: connection refused (PBX down, then back)',
        '503 not_sent; 0 GET; +1 after 5 retries (the first retry dials, the rest replay)',
        `${first.status} ${first.body.call?.state}; 0 GET; +${gets} after 5 retries (${retries.join(',')})`,
        first.status === 503 &&
          first.body.call?.state === 'not_sent' &&
          gets === 1 &&
          retries[0] === 201 &&
          retries.slice(1).every((s) => s === 200),
      );
    } finally {
      await back.close();
    }
  });

  describe('a crash of the invocation', () => {
    const piecesOf = (root: Root) => ({ table: table(root), tenants: tenants(root), calls: calls(root), agents: agents(root) });
    let c: ReturnType<typeof piecesOf>;
    const crashAt = (point: FaultPoint) =>
      new PlaceCall({
        calls: c.calls,
        agents: c.agents,
        caps: new CallCaps(new RateLimitRepository(c.table)),
        windows: new DedupeWindowRepository(c.table),
        dnc: new DoNotCallRepository(c.table),
        pbx: new Click2CallClient(),
        pbxTimeoutMs: 600,
        logger: { info: () => undefined, warn: () => undefined },
        faultHook: (at) => {
          if (at === point) throw new Error(`simulated crash ${point}`);
        },
      });

    beforeAll(() => {
      c = piecesOf(createRoot({ config: loadConfig() }));
    });

    it.each([
      { point: 'after_reserve' as const, agent: 'u-crash-1', dials: 0, settled: 'unknown' },
      { point: 'after_dial' as const, agent: 'u-crash-2', dials: 1, settled: 'completed' },
    ])('between $point and the next step', async ({ point, agent, dials, settled }) => {
      const tenant = (await c.tenants.get('rel'))!;
      const body = { agent: { crmUserId: agent }, to: '+44 7766 889902', lead: { id: `crash-${point}` } };
      numbersSent.add(body.to);
      await expect(
        crashAt(point).execute({ tenant, request: callRequestSchema.parse(body), idempotencyKey: `crash-${point}`, source: 'api' }),
      ).rejects.toThrow(/simulated crash/);
      const retries = [];
      for (let i = 0; i < 5; i++) retries.push((await post(body, { 'idempotency-key': `crash-${point}` })).status);
      const callId = present((await post(body, { 'idempotency-key': `crash-${point}` })).body.callId, 'callId');
      const gets = dialsFor(env.sim, callId);
      const reconciler = new ReconcileCalls({
        calls: c.calls,
        tenants: c.tenants,
        logger: { info: () => undefined, warn: () => undefined },
        maxTries: 1,
        minAgeSec: 0,
        cdrTimeoutMs: 2000,
      });
      await reconciler.run();
      const final = await c.calls.get('rel', callId);
      const afterReconcile = dialsFor(env.sim, callId);
      record(
        `crash ${point.replace('_', ' ')}, then 5 retried deliveries and the reconciler`,
        `${dials} GET; retries 202; reconciled ${settled}${settled === 'unknown' ? ' (flagged)' : ''}; no GET after`,
        `${gets} GET; retries ${retries.join(',')}; reconciled ${final?.state}${final?.reconcile?.flagged ? ' (flagged)' : ''}; ${afterReconcile - gets} GET after`,
        gets === dials &&
          retries.every((s) => s === 202) &&
          final?.state === settled &&
          afterReconcile === gets &&
          (settled !== 'unknown' || final?.reconcile?.flagged === true),
      );
    });
  });

  describe('the scheduler: due calls dialled at most once (issue 13)', () => {
    const TENANT = 'rel-due';
    const DUE_NAMED = 100;
    const DUE_TEAM = 100;
    /** Teams side by side (the scheduler serves a team's calls in order, teams in parallel), each smaller than its calls. */
    const DUE_TEAMS = 4;
    const DUE_TEAM_AGENTS = 10;
    const RACE_NAMED = 50;
    const RACE_TEAM = 50;
    const RACE_TEAMS = 2;
    const CANCEL_GAP_MS = 25;
    let dueKey: string;
    let cancel: typeof import('../../functions/calls-cancel').handler;
    let dispatchDueUseCase: typeof import('../../lib/compose/dispatch-due').dispatchDueUseCase;
    let store: CallRepository;
    let presence: AgentPresenceRepository;

    const postDue = (body: { to: string } & Record<string, unknown>, idempotencyKey: string) => {
      numbersSent.add(body.to);
      return invoke(create, {
        method: 'POST',
        route: '/v1/calls',
        headers: { ...bearer(dueKey), 'idempotency-key': idempotencyKey },
        body,
      });
    };
    const cancelCall = (callId: string) =>
      invoke(cancel, { method: 'DELETE', route: '/v1/calls/{callId}', path: { callId }, headers: bearer(dueKey) });
    /** The scheduler as deployed (lib/compose/dispatch-due.ts), on a root of its own whose clock the test drives. */
    const schedulerAt = (clock: () => Date) => dispatchDueUseCase(createRoot({ clock }));
    const numberOf = (i: number) => `+44 7766 ${880_000 + i}`;
    const nextMinuteAfter = (ms: number) => Math.ceil((Date.now() + ms) / 60_000) * 60_000;

    /** This tenant's waiting calls due by `at`: what a scheduler run would still find. */
    async function dueAt(at: Date) {
      return store.waiting.listDueOf(TENANT, at.toISOString(), 10_000);
    }

    /** GETs the simulator received, per call id of `ids`. */
    function getsPer(ids: readonly string[]) {
      const wanted = new Set(ids);
      const per = new Map<string, number>();
      for (const r of env.sim.requests()) {
        const id = r.query.c2c_call_id ?? '';
        if (wanted.has(id)) per.set(id, (per.get(id) ?? 0) + 1);
      }
      return per;
    }

    /**
     * Runs the given schedulers side by side, pass after pass, until nothing of this tenant is due. Between passes the
     * calls dialled so far end, as the PBX's Call End would say, which frees their team agents for the next pass.
     */
    async function drain(schedulers: Array<{ runOnce(): Promise<DispatchReport> }>, clock: { now: Date }, ids: readonly string[]) {
      const totals = { passes: 0, sent: 0, lost: 0, failed: 0 };
      const ended = new Set<string>();
      while ((await dueAt(clock.now)).length > 0) {
        if (totals.passes >= 40) throw new Error('calls still due after 40 passes');
        const reports = await Promise.all(schedulers.map((s) => s.runOnce()));
        totals.passes++;
        for (const r of reports) {
          totals.sent += r.sent;
          totals.lost += r.lost;
          totals.failed += r.failed;
        }
        clock.now = new Date(clock.now.getTime() + 2_000);
        const nowSec = Math.floor(clock.now.getTime() / 1000);
        const dialled = [...getsPer(ids).keys()].filter((id) => !ended.has(id));
        await Promise.all(
          dialled.map(async (id) => {
            const call = await store.get(TENANT, id);
            if (call?.crmUserId) await presence.markCallEnded(TENANT, call.crmUserId, id, nowSec);
            ended.add(id);
          }),
        );
      }
      return totals;
    }

    beforeAll(async () => {
      ({ handler: cancel } = await import('../../functions/calls-cancel'));
      ({ dispatchDueUseCase } = await import('../../lib/compose/dispatch-due'));
      const root = createRoot({ config: loadConfig() });
      store = calls(root);
      presence = new AgentPresenceRepository(table(root));
      ({ key: dueKey } = await seedTenant(env, { tenantId: TENANT }, { agents: [] }));
      // One agent per extension: each agent its own, added to the simulator's (the lock that matters is per agent).
      let next = 0;
      const ext = (_i: number) => `${5000 + next++}`;
      await env.agents.putMany(TENANT, [
        ...Array.from({ length: DUE_NAMED }, (_, i) => ({ crmUserId: `u-due-${i}`, extension: ext(i) })),
        ...Array.from({ length: DUE_TEAMS * DUE_TEAM_AGENTS }, (_, i) => ({
          crmUserId: `u-dt-${i}`,
          extension: ext(i),
          teams: [`due-${i % DUE_TEAMS}`],
        })),
        ...Array.from({ length: 2 }, (_, i) => ({ crmUserId: `u-ct-${i}`, extension: ext(i), teams: ['crash'] })),
        ...Array.from({ length: RACE_NAMED }, (_, i) => ({ crmUserId: `u-race-${i}`, extension: ext(i) })),
        ...Array.from({ length: RACE_TEAM }, (_, i) => ({ crmUserId: `u-rt-${i}`, extension: ext(i), teams: [`race-${i % RACE_TEAMS}`] })),
      ]);
      env.sim.setExtensions([...env.sim.extensions(), ...Array.from({ length: next }, (_, i) => `${5000 + i}`)]);
    });

    it(`${DUE_NAMED + DUE_TEAM} scheduled calls due the same minute, two schedulers at once`, async () => {
      const total = DUE_NAMED + DUE_TEAM;
      const minute = nextMinuteAfter(3_600_000);
      const placed = await Promise.all(
        Array.from({ length: total }, (_, i) => {
          // Spread over the minute, as a CRM's "call at 10:00" batch would be.
          const notBefore = new Date(minute + Math.floor((i * 59_000) / total)).toISOString();
          const to = numberOf(i);
          return postDue(
            i < DUE_NAMED
              ? { agent: { crmUserId: `u-due-${i}` }, to, notBefore }
              : { team: `due-${i % DUE_TEAMS}`, to, notBefore, maxWaitSec: 3600 },
            `due-${i}`,
          );
        }),
      );
      expect(placed.every((p) => p.status === 202 && p.body.state === 'scheduled')).toBe(true);
      const ids = placed.map(callIdOf);
      const clock = { now: new Date(minute + 60_000) };
      const totals = await drain([schedulerAt(() => clock.now), schedulerAt(() => clock.now)], clock, ids);
      const per = getsPer(ids);
      const gets = [...per.values()].reduce((a, b) => a + b, 0);
      const final = await Promise.all(ids.map((id) => store.get(TENANT, id)));
      const dialing = final.filter((c) => c?.state === 'dialing').length;
      // Calls a run moved to the queue on the way: no agent free for them at that moment (the team's all busy, or the
      // other run holding the named agent for this very call).
      const queuedOnTheWay = final.filter((c) => c?.events.some((e) => e.state === 'queued')).length;
      record(
        `${total} scheduled calls due the same minute (${DUE_NAMED} to named agents, ${DUE_TEAM} to ${DUE_TEAMS} teams of ${DUE_TEAM_AGENTS} agents), two schedulers run at once until none is due`,
        `${total} GETs, one per call; every call dialing`,
        `${gets} GETs for ${per.size} calls in ${totals.passes} passes of both (${totals.sent} sent, ${totals.lost} lost to the other run, ${queuedOnTheWay} queued on the way); ${dialing} dialing`,
        gets === total && per.size === total && [...per.values()].every((n) => n === 1) && dialing === total && totals.sent === total,
      );
    }, 120_000);

    it('a crash of the scheduler between its claim and the GET', async () => {
      const at = nextMinuteAfter(3 * 3_600_000);
      const body = { team: 'crash', to: '+44 7766 889903', notBefore: new Date(at).toISOString(), maxWaitSec: 600 };
      const placed = await postDue(body, 'sched-crash');
      expect(placed.body.state).toBe('scheduled');
      const callId = callIdOf(placed);
      let now = new Date(at + 1_000);
      const root = createRoot({ config: loadConfig(), clock: () => now });
      const crashing = new DispatchDue({
        calls: calls(root),
        agents: agents(root),
        presence: new AgentPresenceRepository(table(root)),
        caps: new CallCaps(new RateLimitRepository(table(root)), () => now.getTime()),
        sender: new CallDispatch({
          calls: calls(root),
          pbx: new Click2CallClient(),
          pbxTimeoutMs: 600,
          logger: { info: () => undefined, warn: () => undefined },
          now: () => now,
        }),
        getTenant: (tenantId) => tenants(root).get(tenantId),
        dnc: new DoNotCallRepository(table(root)),
        pbxTimeoutMs: 600,
        logger: { info: () => undefined, warn: () => undefined },
        now: () => now,
        faultHook: (point) => {
          if (point === 'after_claim') throw new Error('simulated crash after_claim');
        },
      });
      const crashed = await crashing.runOnce();
      const stateAfterCrash = (await store.get(TENANT, callId))?.state;
      const getsAfterCrash = getsPer([callId]).get(callId) ?? 0;

      // Healthy schedulers, two at once: now, once the crashed run's agent lease has run out, and past the call's wait.
      const healthy = [schedulerAt(() => now), schedulerAt(() => now)];
      let sentLater = 0;
      for (const later of [at + 1_000, at + 30_000, at + 700_000]) {
        now = new Date(later);
        for (const r of await Promise.all(healthy.map((s) => s.runOnce()))) sentLater += r.sent;
      }
      const retries = [];
      for (let i = 0; i < 5; i++) retries.push(await postDue(body, 'sched-crash'));
      const gets = getsPer([callId]).get(callId) ?? 0;
      const reconciler = new ReconcileCalls({
        calls: store,
        tenants: tenants(root),
        logger: { info: () => undefined, warn: () => undefined },
        maxTries: 1,
        minAgeSec: 0,
        cdrTimeoutMs: 2000,
        now: () => new Date(at + 800_000),
      });
      await reconciler.run();
      const final = await store.get(TENANT, callId);
      const afterReconcile = getsPer([callId]).get(callId) ?? 0;
      const retried = retries.map((r) => `${r.status} ${r.body.state}`).join(',');
      record(
        'scheduler crash after its claim of a due team call, then 6 healthy runs, 5 retried deliveries and the reconciler',
        '0 GET; call stays dispatching; retries 202 dispatching; reconciled unknown (flagged); no GET after',
        `${getsAfterCrash} GET; ${stateAfterCrash} (run: ${crashed.failed} failed); ${sentLater} sent by healthy runs; retries ${retried}; reconciled ${final?.state}${final?.reconcile?.flagged ? ' (flagged)' : ''}; ${afterReconcile - getsAfterCrash} GET after`,
        crashed.failed === 1 &&
          crashed.sent === 0 &&
          getsAfterCrash === 0 &&
          stateAfterCrash === 'dispatching' &&
          sentLater === 0 &&
          retries.every((r) => r.status === 202 && r.body.state === 'dispatching') &&
          gets === 0 &&
          final?.state === 'unknown' &&
          final.reconcile?.flagged === true &&
          afterReconcile === 0,
      );
    }, 60_000);

    it(`${RACE_NAMED + RACE_TEAM} cancels racing ${RACE_NAMED + RACE_TEAM} dispatches`, async () => {
      const total = RACE_NAMED + RACE_TEAM;
      const minute = nextMinuteAfter(2 * 3_600_000);
      const placed = await Promise.all(
        Array.from({ length: total }, (_, i) => {
          const notBefore = new Date(minute + i * 500).toISOString();
          const to = numberOf(1_000 + i);
          return postDue(
            i < RACE_NAMED
              ? { agent: { crmUserId: `u-race-${i}` }, to, notBefore }
              : { team: `race-${i % RACE_TEAMS}`, to, notBefore, maxWaitSec: 3600 },
            `race-${i}`,
          );
        }),
      );
      expect(placed.every((p) => p.status === 202 && p.body.state === 'scheduled')).toBe(true);
      const ids = placed.map(callIdOf);
      const clock = { now: new Date(minute + 60_000) };
      const schedulers = [schedulerAt(() => clock.now), schedulerAt(() => clock.now)];
      const since = env.sim.requests().at(-1)?.seq ?? 0;
      const wanted = new Set(ids);
      let running = true;
      const runs = Promise.all(schedulers.map((s) => s.runOnce())).finally(() => {
        running = false;
      });
      // The cancels start once the schedulers have dialled a first call, in an order unrelated to theirs (due order),
      // one every CANCEL_GAP_MS without waiting for the previous: spread over the runs, so that both sides win some.
      while (running && !env.sim.requests(since).some((r) => wanted.has(r.query.c2c_call_id ?? ''))) {
        await new Promise((r) => setTimeout(r, 1));
      }
      const order = ids.map((_, i) => ids[(i * 37) % total]!);
      const answers = new Map(
        await Promise.all(
          order.map(async (id, i) => {
            await new Promise((r) => setTimeout(r, i * CANCEL_GAP_MS));
            return [id, await cancelCall(id)] as const;
          }),
        ),
      );
      await runs;
      // Calls whose cancel lost and which the racing runs left waiting (a claim lost to the other run) dial now.
      await drain(schedulers, clock, ids);

      const per = getsPer(ids);
      let cancelled = 0;
      let dialled = 0;
      const odd: string[] = [];
      for (const id of ids) {
        const answer = answers.get(id)!;
        const state = (await store.get(TENANT, id))?.state;
        const gets = per.get(id) ?? 0;
        if (answer.status === 200 && answer.body.state === 'cancelled' && state === 'cancelled' && gets === 0) cancelled++;
        // Dialled once: the PBX accepted it (`dialing`), or its answer was late on a loaded machine (`unknown`): one GET either way.
        else if (
          answer.status === 409 &&
          answer.body.code === 'already_dispatched' &&
          (state === 'dialing' || state === 'unknown') &&
          gets === 1
        )
          dialled++;
        else odd.push(`${answer.status} ${answer.body.code ?? answer.body.state} ${state} ${gets} GET`);
      }
      record(
        `${total} cancels (DELETE /v1/calls/{id}) racing two schedulers over ${total} due calls (${RACE_NAMED} to named agents, ${RACE_TEAM} to ${RACE_TEAMS} teams)`,
        `each call cancelled with no GET, or dialled once and its cancel 409 already_dispatched; the two add to ${total}, both occur`,
        `${cancelled} cancelled (0 GET), ${dialled} dialled once (409 already_dispatched)${odd.length ? `; other: ${odd.join('; ')}` : ''}`,
        cancelled + dialled === total && odd.length === 0 && cancelled > 0 && dialled > 0,
      );
    }, 120_000);
  });

  describe('fairness across tenants (issue 17)', () => {
    /** Tenant A's limit of waiting calls: a full per-tenant share of a scheduler run (lib/calls/dispatch-due.ts). */
    const FAIR_LIMIT = 200;
    const MEMBERS = ['u-fa-1', 'u-fa-2'];

    it('tenant A holds its limit of waiting calls, tenant B dials on time', async () => {
      const { dispatchDueUseCase } = await import('../../lib/compose/dispatch-due');
      const caps = { perDestination: { max: 100_000, windowSec: 900 }, perAgentPerMinute: 100_000, perTenantPerSecond: 100_000 };
      const { key: keyA } = await seedTenant(
        env,
        { tenantId: 'rel-fair-a', policy: { caps, maxWaitingCalls: FAIR_LIMIT } },
        { agents: [] },
      );
      const { key: keyB } = await seedTenant(env, { tenantId: 'rel-fair-b' }, { agents: [{ crmUserId: 'u-fb', extension: '1000' }] });
      const presence = new AgentPresenceRepository(env.table);
      for (const [i, crmUserId] of MEMBERS.entries()) {
        await env.agents.put('rel-fair-a', crmUserId, { extension: `100${i + 1}`, teams: ['away'] });
        await presence.setAvailability('rel-fair-a', crmUserId, false, Math.floor(Date.now() / 1000));
      }
      const postAs = (k: string, body: { to: string } & Record<string, unknown>, idempotencyKey: string) => {
        numbersSent.add(body.to);
        return invoke(create, { method: 'POST', route: '/v1/calls', headers: { ...bearer(k), 'idempotency-key': idempotencyKey }, body });
      };
      const queuedBody = (i: number) => ({ team: 'away', to: `+44 7766 ${870_000 + i}`, maxWaitSec: 3600 });
      const states: string[] = [];
      for (let batch = 0; batch < FAIR_LIMIT; batch += 20) {
        const answers = await Promise.all(Array.from({ length: 20 }, (_, k) => postAs(keyA, queuedBody(batch + k), `fair-a-${batch + k}`)));
        states.push(...answers.map((a) => String(a.body.state)));
      }
      const queued = states.filter((s) => s === 'queued').length;
      const over = await postAs(keyA, queuedBody(FAIR_LIMIT), 'fair-a-over');
      const overId = callIdFor('rel-fair-a', 'fair-a-over');
      const overKept = await calls(createRoot({ config: loadConfig() })).get('rel-fair-a', overId);

      // B's call is due 2 s from now; the scheduler runs as deployed, every second (as on the local stack).
      const notBefore = new Date(Date.now() + 2_000);
      const b = await postAs(keyB, { agent: { crmUserId: 'u-fb' }, to: '+44 7766 879999', notBefore: notBefore.toISOString() }, 'fair-b');
      const bId = callIdOf(b);
      const scheduler = dispatchDueUseCase(createRoot({ config: loadConfig() }));
      const deadline = notBefore.getTime() + 15_000;
      let runs = 0;
      while (dialsFor(env.sim, bId) === 0 && Date.now() < deadline) {
        const started = Date.now();
        await scheduler.runOnce();
        runs++;
        await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - started))));
      }
      const gets = env.sim.requests().filter((r) => r.query.c2c_call_id === bId);
      const lateMs = gets[0] ? Date.parse(gets[0].at) - notBefore.getTime() : Infinity;
      const aIds = new Set(
        Array.from({ length: FAIR_LIMIT + 1 }, (_, i) => callIdFor('rel-fair-a', i < FAIR_LIMIT ? `fair-a-${i}` : 'fair-a-over')),
      );
      const aGets = env.sim.requests().filter((r) => aIds.has(r.query.c2c_call_id ?? '')).length;
      record(
        "fairness: tenant A holds its limit of waiting calls, tenant B's scheduled call dials within 3 s of its time",
        `A: ${FAIR_LIMIT} queued (team away), the next 429 waiting_limit with nothing written; B: 1 GET within 3 s of notBefore`,
        `A: ${queued} queued, the next ${over.status} ${over.body.code}${overKept ? ' (call written)' : ', nothing written'}; ` +
          `B: ${gets.length} GET, ${Number.isFinite(lateMs) ? `${(lateMs / 1000).toFixed(1)} s after notBefore` : 'none'} (${runs} scheduler runs); A: ${aGets} GET`,
        queued === FAIR_LIMIT &&
          over.status === 429 &&
          over.body.code === 'waiting_limit' &&
          overKept === undefined &&
          gets.length === 1 &&
          lateMs <= 3_000 &&
          aGets === 0,
      );
    }, 120_000);
  });

  it(`input fuzz: ${FUZZ_RUNS.toLocaleString('en')} generated bodies and headers`, async () => {
    const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });
    const valid = { agent: { crmUserId: 'u-fuzz' }, to: '+44 7766 889900' };
    const insertAt = (s: string, at: number, what: string) => s.slice(0, at % (s.length + 1)) + what + s.slice(at % (s.length + 1));
    const urlish = fc.constantFrom('/', '?', '#', '..', '../', '%2F', '\\', '&', '=', '\u0000', '\u202e');
    const badNumber = fc.oneof(
      fc.tuple(fc.nat(), fc.constantFrom('a', 'O', 'l', 'X', 'e')).map(([at, c]) => insertAt('+44 7766 889900', at, c)),
      fc.tuple(fc.nat(), urlish).map(([at, c]) => insertAt('+44 7766 889900', at, c)),
      fc.integer({ min: 65, max: 5000 }).map((n) => `+44 7766 889900 ${'9'.repeat(n)}`),
      fc.string({ unit: 'binary', minLength: 0, maxLength: 80 }),
      digits(8, 8).map((d) => `+44 90${d}`), // premium rate
      digits(8, 8).map((d) => `+44 70${d}`), // deny-listed prefix
      digits(8, 8).map((d) => `+33 6${d}`), // a country the tenant does not call
      digits(0, 4).map((d) => `+44${d}`),
    );
    const badBody = fc.oneof(
      badNumber.map((to) => ({ ...valid, to })),
      fc
        .oneof(urlish, fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }), fc.constant('*'.repeat(11)))
        .map((prefix) => ({ ...valid, prefix: `*${prefix}x` })),
      fc
        .oneof(
          fc.constant({}),
          fc.constant({ crmUserId: 'u-fuzz', extension: '1001' }),
          fc.string({ unit: 'binary', minLength: 0, maxLength: 40 }).map((id) => ({ crmUserId: `${id}#/` })),
          fc
            .string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 20 })
            .map((id) => ({ crmUserId: `nobody-${id.replace(/[\s#/?%\\]/g, '')}` })),
          fc.string({ unit: 'binary', maxLength: 30 }).map((email) => ({ email })),
        )
        .map((agent) => ({ ...valid, agent })),
      fc
        .oneof(
          fc.constant({ leadid: 'x' }),
          fc.constant({ c2c_call_id: 'c_x' }),
          fc.record({ a: fc.integer() }),
          fc.string({ unit: 'binary', maxLength: 20 }).map((v) => ({ '9bad-name': v })),
          fc.constant(Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v']))),
        )
        .map((customData) => ({ ...valid, customData })),
      fc.string({ unit: 'binary', maxLength: 20 }).map((v) => ({ ...valid, extra: v })),
      fc.string({ unit: 'binary', maxLength: 200 }).map((lead) => ({ ...valid, lead: { id: `${lead}\u0007` } })),
      fc.anything().filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)),
    );
    const badHeader = fc.oneof(
      fc.constant(''),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }).map((s) => `k ${s}`),
      fc.integer({ min: 256, max: 2000 }).map((n) => 'k'.repeat(n)),
      fc.constant('ключ'),
    );
    const sample = fc.oneof(
      { weight: 6, arbitrary: badBody.map((body) => ({ body, headers: {} })) },
      { weight: 1, arbitrary: badHeader.map((h) => ({ body: valid, headers: { 'idempotency-key': h } })) },
    );

    const before = env.sim.requests().length;
    const statuses = new Map<number, number>();
    let serverErrors = 0;
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(sample, async ({ body, headers }) => {
        const res = await post(body, headers);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status >= 500) serverErrors++;
        if (res.status < 400) accepted++;
        return res.status === 400 || res.status === 422;
      }),
      { numRuns: FUZZ_RUNS, seed: Number(process.env.FUZZ_SEED ?? 20261126) },
    );
    const gets = env.sim.requests().length - before;
    const summary = [...statuses]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${n}x${s}`)
      .join(', ');
    record(
      `input fuzz (${FUZZ_RUNS.toLocaleString('en')} invalid bodies and headers, fast-check)`,
      'only 400/422; no 5xx; no GET',
      `${summary}; ${serverErrors} 5xx; ${accepted} accepted; ${gets} GET`,
      gets === 0 && serverErrors === 0 && accepted === 0,
    );
  }, 600_000);

  it('log scan: no whole phone number, API key or secret in anything logged', () => {
    const text = logged.join('');
    const lines = text.split('\n').filter(Boolean).length;
    const leakedNumbers = [...numbersSent]
      .map((n) => n.replace(/\D/g, ''))
      .filter((d) => d.length >= 9 && /^(44|33)/.test(d))
      .filter((d) => text.includes(d));
    const secrets = [key, PBX_SECRET].filter((s) => text.includes(s));
    record(
      'log scan over everything the suite logged',
      'no whole phone number, no API key, no secret',
      `${lines} log lines; ${leakedNumbers.length} numbers, ${secrets.length} secrets found`,
      lines > 0 && leakedNumbers.length === 0 && secrets.length === 0,
    );
  });
});
