import { randomUUID } from 'node:crypto';
import { doNotCallHash } from '../lib/store/do-not-call';
import { AgentPresenceRepository } from '../lib/store/agent-presence';
import { loadConfig } from '../lib/config';
import { CallRepository } from '../lib/store/calls';
import { WORK_REFRESH_MS } from '../lib/store/work-directory';
import { newLocalKey } from '../lib/secrets/seal';
import { startHubSpotFake } from '../local/crm-fakes/hubspot';
import { createTable, startDynalite } from '../local/dynamo';
import { startPbxSimulator } from '../local/pbx-sim/simulator';
import { startWebhookReceiver } from '../local/webhook-receiver';
import { DynamoMeter, METER_USER_AGENT, type BilledRequest } from './dynamo-meter';
import { watchDynaliteKeys, type SeenRequest } from './dynalite-keys';
import {
  callRequest,
  hookRequest,
  invokeApi,
  seedTenant,
  serial,
  servePbxEvents,
  setupTable,
  SETUP_USER_AGENT,
  type ApiHandler,
  type ApiRequest,
  type SeededTenant,
} from './partition-env';
import { heatUnit, type Ids, type KindRun, type Touch } from './partition-keys';
import { silenceStdout } from './warm';

/**
 * The flows of the partition model, run one at a time against dynalite with the bench meter on the compose root's
 * client (what every handler and use case of this process uses): each call's whole life, stage by stage, with what
 * each stage read and wrote, key by key. Kinds: a call placed now to a named agent, a team call with a member free
 * (routing), a scheduled call (dispatched by the scheduler at its time), a queued team call (every member away, then
 * one back, then the scheduler), and a call from a webhook source. Every call then plays out at the PBX simulator
 * (Call Start, Answer, End to the pbx-events handler over HTTP), and after each stage that appends an event the
 * notifier's pass (as the stream invokes it) delivers the outcome to the callback and logs the call in HubSpot.
 */

export const KINDS = ['immediate', 'team', 'scheduled', 'queued', 'webhook'] as const;
export type Kind = (typeof KINDS)[number];
const TEAM_KINDS: ReadonlySet<Kind> = new Set(['team', 'queued']);

export interface FlowResult {
  runs: KindRun[];
  /** The shortest lifetime of a container's caches (the work directory's refresh, the copies of keys and tenants). */
  cacheIntervalMs: number;
  /** The scheduler's idle polls (nothing due): per poll, not per call. */
  polls: Touch[][];
  ids: Ids;
  /** Key namings (access, index, partition and sort key) of every request: the meter's and dynalite's. */
  check: {
    meter: Map<string, number>;
    dynalite: Map<string, number>;
    meterOps: Record<string, number>;
    dynaliteOps: Record<string, number>;
  };
  /** Calls that reached their final state, were dialled once, had their notifications and their CRM log. */
  lives: { calls: number; final: number; dialledOnce: number; notified: number; logged: number };
}

const PLAYOUT = { default: { outcome: 'answered' as const, ringSec: 0.2, talkSec: 0.3 } };
const AGENTS_PER_TENANT = 8;

/** The touches of one request: its table write or read, and each index copy a write changed. */
export function touchesOf(request: BilledRequest, stage: string): Touch[] {
  const touches: Touch[] = [];
  for (const w of request.writes) {
    touches.push({ unit: heatUnit({ pk: w.pk, sk: w.sk }), index: 'table', stage, wcu: w.wcu, rcu: 0, requests: 1, writes: 1 });
    for (const copy of w.indexes)
      touches.push({
        unit: heatUnit({ pk: copy.pk, sk: copy.sk }),
        index: copy.index,
        stage,
        wcu: copy.wcu,
        rcu: 0,
        requests: 0,
        writes: 0,
      });
  }
  for (const r of request.reads) {
    const range = request.command === 'Query' || request.command === 'Scan';
    touches.push({ unit: heatUnit({ pk: r.pk, sk: r.sk, range }), index: r.index, stage, wcu: 0, rcu: r.rru, requests: 1, writes: 0 });
  }
  return touches;
}

