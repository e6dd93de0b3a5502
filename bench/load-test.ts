/**
 * The load test (`npm run bench -- --only load-test`, or `npx tsx bench/load-test.ts [--quick] [--write]
 * [--model <json>]`): `npm start`'s stack on this machine (serverless-offline, dynalite, the PBX simulator), 50
 * tenants, 20 teams, 1,000 agents, a mix of calls to a named agent, team calls, scheduled calls and calls from a
 * webhook source, every call playing out at the simulator (its PBX Stats events to the pbx-events handler), notified
 * to the tenant's callback and logged in HubSpot (the stand-in). It checks every call was dialled once, reached its
 * final state and was notified, and counts the hottest keys at dynalite against the partition model's ranking.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { listenOnLoopback } from '../local/ports';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { CallRepository } from '../lib/store/calls';
import { startHubSpotFake } from '../local/crm-fakes/hubspot';
import { startPoller } from '../local/lifecycle';
import { startLocalStack, LOCAL_TABLE_NAME } from '../local/stack';
import { LOCAL_TOKEN_ID } from '../local/tenant-sync';
import { startWebhookReceiver } from '../local/webhook-receiver';
import { METER_USER_AGENT } from './dynamo-meter';
import { watchDynaliteKeys } from './dynalite-keys';
import { compareRankings, countWrites, type HotKey, type LoadCall } from './load-ranking';
import { callRequest, hookRequest, seedTenant, setupTable, SETUP_USER_AGENT, type ApiRequest, type SeededTenant } from './partition-env';
import { parseModel, partitionModelInChild, scratchFile, type PartitionModel } from './partition-model';
import { editBenchmarks, replaceSection, runAndExit } from './sections';

const execFileAsync = promisify(execFile);

export const LOAD_HEADING = '## Load test: 50 tenants, 20 teams, 1,000 agents';
const TENANTS = 50;
const AGENTS_PER_TENANT = 20;
/** Tenants with teams: two each, five agents a team (20 teams). */
const TEAM_TENANTS = 10;
const TEAMS = ['team-a', 'team-b'];
/** The mix, per ten calls. */
const MIX = ['immediate', 'immediate', 'immediate', 'immediate', 'team', 'team', 'scheduled', 'scheduled', 'webhook', 'webhook'] as const;
type LoadKind = (typeof MIX)[number];
const PLAYOUT = { default: { outcome: 'answered' as const, ringSec: 1, talkSec: 2 } };
export const LOAD_TARGETS = { correlation: 0.8 } as const;

export interface LoadResult {
  durationSec: number;
  concurrency: number;
  tenants: number;
  teams: number;
  agents: number;
  byKind: Record<
    string,
    { sent: number; accepted: number; refused: number; final: number; dialledOnce: number; notified: number; logged: number }
  >;
  /** Answers other than 201/202, by status. */
  refusals: Record<string, number>;
  callsPerSecond: number;
  dials: number;
  duplicateDials: number;
  settleSec: number;
  dynamoRequests: number;
  hot: { keys: HotKey[]; correlation: number; sameHottest: boolean };
}

