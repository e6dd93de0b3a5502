/**
 * The reliability suite's DynamoDB faults (issue 10, point 12): throttling, a 5xx and a timeout at every
 * DynamoDB command of the call path, of the CRM webhook path and of the PBX-event path. The real handlers
 * run against dynalite and the PBX simulator; one command at a time fails (store-faults.ts). Each line of
 * the table is asserted; with RELIABILITY_REPORT=1 it becomes the "DynamoDB faults" section of RELIABILITY.md.
 */
import path from 'node:path';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issuePbxEventsToken } from '../../lib/calls/pbx-event-tokens';
import { ReconcileCalls } from '../../lib/calls/reconcile';
import { callIdFor } from '../../lib/calls/request';
import { webhookIdempotencyKey } from '../../lib/crm/receive';
import { SOURCE_ADAPTERS } from '../../lib/crm/sources';
import { CallRepository } from '../../lib/store/calls';
import { agentLockSk, callSk, dedupeWindowSk, hookSourceSk, rateCounterPk, tenantPk } from '../../lib/store/keys';
import { WebhookSourceRepository } from '../../lib/store/webhook-sources';
import { resignSample, SAMPLE_AGENTS, SAMPLE_SECRETS, SAMPLE_TENANT_ID } from '../../local/hook-samples';
import { startPbxSimulator } from '../../local/pbx-sim/simulator';
import { freePort } from '../../local/ports';
import { present } from '../support/api-body';
import {
  bearer,
  invoke,
  invokeEvent,
  seedTenant,
  startTestEnv,
  testSealer,
  useEnvForHandlers,
  type InvokeResult,
  type TestEnv,
} from '../support/env';
import { variant } from '../support/hooks';
import { machineLine, renderTable, writeReportSection, type ReliabilityRow } from './report';
import { FAULT_KINDS, pkOf, skOf, StoreFaults, type CommandInput, type DocCommand, type FaultKind } from './store-faults';

const TENANT = 'dbf';
const AGENTS = 64;

let env: TestEnv;
let faults: StoreFaults;
let key: string;
let pbxToken: string;
let calls: CallRepository;
let handlers: {
  create: typeof import('../../functions/calls-create').handler;
  get: typeof import('../../functions/calls-get').handler;
  hooks: typeof import('../../functions/hooks').handler;
  pbxEvents: typeof import('../../functions/pbx-events').handler;
};
const rows: ReliabilityRow[] = [];
const answers: number[] = [];
const started = Date.now();
let seq = 0;

function record(check: string, expected: string, observed: string, holds: boolean) {
  rows.push({ check, expected, observed, holds });
  expect(holds, `${check}: expected ${expected}, observed ${observed}`).toBe(true);
}

/** Every answer of the file goes through here: the last line checks that none was a bare 500. */
async function answered(res: Promise<InvokeResult>): Promise<InvokeResult> {
  const r = await res;
  answers.push(r.status);
  return r;
}

beforeAll(async () => {
  env = await startTestEnv();
  useEnvForHandlers(env, { AUTH_CACHE_TTL_MS: '60000', PBX_TIMEOUT_MS: '600' });
  handlers = {
    create: (await import('../../functions/calls-create')).handler,
    get: (await import('../../functions/calls-get')).handler,
    hooks: (await import('../../functions/hooks')).handler,
    pbxEvents: (await import('../../functions/pbx-events')).handler,
  };
  const token = issuePbxEventsToken();
  pbxToken = token.token;
  ({ key } = await seedTenant(
    env,
    {
      tenantId: TENANT,
      pbx: { urlShape: 'click2call', baseUrl: env.sim.url, cdrApiUrl: `${env.sim.url}/api/cdrs` },
      pbxEvents: { tokens: [token.record] },
    },
    // One agent per extension: each its own, all known to the simulator.
    { agents: Array.from({ length: AGENTS }, (_, i) => ({ crmUserId: `u-dbf-${i + 1}`, extension: `${2000 + i}` })) },
  ));
  env.sim.setExtensions(['1000', '1001', '1002', ...Array.from({ length: AGENTS }, (_, i) => `${2000 + i}`)]);
  await seedTenant(env, { tenantId: SAMPLE_TENANT_ID }, { agents: SAMPLE_AGENTS.map((a) => ({ ...a })) });
  await new WebhookSourceRepository(env.table, testSealer(), SOURCE_ADAPTERS).addSecret(
    SAMPLE_TENANT_ID,
    'standard',
    SOURCE_ADAPTERS.standard.secrets.toStored(SAMPLE_SECRETS.standard),
  );
  calls = new CallRepository(env.table);
  // Installed last: the seeding above needs no faults, and every command from here on is routed.
  faults = new StoreFaults();
}, 120_000);