/** `a` less what `b` put on the same units (floored at zero): a dispatch pass less an idle poll's reads. */
export function subtractTouches(a: Touch[], b: Touch[]): Touch[] {
  const left = new Map<string, { wcu: number; rcu: number; requests: number; writes: number }>();
  for (const t of b) {
    const k = `${t.index} ${t.unit}`;
    const s = left.get(k) ?? { wcu: 0, rcu: 0, requests: 0, writes: 0 };
    left.set(k, { wcu: s.wcu + t.wcu, rcu: s.rcu + t.rcu, requests: s.requests + t.requests, writes: s.writes + t.writes });
  }
  const out: Touch[] = [];
  for (const t of a) {
    const s = left.get(`${t.index} ${t.unit}`);
    if (!s) {
      out.push(t);
      continue;
    }
    const take = {
      wcu: Math.min(s.wcu, t.wcu),
      rcu: Math.min(s.rcu, t.rcu),
      requests: Math.min(s.requests, t.requests),
      writes: Math.min(s.writes, t.writes),
    };
    s.wcu -= take.wcu;
    s.rcu -= take.rcu;
    s.requests -= take.requests;
    s.writes -= take.writes;
    const rest = {
      ...t,
      wcu: t.wcu - take.wcu,
      rcu: t.rcu - take.rcu,
      requests: t.requests - take.requests,
      writes: t.writes - take.writes,
    };
    if (rest.wcu > 0 || rest.rcu > 0 || rest.requests > 0) out.push(rest);
  }
  return out;
}

const keyNaming = (access: string, index: string, pk: string, sk: string | undefined) => `${access} ${index} ${pk} ${sk ?? ''}`;
const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