export async function measureLoadTest(options: { durationSec: number; concurrency: number; model: PartitionModel }): Promise<LoadResult> {
  const hubspot = await startHubSpotFake({ burstPer10s: 1_000_000, searchPerSecond: 1_000_000 });
  const receiver = await startWebhookReceiver({ secrets: [], onError: () => undefined });
  const stack = await startLocalStack({ notifyPollMs: 0, tenantSyncMs: 3_600_000, playout: PLAYOUT });
  const seen = watchDynaliteKeys(Number(new URL(stack.dynamoEndpoint).port), [METER_USER_AGENT, SETUP_USER_AGENT]);
  const setup = setupTable(stack.dynamoEndpoint, LOCAL_TABLE_NAME);
  const stops: Array<() => Promise<unknown>> = [() => stack.stop(), () => receiver.close(), () => hubspot.close()];
  try {
    // Seeding: 50 tenants of 20 agents; the first 10 with two teams of five. The PBX events token carries the local
    // stack's own id, so that its tenant sync sends no events of its own: the proxy below sends each call's.
    const tenants: SeededTenant[] = [];
    for (let t = 0; t < TENANTS; t++) {
      const agents = Array.from({ length: AGENTS_PER_TENANT }, (_, i) => {
        const g = t * AGENTS_PER_TENANT + i;
        return {
          crmUserId: String(100000 + g),
          extension: String(10000 + g),
          email: `a${g}@lt.example`,
          teams: t < TEAM_TENANTS && i < TEAMS.length * 5 ? [TEAMS[Math.floor(i / 5)]!] : [],
        };
      });
      tenants.push(
        await seedTenant(
          setup,
          stack.sealKey,
          { tenantId: `lt-${t}`, agents },
          { pbx: stack.pbxSimulatorUrl, callback: `${receiver.url}/hook`, hubspot: hubspot.url },
          { pbxTokenId: LOCAL_TOKEN_ID },
        ),
      );
    }
    receiver.setSecrets(tenants.flatMap((t) => t.callbackSecrets));
    hubspot.seed.owners(...tenants.flatMap((t) => t.agents.map((a) => a.crmUserId)));
    const byExtension = new Map(tenants.flatMap((t) => t.agents.map((a) => [a.extension, t] as const)));
    stack.simulator.setExtensions([...byExtension.keys()]);
    const proxy = await pbxEventsProxy(stack.apiUrl, byExtension);
    stops.unshift(() => proxy.close());
    stack.simulator.setWebhooks([{ url: `${proxy.url}/pbx`, method: 'GET', retries: 3, retryDelaySec: 1 }]);

    // The notifier as the notify function runs it (the compose root's, with the CRM pace), on a poller of the outbox.
    Object.assign(process.env, {
      TABLE_NAME: LOCAL_TABLE_NAME,
      DYNAMODB_ENDPOINT: stack.dynamoEndpoint,
      AWS_REGION: 'eu-west-1',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      ALLOW_PRIVATE_OUTBOUND: 'true',
      C2C_LOCAL_SEAL_KEY: stack.sealKey,
    });
    const { notifierUseCase } = await import('../lib/compose/notifier');
    const notifier = notifierUseCase();
    const poller = startPoller(
      () => notifier.deliverDue(),
      250,
      () => undefined,
    );
    stops.unshift(() => poller.stop());

    // Warm-up, untimed: the first requests load the handlers; their calls play out before the count starts.
    const warm: string[] = [];
    hubspot.seed.contacts('299999');
    for (const t of tenants.slice(0, 2)) {
      const answer = await post(
        stack.apiUrl,
        callRequest(t, `warm-${t.tenantId}`, { agent: t.agents[19]!.crmUserId }, { to: '+447700900001', lead: '299999' }),
      );
      if (typeof answer.body.callId === 'string') warm.push(answer.body.callId);
    }
    await new Promise((r) => setTimeout(r, 6000));
    stack.simulator.clearRequests();
    seen.clear();

    const calls: Array<LoadCall & { n: number; status: number }> = [];
    const refusals: Record<string, number> = {};
    const started = Date.now();
    const deadline = started + options.durationSec * 1000;
    let next = 0;
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (Date.now() < deadline) {
          const n = next++;
          const kind: LoadKind = MIX[n % MIX.length]!;
          const tenant = kind === 'team' ? tenants[n % TEAM_TENANTS]! : tenants[n % TENANTS]!;
          const agent = tenant.agents[Math.floor(n / TENANTS) % AGENTS_PER_TENANT]!;
          const lead = String(300000 + n);
          hubspot.seed.contacts(lead);
          const to = `+447766${String(100000 + n)}`;
          const team = TEAMS[n % 2]!;
          const request: ApiRequest =
            kind === 'webhook'
              ? hookRequest(tenant, `lt-${n}`, agent.email, { to, lead })
              : callRequest(tenant, `lt-${n}`, kind === 'team' ? { team, maxWaitSec: 120 } : { agent: agent.crmUserId }, {
                  to,
                  lead,
                  ...(kind === 'scheduled' ? { notBefore: new Date(Date.now() + 3000 + (n % 10) * 1000).toISOString() } : {}),
                });
          const answer = await post(stack.apiUrl, request);
          const call = (answer.body.call ?? answer.body) as { callId?: string };
          if ((answer.status === 201 || answer.status === 202) && call.callId)
            calls.push({
              n,
              kind,
              tenantId: tenant.tenantId,
              callId: call.callId,
              status: answer.status,
              ...(kind === 'team' ? { team } : {}),
            });
          else refusals[`${kind} ${answer.status}`] = (refusals[`${kind} ${answer.status}`] ?? 0) + 1;
        }
      }),
    );
    const elapsed = (Date.now() - started) / 1000;
    const sent = next;

    // Settling: every call reaches a final state (scheduled ones dial at their time), its notification is delivered
    // and its call logged; at most three minutes.
    const repo = new CallRepository(setup);
    const final = new Map<string, { state: string; agent?: string }>();
    const settleFrom = Date.now();
    for (let i = 0; i < 90; i++) {
      for (const c of calls) {
        if (final.get(c.callId)?.state === 'completed') continue;
        const stored = await repo.get(c.tenantId, c.callId);
        if (stored) final.set(c.callId, { state: stored.state, ...(stored.agent?.crmUserId ? { agent: stored.agent.crmUserId } : {}) });
      }
      const notified = completedNotifications(receiver);
      if (calls.every((c) => final.get(c.callId)?.state === 'completed' && notified.has(c.callId))) break;
      await new Promise((r) => setTimeout(r, 2000));
    }
    const settleSec = (Date.now() - settleFrom) / 1000;
    const dials = stack.simulator.requests().filter((r) => r.query.c2c_call_id);
    const dialCount = new Map<string, number>();
    for (const d of dials) dialCount.set(d.query.c2c_call_id!, (dialCount.get(d.query.c2c_call_id!) ?? 0) + 1);
    const notified = completedNotifications(receiver);
    const logged = new Set(hubspot.records.map((r) => /(c_[0-9A-Za-z]+)\s*(?:<\/p>)?\s*$/.exec(r.properties.hs_call_body ?? '')?.[1]));

    const byKind: LoadResult['byKind'] = {};
    for (const kind of new Set(MIX)) {
      const mine = calls.filter((c) => c.kind === kind);
      byKind[kind] = {
        sent: Array.from({ length: sent }, (_, n) => MIX[n % MIX.length]).filter((k) => k === kind).length,
        accepted: mine.length,
        refused: Object.entries(refusals)
          .filter(([k]) => k.startsWith(`${kind} `))
          .reduce((s, [, v]) => s + v, 0),
        final: mine.filter((c) => final.get(c.callId)?.state === 'completed').length,
        dialledOnce: mine.filter((c) => dialCount.get(c.callId) === 1).length,
        notified: mine.filter((c) => notified.has(c.callId)).length,
        logged: mine.filter((c) => logged.has(c.callId)).length,
      };
    }

    // The hottest keys: writes dynalite received from the first call of the run until everything settled.
    const requests = seen.requests();
    const ids = {
      tenant: new Set(tenants.flatMap((t) => [t.tenantId, t.keyHash])),
      team: new Set(TEAMS),
      agent: new Set(tenants.flatMap((t) => t.agents.flatMap((a) => [a.crmUserId, a.extension, a.email]))),
      lead: new Set(calls.map((c) => String(300000 + c.n))),
      number: new Set(calls.flatMap((c) => [`+447766${String(100000 + c.n)}`, `447766${String(100000 + c.n)}`])),
      call: new Set([...warm, ...calls.map((c) => c.callId), ...dials.map((d) => d.uniqueId ?? '')]),
    };
    const loadCalls = calls.map((c) => ({ ...c, ...(final.get(c.callId)?.agent ? { agent: final.get(c.callId)!.agent } : {}) }));
    return {
      durationSec: options.durationSec,
      concurrency: options.concurrency,
      tenants: TENANTS,
      teams: TEAM_TENANTS * TEAMS.length,
      agents: TENANTS * AGENTS_PER_TENANT,
      byKind,
      refusals,
      callsPerSecond: calls.length / elapsed,
      dials: dials.length,
      duplicateDials: [...dialCount.values()].filter((v) => v > 1).length,
      settleSec,
      dynamoRequests: requests.length,
      hot: compareRankings(countWrites(requests.flatMap((r) => r.targets)), ids, options.model.loads, loadCalls),
    };
  } finally {
    seen.stop();
    setup.doc.destroy();
    for (const stop of stops) await stop().catch(() => undefined);
  }
}