afterAll(async () => {
  faults?.restore();
  const elapsed = Date.now() - started;
  const table = renderTable(rows);
  console.log(`\nDynamoDB faults\n\n${table}\n`);
  if (process.env.RELIABILITY_REPORT === '1')
    writeReportSection(path.resolve(__dirname, '../../RELIABILITY.md'), 'dynamodb-faults', report(table, elapsed));
  await env?.stop();
});

/** A call request's answer in one phrase: the status, then the code or the state, and whether Retry-After came. */
function phrase(res: InvokeResult): string {
  const body = res.body ?? {};
  const what = res.status >= 400 ? body.code : (body.state ?? body.status);
  return `${res.status} ${what}${res.headers['retry-after'] ? ' + Retry-After' : ''}`;
}

const reconciler = () =>
  new ReconcileCalls({
    calls,
    tenants: env.tenants,
    logger: { info: () => undefined, warn: () => undefined },
    maxTries: 1,
    minAgeSec: 0,
    cdrTimeoutMs: 2000,
  });

/** What one call-path row observed; the expected side is written in the same shape, so the two compare as text. */
interface Story {
  first: string;
  /** GETs the simulator received from the faulted request. */
  getsFirst: number;
  /** The call by GET /v1/calls/{id} right after the faulted request ("none": nothing was kept, "-": keyless, no id yet). */
  foundFirst: string;
  retries: string;
  /** GETs in all, after three retries of the same request with the fault lifted. */
  gets: number;
  /** The call by GET /v1/calls/{id} after the retries. */
  found: string;
  /** What the reconciler (CDR search) made of a call still pending; "-" when none was. */
  settled: string;
}

const tell = (s: Story) =>
  `${s.first}; ${s.getsFirst} GET; found: ${s.foundFirst}; retries ${s.retries}; ${s.gets} GET in all; then ${s.found}; reconciler: ${s.settled}`;

const UNAVAILABLE = '503 store_unavailable + Retry-After';
/** Nothing was kept before the fault: the retry places the call, once. */
const NOTHING_KEPT: Story = {
  first: UNAVAILABLE,
  getsFirst: 0,
  foundFirst: 'none',
  retries: '201,200,200',
  gets: 1,
  found: 'dialing',
  settled: '-',
};
/**
 * The reservation is in the table (it won, and a cap write beside it failed; or its write landed and only the answer
 * was lost): nothing was sent, so the request gives its own reservation back (`not_sent`, conditioned on its token)
 * and the retry with the same key dials, once.
 */
const RESERVED_GIVEN_BACK: Story = {
  first: UNAVAILABLE,
  getsFirst: 0,
  foundFirst: 'not_sent',
  retries: '201,200,200',
  gets: 1,
  found: 'dialing',
  settled: '-',
};
/** The GET went out, its answer was not recorded: 202 in flight, never a second GET, the reconciler settles it. */
const SENT_UNRECORDED: Story = {
  first: '202 dispatching',
  getsFirst: 1,
  foundFirst: 'dispatching',
  retries: '202,202,202',
  gets: 1,
  found: 'dispatching',
  settled: 'completed',
};
/** The GET went out and its answer was recorded; a side write (the lock release) failed and costs nothing. */
const SENT_RECORDED: Story = {
  first: '201 dialing',
  getsFirst: 1,
  foundFirst: 'dialing',
  retries: '200,200,200',
  gets: 1,
  found: 'dialing',
  settled: '-',
};

interface RowContext {
  crmUserId: string;
  digits: string;
  /** Known in advance for a keyed request (derived from tenant + key); a keyless one learns it from its answer. */
  callId?: string;
}

interface FaultPoint {
  id: string;
  name: string;
  command: DocCommand;
  matches: (input: CommandInput, row: RowContext) => boolean;
  /** Requests without Idempotency-Key: the dedupe window decides their key. */
  keyless?: boolean;
  expect: Story;
}

