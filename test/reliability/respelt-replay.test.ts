/**
 * The reliability suite's re-spelt replays (issue 17, point 1): one delivery sent again in every spelling a lenient
 * reader would take for it, through the real handlers on dynalite and the PBX simulator. Each line is asserted; with
 * RELIABILITY_REPORT=1 it becomes the "Re-spelt replays" section of RELIABILITY.md.
 */
import path from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { SOURCE_ADAPTERS } from '../../lib/crm/sources';
import { signStandardWebhook } from '../../lib/crm/standard-webhooks';
import { WebhookSourceRepository } from '../../lib/store/webhook-sources';
import { resignSample, SAMPLE_AGENTS, SAMPLE_SECRETS, SAMPLE_TENANT_ID } from '../../local/hook-samples';
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
import { editJson, variant } from '../support/hooks';
import { respellings } from '../support/respell';
import { machineLine, renderTable, writeReportSection, type ReliabilityRow } from './report';
import { tenantItemsBesidesDeliveryLog } from '../support/tenant-items';

let env: TestEnv;
let hooks: typeof import('../../functions/hooks').handler;
let create: typeof import('../../functions/calls-create').handler;
let key: string;
const rows: ReliabilityRow[] = [];
const started = Date.now();

const T0 = Date.parse('2031-05-06T07:00:00.000Z');
const at = (ms: number) => vi.setSystemTime(ms);

function record(check: string, expected: string, observed: string, holds: boolean) {
  rows.push({ check, expected, observed, holds });
  expect(holds, `${check}: expected ${expected}, observed ${observed}`).toBe(true);
}

const withHeader = (event: APIGatewayProxyEventV2, name: string, value: string): APIGatewayProxyEventV2 => ({
  ...event,
  headers: { ...event.headers, [name]: value },
});

/** "11x401" for a list of answers. */
function statuses(answers: InvokeResult[]): string {
  const counts = new Map<number, number>();
  for (const a of answers) counts.set(a.status, (counts.get(a.status) ?? 0) + 1);
  return [...counts.entries()].map(([status, n]) => `${n}x${status}`).join(', ');
}

const itemsOf = (tenantId: string) => tenantItemsBesidesDeliveryLog(env.table, tenantId);

beforeAll(async () => {
  env = await startTestEnv();
  useEnvForHandlers(env);
  ({ handler: hooks } = await import('../../functions/hooks'));
  ({ handler: create } = await import('../../functions/calls-create'));
  await seedTenant(env, { tenantId: SAMPLE_TENANT_ID }, { agents: SAMPLE_AGENTS.map((a) => ({ ...a })) });
  const sources = new WebhookSourceRepository(env.table, testSealer(), SOURCE_ADAPTERS);
  for (const source of ['hubspot', 'standard'] as const) {
    await sources.addSecret(SAMPLE_TENANT_ID, source, SOURCE_ADAPTERS[source].secrets.toStored(SAMPLE_SECRETS[source]));
  }
  ({ key } = await seedTenant(
    env,
    { tenantId: 'respelt', defaultCountry: 'FR' },
    { agents: [{ crmUserId: 'u-fr', extension: '1000', email: 'agent@example.fr' }] },
  ));
  vi.useFakeTimers({ toFake: ['Date'] });
}, 120_000);

beforeEach(() => {
  env.sim.clearRequests();
});

afterAll(async () => {
  vi.useRealTimers();
  const table = renderTable(rows);
  console.log(`\nRe-spelt replays\n\n${table}\n`);
  if (process.env.RELIABILITY_REPORT === '1')
    writeReportSection(path.resolve(__dirname, '../../RELIABILITY.md'), 're-spelt-replay', report(table, Date.now() - started));
  await env?.stop();
});