const completedNotifications = (receiver: Awaited<ReturnType<typeof startWebhookReceiver>>) =>
  new Set(
    receiver
      .notifications()
      .filter((x) => x.type === 'call.completed')
      .map((x) => x.data.call.callId),
  );

async function post(apiUrl: string, request: ApiRequest): Promise<{ status: number; body: Record<string, unknown> }> {
  const url = `${apiUrl}${request.route.replace(/\{(\w+)\}/g, (_, name: string) => request.path?.[name] ?? '')}`;
  const res = await fetch(url, {
    method: request.method,
    headers: { 'content-type': 'application/json', ...request.headers },
    body: request.body,
    signal: AbortSignal.timeout(30_000),
  }).catch(() => undefined);
  if (!res) return { status: 0, body: {} };
  const text = await res.text();
  return { status: res.status, body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/**
 * The simulator's PBX Stats webhooks to each tenant's pbx-events URL, found by the agent's extension the event names
 * (as each tenant's own PBX Stats would send them).
 */
async function pbxEventsProxy(apiUrl: string, byExtension: Map<string, SeededTenant>): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    const url = new URL(req.url ?? '/', 'http://local');
    const tenant = byExtension.get(url.searchParams.get('extension') ?? '');
    if (!tenant) return void res.writeHead(404).end();
    fetch(`${apiUrl}/v1/pbx-events/${tenant.tenantId}/${tenant.pbxToken}?${url.searchParams.toString()}`, {
      signal: AbortSignal.timeout(30_000),
    }).then(
      async (answer) => {
        await answer.body?.cancel();
        res.writeHead(answer.status).end();
      },
      () => res.writeHead(502).end(),
    );
  });
  return listenOnLoopback(server);
}