const rateScope = (input: CommandInput, scope: string) =>
  pkOf(input) === rateCounterPk(TENANT) && skOf(input).startsWith(`${scope}#`) && String(input.UpdateExpression).startsWith('ADD');
/** The ledger's own transitions (not the PBX-unique-id patch, not the notification outbox). */
const isTransition = (input: CommandInput) => String(input.UpdateExpression).includes('#state = :to');

/**
 * Every DynamoDB command of the call path, in the order they run. A new write in the path is one more entry:
 * the command class and what tells its input apart (most often the sort key's prefix, lib/store/keys.ts).
 */
const CALL_PATH: FaultPoint[] = [
  {
    id: 'agent-take',
    name: 'agent take (lock, per-minute cap and extension in one write)',
    command: UpdateCommand,
    matches: (i, r) => skOf(i) === agentLockSk(r.crmUserId) && String(i.UpdateExpression).includes('holder = :holder'),
    expect: NOTHING_KEPT,
  },
  { id: 'tenant-cap', name: 'tenant per-second cap', command: UpdateCommand, matches: (i) => rateScope(i, 'tenant'), expect: NOTHING_KEPT },
  {
    id: 'dedupe',
    name: 'dedupe-window claim (no Idempotency-Key)',
    command: PutCommand,
    keyless: true,
    matches: (i) => skOf(i).startsWith(dedupeWindowSk('')),
    // No key, so no call id to look up until a retry places the call.
    expect: { ...NOTHING_KEPT, foundFirst: '-' },
  },
  { id: 'reservation', name: 'reservation', command: PutCommand, matches: (i, r) => skOf(i) === callSk(r.callId!), expect: NOTHING_KEPT },
  {
    id: 'destination-cap',
    name: 'destination cap',
    command: UpdateCommand,
    matches: (i, r) => rateScope(i, `dest#${r.digits}`),
    expect: RESERVED_GIVEN_BACK,
  },
  {
    id: 'transition',
    name: 'transition after the GET (with the unique-id index key)',
    command: UpdateCommand,
    matches: (i, r) => skOf(i) === callSk(r.callId!) && isTransition(i),
    expect: SENT_UNRECORDED,
  },
  {
    id: 'release',
    name: 'agent lock release after the GET',
    command: UpdateCommand,
    matches: (i, r) => skOf(i) === agentLockSk(r.crmUserId) && String(i.UpdateExpression).includes('REMOVE holder'),
    expect: SENT_RECORDED,
  },
];

const KINDS: FaultKind[] = [FAULT_KINDS.provisioned, FAULT_KINDS.throttling, FAULT_KINDS.internal, FAULT_KINDS.timeout];

/** A timeout whose write did land: the two points where that differs from a write that never arrived. */
const LANDED: Array<{ point: FaultPoint; expect: Story }> = [
  // The SDK cannot tell a lost answer from a lost request; the request's token can: it gives its reservation back.
  { point: CALL_PATH.find((p) => p.id === 'reservation')!, expect: RESERVED_GIVEN_BACK },
  {
    point: CALL_PATH.find((p) => p.id === 'transition')!,
    expect: { ...SENT_UNRECORDED, foundFirst: 'dialing', retries: '200,200,200', found: 'dialing', settled: '-' },
  },
];

async function findCall(callId: string | undefined): Promise<string> {
  if (!callId) return '-';
  const res = await answered(invoke(handlers.get, { method: 'GET', route: '/v1/calls/{callId}', path: { callId }, headers: bearer(key) }));
  return res.status === 200 ? (res.body.state ?? 'no state') : res.status === 404 ? 'none' : `HTTP ${res.status}`;
}

/** Runs the reconciler when the call is still pending and says what became of it. */
async function settle(callId: string, state: string): Promise<string> {
  if (state !== 'dispatching' && state !== 'unknown') return '-';
  await reconciler().run();
  const call = await calls.get(TENANT, callId);
  return `${call?.state}${call?.reconcile?.flagged ? ' (flagged)' : ''}`;
}