describe('re-spelt replay', () => {
  it('HubSpot: a second enrolment, then every other spelling of its signature after the keyless window', async () => {
    const SIGNATURE = 'x-hubspot-signature-v3';
    at(T0);
    const enrolment = resignSample(variant('hubspot', 'valid', 'rel-respelt'), 'hubspot', 'valid', T0);
    const first = await invokeEvent(hooks, enrolment);
    at(T0 + 10_000);
    const second = resignSample(
      editJson(enrolment, () => undefined),
      'hubspot',
      'valid',
      T0 + 10_000,
    );
    const joined = await invokeEvent(hooks, second);
    at(T0 + SOURCE_ADAPTERS.hubspot.keylessWindowSec * 1000 + 1_000);
    const before = await itemsOf(SAMPLE_TENANT_ID);
    const texts = respellings(second.headers[SIGNATURE]!);
    const copies = await Promise.all(texts.map((text) => invokeEvent(hooks, withHeader(second, SIGNATURE, text))));
    const written = (await itemsOf(SAMPLE_TENANT_ID)) - before;
    const canonical = await invokeEvent(hooks, second);
    const gets = env.sim.requests().length;
    record(
      `re-spelt replay, HubSpot: a delivery, a second enrolment 10 s later, then after the keyless window the ${texts.length} other spellings of its signature at once, and the copy as sent`,
      '1 GET; every re-spelling 401, nothing written; the copy as sent 200, the same call',
      `${gets} GET; answers ${first.status}, ${joined.status}, ${statuses(copies)}, ${canonical.status}; ${written} items written by the re-spellings`,
      gets === 1 &&
        first.status === 201 &&
        joined.body.callId === first.body.callId &&
        copies.every((c) => c.status === 401) &&
        written === 0 &&
        canonical.status === 200 &&
        canonical.body.callId === first.body.callId,
    );
  });

  it('Standard Webhooks: copies listing the signature in every order beside other keys, twice, and re-spelt', async () => {
    const SIGNATURE = 'webhook-signature';
    at(T0 + 3_600_000);
    const event = resignSample(variant('standard', 'valid', 'rel-reordered'), 'standard', 'valid', T0 + 3_600_000);
    const first = await invokeEvent(hooks, event);
    const mine = event.headers[SIGNATURE]!;
    const id = event.headers['webhook-id']!;
    const timestamp = Number(event.headers['webhook-timestamp']);
    const others = ['whsec_b3RoZXItdGVuYW50LXNlY3JldC1mb3ItdGVzdHMtMA==', 'whsec_cm90YXRlZC1zZWNyZXQtZm9yLXRoZS10ZXN0cy0xMjM0'].map(
      (secret) => signStandardWebhook(secret, id, timestamp, event.body!),
    );
    const headers = [
      `${mine} ${others[0]!}`,
      `${others[0]!} ${mine}`,
      `${others[0]!} ${mine} ${others[1]!}`,
      `${others[1]!} ${others[0]!} ${mine}`,
      `${mine} ${mine}`,
      `v1a,AAAA ${mine} v2,BBBB`,
    ];
    at(T0 + 3_600_000 + 60_000);
    const copies = await Promise.all(headers.map((header) => invokeEvent(hooks, withHeader(event, SIGNATURE, header))));
    const respelt = await Promise.all(
      respellings(mine.slice('v1,'.length)).map((text) => invokeEvent(hooks, withHeader(event, SIGNATURE, `v1,${text}`))),
    );
    const gets = env.sim.requests().length;
    record(
      `re-spelt replay, Standard Webhooks: a delivery, then ${headers.length} copies whose signature header lists it in another order, beside other keys' signatures or twice, and ${respelt.length} copies carrying it re-spelt alone`,
      '1 GET; the copies 200 duplicate of the same call; the re-spelt ones 401',
      `${gets} GET; answers ${first.status}, ${statuses(copies)}, ${statuses(respelt)}`,
      gets === 1 &&
        first.status === 201 &&
        copies.every((c) => c.status === 200 && c.body.callId === first.body.callId) &&
        respelt.every((r) => r.status === 401),
    );
  });

  it('API without a key: one request written seven ways, at once', async () => {
    at(T0 + 2 * 3_600_000);
    const place = (body: unknown) => invoke(create, { method: 'POST', route: '/v1/calls', headers: bearer(key), body });
    const first = await place({ agent: { crmUserId: 'u-fr' }, to: '+33 6 12 34 56 78', lead: { id: 'lead-rel' } });
    at(T0 + 2 * 3_600_000 + 5_000);
    const spellings = [
      { agent: { crmUserId: 'u-fr' }, to: '+33612345678', lead: { id: 'lead-rel' } },
      { agent: { crmUserId: 'u-fr' }, to: '06 12 34 56 78', lead: { id: 'lead-rel' } },
      { agent: { crmUserId: 'u-fr' }, to: '0033 6 12 34 56 78', lead: { id: 'lead-rel' } },
      { agent: { email: 'agent@example.fr' }, to: '+33612345678', lead: { id: 'lead-rel' } },
      { agent: { email: 'AGENT@example.fr' }, to: '06-12-34-56-78', lead: { id: 'lead-rel' } },
      { agent: { extension: '1000' }, to: '06.12.34.56.78', lead: { id: 'lead-rel' } },
      { agent: { crmUserId: 'u-fr' }, to: '+33612345678', lead: { id: '  lead-rel ' } },
    ];
    const copies = await Promise.all(spellings.map(place));
    const gets = env.sim.requests().length;
    record(
      `re-spelt replay, API without a key: a request, then ${spellings.length} copies at once with the number in other formats, the agent by e-mail or extension, the lead id padded`,
      '1 GET; every copy 200 duplicate of the same call',
      `${gets} GET; answers ${first.status}, ${statuses(copies)}`,
      gets === 1 && first.status === 201 && copies.every((c) => c.status === 200 && c.body.callId === first.body.callId),
    );
  });
});

function report(table: string, elapsedMs: number): string {
  return `## Re-spelt replays

Made by \`test/reliability/respelt-replay.test.ts\` (in \`npm run test:reliability\`), ${new Date().toISOString()}, ${machineLine()},
${(elapsedMs / 1000).toFixed(1)} s. The real handlers \`functions/hooks\` and \`functions/calls-create\`, dynalite and the PBX
simulator; the clock is driven (only \`Date\` is faked).

${table}

How to read it:

- A re-spelling is the same bytes written another way: base64 with its padding dropped or doubled, the unused bits of
  its last character set, or its url-safe alphabet; a number with other separators or in its national format; an
  agent named by e-mail or extension instead of its id; a lead id with spaces around it.
- A signature is read in its one canonical spelling (the one the sender produces): any other is 401, before anything
  is written. What identifies a delivery is derived from canonical content only (docs/security.md, "Delivery
  identity"), so no re-spelling can make a delivery new.
`;
}