export async function runFlows(options: { callsPerKind: number; tenants: number }): Promise<FlowResult> {
  const dynamo = await startDynalite();
  const tableName = `c2c-model-${randomUUID().slice(0, 8)}`;
  await createTable(dynamo.endpoint, tableName);
  const seen = watchDynaliteKeys(dynamo.port, [METER_USER_AGENT, SETUP_USER_AGENT]);
  const setup = setupTable(dynamo.endpoint, tableName);
  const sealKey = newLocalKey();
  const receiver = await startWebhookReceiver({ secrets: [], onError: () => undefined });
  const hubspot = await startHubSpotFake({ burstPer10s: 1_000_000, searchPerSecond: 1_000_000 });
  const close: Array<() => Promise<unknown>> = [() => hubspot.close(), () => receiver.close(), () => dynamo.close()];
  const silenced = silenceStdout();
  try {
    const plans = Array.from({ length: options.tenants }, (_, t) => ({
      tenantId: `pm-${t}`,
      agents: Array.from({ length: AGENTS_PER_TENANT }, (_, i) => ({
        crmUserId: String(700000 + t * 100 + i),
        extension: String(2000 + t * 100 + i),
        email: `agent${i}@pm-${t}.example`,
        teams: i < 4 ? ['sales'] : i === 4 ? ['queue'] : [],
      })),
    }));
    hubspot.seed.owners(...plans.flatMap((p) => p.agents.map((a) => a.crmUserId)));
    let target: { tenant: SeededTenant } | undefined;
    let eventsUrl = '';
    const sim = await startPbxSimulator({
      extensions: plans.flatMap((p) => p.agents.map((a) => a.extension)),
      playout: PLAYOUT,
      webhooksFor: () =>
        Promise.resolve(
          target ? [{ url: `${eventsUrl}/v1/pbx-events/${target.tenant.tenantId}/${target.tenant.pbxToken}`, method: 'GET' as const }] : [],
        ),
    });
    close.unshift(() => sim.close());
    const tenants: SeededTenant[] = [];
    for (const plan of plans)
      tenants.push(await seedTenant(setup, sealKey, plan, { pbx: sim.url, callback: `${receiver.url}/hook`, hubspot: hubspot.url }));
    receiver.setSecrets(tenants.flatMap((t) => t.callbackSecrets));

    Object.assign(process.env, {
      TABLE_NAME: tableName,
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      AWS_REGION: 'eu-west-1',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      PBX_TIMEOUT_MS: '5000',
      ALLOW_PRIVATE_OUTBOUND: 'true',
      C2C_LOCAL_SEAL_KEY: sealKey,
    });
    const { table } = await import('../lib/compose/shared');
    const { notifierUseCase } = await import('../lib/compose/notifier');
    const { dispatchDueUseCase } = await import('../lib/compose/dispatch-due');
    const create = (await import('../functions/calls-create')).handler as unknown as ApiHandler;
    const hooks = (await import('../functions/hooks')).handler as unknown as ApiHandler;
    const pbxEvents = (await import('../functions/pbx-events')).handler as unknown as ApiHandler;
    const notifier = notifierUseCase();
    const scheduler = dispatchDueUseCase();
    const meter = new DynamoMeter(dynamo.endpoint, tableName);
    close.unshift(() => Promise.resolve(meter.destroy()));
    meter.instrument(table().doc);
    meter.billing = true;

    const lock = serial();
    const lives = new Map<string, Touch[]>();
    const eventsOf = new Map<string, number>();
    const allBilled: BilledRequest[] = [];
    const measured = async <T>(fn: () => Promise<T>): Promise<{ out: T; billed: BilledRequest[] }> => {
      const from = meter.billed.length;
      const out = await fn();
      const billed = meter.billed.slice(from);
      allBilled.push(...billed);
      return { out, billed };
    };
    const record = (callId: string, stage: string, billed: BilledRequest[]) => {
      const touches = lives.get(callId) ?? [];
      touches.push(...billed.flatMap((r) => touchesOf(r, stage)));
      lives.set(callId, touches);
    };
    const notify = async (tenantId: string, callId: string) => {
      const { billed } = await measured(() => notifier.deliverCall(tenantId, callId));
      record(callId, 'notify', billed);
    };
    const events = await servePbxEvents(pbxEvents, ({ tenantId, query }, run) =>
      lock(async () => {
        const callId = query.c2c_call_id ?? '?';
        const { out, billed } = await measured(run);
        record(callId, 'pbx-event', billed);
        await notify(tenantId, callId);
        eventsOf.set(callId, (eventsOf.get(callId) ?? 0) + 1);
        return out;
      }),
    );
    eventsUrl = events.url;
    close.unshift(() => events.close());
    const presence = new AgentPresenceRepository(setup);
    const polls: Touch[][] = [];
    const poll = () =>
      lock(async () => {
        const { billed } = await measured(() => scheduler.runOnce());
        const touches = billed.flatMap((r) => touchesOf(r, 'poll'));
        polls.push(touches);
        return touches;
      });

    const ids = {
      tenant: new Set<string>(),
      team: new Set<string>(),
      agent: new Set<string>(),
      lead: new Set<string>(),
      number: new Set<string>(),
      call: new Set<string>(),
    };
    for (const t of tenants) {
      ids.tenant.add(t.tenantId).add(t.keyHash);
      for (const team of t.teams) ids.team.add(team);
      for (const a of t.agents) ids.agent.add(a.crmUserId).add(a.extension).add(a.email);
    }
    const runs: KindRun[] = [];
    const callIds: Array<{ tenantId: string; callId: string }> = [];
    let n = 0;
    for (const kind of KINDS) {
      const calls: Touch[][] = [];
      const started = Date.now();
      for (let i = 0; i < options.callsPerKind; i++, n++) {
        const tenant = tenants[n % tenants.length]!;
        target = { tenant };
        const lead = String(900000 + n);
        const e164 = `+447766${String(900000 + n)}`;
        hubspot.seed.contacts(lead);
        ids.lead.add(lead);
        ids.number.add(e164).add(e164.slice(1)).add(doNotCallHash(tenant.tenantId, e164));
        const named = tenant.agents[5 + (n % 3)]!;
        const queueAgent = tenant.agents[4]!;
        const baseline = kind === 'scheduled' || kind === 'queued' ? await poll() : [];
        if (kind === 'queued') await presence.setAvailability(tenant.tenantId, queueAgent.crmUserId, false, Math.floor(Date.now() / 1000));
        const notBefore = new Date(Date.now() + 1500).toISOString();
        const request: ApiRequest =
          kind === 'webhook'
            ? hookRequest(tenant, `${n}`, named.email, { to: e164, lead })
            : callRequest(
                tenant,
                `${kind}-${n}`,
                kind === 'team' ? { team: 'sales' } : kind === 'queued' ? { team: 'queue', maxWaitSec: 600 } : { agent: named.crmUserId },
                { to: e164, lead, ...(kind === 'scheduled' ? { notBefore } : {}) },
              );
        const { out: answer, billed } = await lock(() => measured(() => invokeApi(kind === 'webhook' ? hooks : create, request)));
        const call = (answer.body.call ?? answer.body) as { callId?: string; state?: string };
        if (!call.callId) throw new Error(`${kind} call ${n}: answered ${answer.status} ${JSON.stringify(answer.body)}`);
        const callId = call.callId;
        ids.call.add(callId);
        callIds.push({ tenantId: tenant.tenantId, callId });
        record(callId, 'request', billed);
        await lock(() => notify(tenant.tenantId, callId));
        if (kind === 'scheduled' || kind === 'queued') {
          if (kind === 'scheduled') await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(notBefore) - Date.now() + 50)));
          else await presence.setAvailability(tenant.tenantId, queueAgent.crmUserId, true, Math.floor(Date.now() / 1000));
          const dispatched = await lock(() => measured(() => scheduler.runOnce()));
          const touches = subtractTouches(
            dispatched.billed.flatMap((r) => touchesOf(r, 'dispatch')),
            baseline.map((t) => ({ ...t, stage: 'dispatch' })),
          );
          lives.set(callId, [...(lives.get(callId) ?? []), ...touches]);
          await lock(() => notify(tenant.tenantId, callId));
        }
        for (let w = 0; w < 300 && (eventsOf.get(callId) ?? 0) < 3; w++) await new Promise((r) => setTimeout(r, 50));
        calls.push(lives.get(callId) ?? []);
      }
      runs.push({ kind, team: TEAM_KINDS.has(kind), calls, seconds: (Date.now() - started) / 1000 });
    }
    meter.billing = false;
    for (const uniqueId of sim.requests().map((r) => r.uniqueId)) if (uniqueId) ids.call.add(uniqueId);

    // What became of each call: its final state, one GET, the callback's notifications, HubSpot's call log.
    const repo = new CallRepository(setup);
    const dials = new Map<string, number>();
    for (const r of sim.requests()) if (r.query.c2c_call_id) bump(dials, r.query.c2c_call_id);
    let final = 0;
    for (const { tenantId, callId } of callIds) if ((await repo.get(tenantId, callId))?.state === 'completed') final++;
    const notified = new Set(
      receiver
        .notifications()
        .filter((x) => x.type === 'call.completed')
        .map((x) => x.data.call.callId),
    );
    const logged = new Set(hubspot.records.map((r) => /(c_[0-9A-Za-z]+)\s*(?:<\/p>)?\s*$/.exec(r.properties.hs_call_body ?? '')?.[1]));

    return {
      runs,
      cacheIntervalMs: Math.min(WORK_REFRESH_MS, loadConfig().AUTH_CACHE_TTL_MS),
      polls,
      ids,
      check: checkCounts(allBilled, seen.requests()),
      lives: {
        calls: callIds.length,
        final,
        dialledOnce: callIds.filter((c) => dials.get(c.callId) === 1).length,
        notified: callIds.filter((c) => notified.has(c.callId)).length,
        logged: callIds.filter((c) => logged.has(c.callId)).length,
      },
    };
  } finally {
    silenced.restore();
    seen.stop();
    setup.doc.destroy();
    for (const stop of close) await stop().catch(() => undefined);
  }
}

/** The meter's key namings and operations against dynalite's. */
function checkCounts(billed: BilledRequest[], seen: SeenRequest[]): FlowResult['check'] {
  const meter = new Map<string, number>();
  const dynalite = new Map<string, number>();
  const meterOps: Record<string, number> = {};
  const dynaliteOps: Record<string, number> = {};
  for (const r of billed) {
    meterOps[r.command] = (meterOps[r.command] ?? 0) + 1;
    for (const w of r.writes) bump(meter, keyNaming('write', 'table', w.pk, w.sk));
    for (const x of r.reads) bump(meter, keyNaming('read', x.index, x.pk, x.sk));
  }
  for (const s of seen) {
    dynaliteOps[s.operation] = (dynaliteOps[s.operation] ?? 0) + 1;
    for (const t of s.targets) bump(dynalite, keyNaming(t.access, t.index, t.pk, t.sk));
  }
  return { meter, dynalite, meterOps, dynaliteOps };
}