async function callPathRow(point: FaultPoint, kind: FaultKind, expected: Story) {
  const n = ++seq;
  const row: RowContext = { crmUserId: `u-dbf-${n}`, digits: `4477668${String(n).padStart(5, '0')}` };
  const idem = point.keyless ? undefined : `dbf-${point.id}-${kind.id}`;
  row.callId = idem ? callIdFor(TENANT, idem) : undefined;
  const body = { agent: { crmUserId: row.crmUserId }, to: `+${row.digits}`, lead: { id: `dbf-${n}` } };
  const post = () =>
    answered(
      invoke(handlers.create, {
        method: 'POST',
        route: '/v1/calls',
        headers: { ...bearer(key), ...(idem ? { 'idempotency-key': idem } : {}) },
        body,
      }),
    );
  const dials = () => env.sim.requests().filter((r) => r.legB === row.digits).length;

  faults.arm(point.command, (input) => point.matches(input, row), kind);
  const first = await post();
  const hits = faults.disarm();
  // A write of the failed request that was already on its way (beside the failed one) lands first, as it would in AWS.
  await faults.idle();
  const getsFirst = dials();
  const foundFirst = await findCall(row.callId);
  const retries: InvokeResult[] = [];
  for (let i = 0; i < 3; i++) retries.push(await post());
  const callId = row.callId ?? retries.find((r) => r.body?.callId)?.body.callId;
  const found = await findCall(callId);
  const settled = callId ? await settle(callId, found) : '-';
  const observed: Story = {
    first: phrase(first),
    getsFirst,
    foundFirst,
    retries: retries.map((r) => r.status).join(','),
    gets: dials(),
    found,
    settled,
  };
  record(
    `DynamoDB fault: ${point.name} x ${kind.label}`,
    tell(expected),
    `${tell(observed)} (${hits} command${hits === 1 ? '' : 's'} failed)`,
    hits > 0 && tell(observed) === tell(expected),
  );
}

describe('DynamoDB faults on the call path (POST /v1/calls)', () => {
  for (const point of CALL_PATH) {
    it.each(KINDS)(`${point.name} x $label`, async (kind) => callPathRow(point, kind, point.expect));
  }
  it.each(LANDED)('$point.name x a timeout after the write landed', async ({ point, expect: story }) =>
    callPathRow(point, FAULT_KINDS.timeoutLanded, story),
  );
});

describe('DynamoDB faults on the retry of a call that was not sent', () => {
  it('the re-dispatch claim fails: 503, nothing dialled, the agent is free at once, and the next retry dials once', async () => {
    const port = await freePort();
    const { key: downKey } = await seedTenant(env, {
      tenantId: 'dbf-down',
      pbx: { urlShape: 'click2call', baseUrl: `http://127.0.0.1:${port}` },
    });
    const post = (idem: string, to: string) =>
      answered(
        invoke(handlers.create, {
          method: 'POST',
          route: '/v1/calls',
          headers: { ...bearer(downKey), 'idempotency-key': idem },
          body: { agent: { crmUserId: 'u-17' }, to },
        }),
      );
    const notSent = await post('dbf-down-1', '+44 7766 889911');
    const callId = callIdFor('dbf-down', 'dbf-down-1');
    const back = await startPbxSimulator({ port, extensions: ['1000'] });
    try {
      faults.arm(
        UpdateCommand,
        (i) => skOf(i) === callSk(callId) && String(i.ConditionExpression).includes(':notSent'),
        FAULT_KINDS.throttling,
      );
      const faulted = await post('dbf-down-1', '+44 7766 889911');
      const hits = faults.disarm();
      const getsAfterFault = back.requests().length;
      // Within the agent lock's lease: only a lock given back lets the agent's next call through.
      const other = await post('dbf-down-2', '+44 7766 889912');
      const retried = await post('dbf-down-1', '+44 7766 889911');
      const dials = back.requests().filter((r) => r.query.c2c_call_id === callId).length;
      const expected = `503 pbx_unreachable + Retry-After; then ${UNAVAILABLE}, 0 GET; the agent's next call 201 dialing; the retry 201 dialing, 1 GET in all`;
      const observed = `${phrase(notSent)}; then ${phrase(faulted)}, ${getsAfterFault} GET; the agent's next call ${phrase(other)}; the retry ${phrase(retried)}, ${dials} GET in all`;
      record(
        'DynamoDB fault: re-dispatch of a not_sent call x ThrottlingException',
        expected,
        `${observed} (${hits} failed)`,
        hits > 0 && observed === expected,
      );
    } finally {
      await back.close();
    }
  });
});