const verdict = (ok: boolean) => (ok ? 'holds' : '**missed**');
const code = (s: string) => `\`${s.replace(/\|/g, '\\|')}\``;

export function renderLoadSection(r: LoadResult): string[] {
  const lines = [LOAD_HEADING, ''];
  const kinds = Object.entries(r.byKind);
  const total = (f: (k: LoadResult['byKind'][string]) => number) => kinds.reduce((s, [, k]) => s + f(k), 0);
  const accepted = total((k) => k.accepted);
  lines.push(
    `\`bench/load-test.ts\`: \`npm start\`'s stack on this machine (${os.cpus().length} cores shared with the load: serverless-offline with the handlers in-process, ` +
      `dynalite, the PBX simulator, the notifier as the notify function runs it, polling the outbox), ${r.tenants} tenants of ${r.agents / r.tenants} agents (${r.agents} agents), ` +
      `${r.teams} teams of five (two in each of the first ${r.teams / 2} tenants), ${r.concurrency} clients in a closed loop for ${r.durationSec} s: of every ten calls four to a named agent, ` +
      'two team calls (waiting up to 120 s for a member), two scheduled 3 to 12 s ahead, two from a webhook source (`token`, the agent named by email). ' +
      "Every call plays out at the simulator (rings 1 s, talks 2 s) whose PBX Stats events go to the tenant's pbx-events URL; every outcome is delivered to the " +
      "tenant's callback and logged in HubSpot (the stand-in). The run then settles (scheduled calls dial at their time, the last events and deliveries land). " +
      '"Dialled once": the simulator received exactly one GET for the call. Run this section alone with `npm run bench -- --only load-test`.',
    '',
  );
  const allFinal = total((k) => k.final) === accepted;
  const allOnce = total((k) => k.dialledOnce) === accepted && r.duplicateDials === 0;
  const allNotified = total((k) => k.notified) === accepted;
  lines.push('| target | measured | verdict |', '|---|---|---|');
  lines.push(
    `| every call placed once | ${total((k) => k.dialledOnce)} of ${accepted} calls dialled once; ${r.duplicateDials} dialled twice; ${r.dials} GETs | ${verdict(allOnce)} |`,
    `| every final state reached | ${total((k) => k.final)} of ${accepted} completed (${r.settleSec.toFixed(0)} s to settle) | ${verdict(allFinal)} |`,
    `| notifications delivered | ${total((k) => k.notified)} of ${accepted} calls' completion delivered to the callback; ${total((k) => k.logged)} logged in HubSpot | ${verdict(allNotified)} |`,
    `| the hottest keys counted at dynalite agree with the model's ranking (Spearman's rank correlation at least ${LOAD_TARGETS.correlation}, the same hottest key) | ${r.hot.correlation.toFixed(2)}, hottest ${r.hot.sameHottest ? 'the same' : 'not the same'} | ${verdict(r.hot.correlation >= LOAD_TARGETS.correlation && r.hot.sameHottest)} |`,
    '',
  );
  lines.push(
    `${accepted} calls accepted in ${r.durationSec} s (${r.callsPerSecond.toFixed(1)} calls/s), ${r.dynamoRequests.toLocaleString('en-US')} DynamoDB requests at dynalite until settled.` +
      (Object.keys(r.refusals).length
        ? ` Refused: ${Object.entries(r.refusals)
            .map(([k, v]) => `${k}: ${v}`)
            .join(', ')}.`
        : ''),
    '',
  );
  lines.push('| kind | sent | accepted | refused | completed | dialled once | notified | logged |', '|---|---|---|---|---|---|---|---|');
  for (const [kind, k] of kinds)
    lines.push(`| ${kind} | ${k.sent} | ${k.accepted} | ${k.refused} | ${k.final} | ${k.dialledOnce} | ${k.notified} | ${k.logged} |`);
  lines.push('');
  lines.push(
    "The hottest keys of the table by writes: counted at dynalite (its hottest instance: the tenant, team, agent or call with the most), beside the partition model's prediction for the same calls (its writes per call of each kind, summed over the calls of the key's scope in this run). The eight hottest of each, dynalite's order.",
    '',
  );
  lines.push("| key | fan-in | writes at dynalite | the model's |", '|---|---|---|---|');
  for (const k of r.hot.keys) lines.push(`| ${code(k.template)} | ${k.fanIn} | ${k.counted} | ${k.predicted.toFixed(0)} |`);
  lines.push('');
  return lines;
}