describe('DynamoDB faults on the CRM webhook path (POST /v1/hooks/standard/{tenantId})', () => {
  const cases: Array<{ name: string; command: DocCommand; matches: (i: CommandInput) => boolean; kind: FaultKind; expect: Story }> = [
    {
      name: "the source's settings read",
      command: GetCommand,
      matches: (i) => pkOf(i) === tenantPk(SAMPLE_TENANT_ID) && skOf(i) === hookSourceSk('standard'),
      kind: FAULT_KINDS.throttling,
      expect: NOTHING_KEPT,
    },
    {
      name: 'reservation',
      command: PutCommand,
      matches: (i) => pkOf(i) === tenantPk(SAMPLE_TENANT_ID) && skOf(i).startsWith(callSk('')),
      kind: FAULT_KINDS.internal,
      expect: NOTHING_KEPT,
    },
    {
      name: 'transition after the GET',
      command: UpdateCommand,
      matches: (i) => pkOf(i) === tenantPk(SAMPLE_TENANT_ID) && skOf(i).startsWith(callSk('')) && isTransition(i),
      kind: FAULT_KINDS.timeout,
      expect: SENT_UNRECORDED,
    },
  ];

  it.each(cases)('$name x $kind.label', async ({ name, command, matches, kind, expect: expected }) => {
    const unsigned = variant('standard', 'valid', `dbf${++seq}`);
    const callId = callIdFor(SAMPLE_TENANT_ID, webhookIdempotencyKey('standard', String(unsigned.headers['webhook-id'])));
    // The sender's retry is the same delivery signed again at its own time.
    const deliver = (at: number) => answered(invokeEvent(handlers.hooks, resignSample(unsigned, 'standard', 'valid', at)));
    const dials = () => env.sim.requests().filter((r) => r.query.c2c_call_id === callId).length;
    const lookup = async () => {
      const call = await calls.get(SAMPLE_TENANT_ID, callId);
      return call?.state ?? 'none';
    };

    faults.arm(command, matches, kind);
    const first = await deliver(Date.now());
    const hits = faults.disarm();
    await faults.idle();
    const getsFirst = dials();
    const foundFirst = await lookup();
    const retries: number[] = [];
    for (let i = 1; i <= 3; i++) retries.push((await deliver(Date.now() + i * 1000)).status);
    const found = await lookup();
    let settled = '-';
    if (found === 'dispatching' || found === 'unknown') {
      await reconciler().run();
      const call = await calls.get(SAMPLE_TENANT_ID, callId);
      settled = `${call?.state}${call?.reconcile?.flagged ? ' (flagged)' : ''}`;
    }
    const observed: Story = { first: phrase(first), getsFirst, foundFirst, retries: retries.join(','), gets: dials(), found, settled };
    record(
      `DynamoDB fault, CRM webhook: ${name} x ${kind.label}`,
      tell(expected),
      `${tell(observed)} (${hits} command${hits === 1 ? '' : 's'} failed)`,
      hits > 0 && tell(observed) === tell(expected),
    );
  });
});

describe('DynamoDB faults on the PBX-event path (GET /v1/pbx-events/{tenantId}/{token})', () => {
  const cases: Array<{
    name: string;
    command: DocCommand;
    matches: (i: CommandInput, callId: string) => boolean;
    kind: FaultKind;
    retry: string;
  }> = [
    {
      name: 'call read (correlation)',
      command: GetCommand,
      matches: (i, id) => skOf(i) === callSk(id),
      kind: FAULT_KINDS.timeout,
      retry: '200 applied',
    },
    {
      name: 'raw event write',
      command: PutCommand,
      matches: (i, id) => skOf(i).startsWith(`${callSk(id)}#PBXEVENT#`),
      kind: FAULT_KINDS.provisioned,
      retry: '200 applied',
    },
    {
      name: 'call transition',
      command: UpdateCommand,
      matches: (i, id) => skOf(i) === callSk(id) && isTransition(i),
      kind: FAULT_KINDS.internal,
      retry: '200 applied',
    },
    // The transition was applied, its answer lost: the PBX's retry finds the call there already and changes nothing.
    {
      name: 'call transition',
      command: UpdateCommand,
      matches: (i, id) => skOf(i) === callSk(id) && isTransition(i),
      kind: FAULT_KINDS.timeoutLanded,
      retry: '200 unchanged',
    },
  ];

  it.each(cases)('$name x $kind.label', async ({ name, command, matches, kind, retry }) => {
    const n = ++seq;
    const placed = await answered(
      invoke(handlers.create, {
        method: 'POST',
        route: '/v1/calls',
        headers: { ...bearer(key), 'idempotency-key': `dbf-pbx-${n}` },
        body: { agent: { crmUserId: `u-dbf-${n}` }, to: `+4477668${String(n).padStart(5, '0')}` },
      }),
    );
    expect(placed.status).toBe(201);
    const callId = present(placed.body.callId, 'callId');
    const fields = {
      event: 'Call End',
      c2c_call_id: callId,
      unique_id: present(placed.body.pbx?.uniqueId, 'pbx.uniqueId'),
      call_end: '2026-03-01T10:00:47Z',
      duration: '47',
      billsec: '42',
      hangup_cause: 'NORMAL_CLEARING',
    };
    const send = () =>
      answered(
        invoke(handlers.pbxEvents, {
          method: 'GET',
          route: '/v1/pbx-events/{tenantId}/{token}',
          path: { tenantId: TENANT, token: pbxToken },
          query: fields,
          headers: {},
        }),
      );

    faults.arm(command, (input) => matches(input, callId), kind);
    const first = await send();
    const hits = faults.disarm();
    const again = await send();
    const call = await calls.get(TENANT, callId);
    const completions = call?.events.filter((e) => e.state === 'completed').length ?? 0;
    const expected = `${UNAVAILABLE}; the PBX's retry: ${retry} completed; applied once`;
    const observed = `${phrase(first)}; the PBX's retry: ${again.status} ${again.body?.status} ${call?.state}; applied ${completions === 1 ? 'once' : `${completions} times`}`;
    record(
      `DynamoDB fault, PBX event: ${name} x ${kind.label}`,
      expected,
      `${observed} (${hits} failed)`,
      hits > 0 && observed === expected,
    );
  });
});

describe('every answer of the DynamoDB fault rows', () => {
  it('is never a bare 500', () => {
    const fives = answers.filter((s) => s === 500).length;
    const summary = [...new Set(answers)]
      .sort()
      .map((s) => `${answers.filter((a) => a === s).length}x${s}`)
      .join(', ');
    record(
      'DynamoDB faults: every answer above',
      'no 500',
      `${answers.length} answers (${summary}); ${fives} x 500`,
      answers.length > 0 && fives === 0,
    );
  });
});

function report(table: string, elapsedMs: number): string {
  return `## DynamoDB faults

Made by \`test/reliability/dynamodb-faults.test.ts\` (in \`npm run test:reliability\`), ${new Date().toISOString()}, ${machineLine()},
${(elapsedMs / 1000).toFixed(1)} s. The real handlers, dynalite and the PBX simulator as above; one DynamoDB command at a
time fails, through aws-sdk-client-mock on the document client (every other command reaches dynalite), with the error the
SDK throws once its own three attempts are spent: ProvisionedThroughputExceededException or ThrottlingException (HTTP 400),
InternalServerError (HTTP 500), or a request timeout. The fault lasts for the whole first request; then the same request
is retried three times, the call is read back with \`GET /v1/calls/{id}\`, and the reconciler (the simulator's CDR search)
runs on a call still pending.

${table}

How to read it:

- Before the GET, a store fault answers \`503 store_unavailable\` with \`Retry-After\` and dials nothing. When nothing was
  kept (agent read, tenant cap, dedupe window, reservation), the retry places the call, once.
- When the reservation is in the table and nothing was sent (a cap written beside it failed, or the reservation's own
  write landed but its answer timed out), the request gives its reservation back: \`not_sent\` (reason
  \`store_unavailable\`), conditioned on the request's own token so it can never touch a concurrent winner's reservation.
  The retry with the same key dials, once. If the store is still down for that write too, the call stays
  \`dispatching\` and the reconciler flags it: a lost call, never a second ring.
- After the GET, nothing becomes an error: 202 with the call as the ledger holds it (\`dispatching\` when the PBX's answer
  could not be recorded), never a second GET, and the reconciler settles the call from the PBX's CDRs.
- A PBX event whose raw write or transition failed is answered 503, and the PBX's retry applies it exactly once.
`;
}