/** The partition model's numbers, from a file, or measured now in a process of its own (the quick run: its rates per call). */
async function modelFor(file: string | undefined): Promise<PartitionModel> {
  if (file) return parseModel(readFileSync(file, 'utf8'));
  return partitionModelInChild({ quick: true, file: scratchFile('partition-model') });
}

/**
 * The load test in a process of its own (its notifier binds the compose root to the stack's dynalite), against the
 * model in `modelFile`; `--only load-test` runs it with `write`.
 */
export async function loadTestInChild(options: { quick: boolean; modelFile?: string; write?: boolean }): Promise<LoadResult> {
  const file = scratchFile('load-test');
  await execFileAsync(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(__dirname, 'load-test.ts'),
      '--json',
      file,
      ...(options.modelFile ? ['--model', options.modelFile] : []),
      ...(options.quick ? ['--quick'] : []),
      ...(options.write ? ['--write'] : []),
    ],
    { env: { ...process.env, NODE_NO_WARNINGS: '1' }, maxBuffer: 64 * 1024 * 1024 },
  );
  return JSON.parse(readFileSync(file, 'utf8')) as LoadResult;
}

async function main() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      write: { type: 'boolean', default: false },
      model: { type: 'string' },
      json: { type: 'string' },
    },
  });
  const model = await modelFor(values.model);
  const result = await measureLoadTest({ durationSec: values.quick ? 10 : 60, concurrency: values.quick ? 4 : 8, model });
  const section = renderLoadSection(result);
  if (values.json) writeFileSync(values.json, JSON.stringify(result));
  console.log(section.join('\n'));
  if (values.write) {
    editBenchmarks((markdown) => replaceSection(markdown, LOAD_HEADING, section));
  }
}

if (require.main === module) runAndExit(main);
