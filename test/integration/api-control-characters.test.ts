/**
 * Identifiers and names refuse control characters at the API: each kind (C0, DEL, C1, bidirectional marks) in each
 * field of PUT /v1/agents/{crmUserId} and POST /v1/calls answers 400 problem+json naming the field, and nothing is
 * stored or dialled. Before the rule a crmUserId with ESC was stored and later printed raw on operators' terminals.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CONTROL_KINDS } from '../support/control-characters';
import { bearer, invoke, seedTenant, startTestEnv, useEnvForHandlers, type InvokeResult, type TestEnv } from '../support/env';

const T = 'ctrl-api';

let env: TestEnv;
let agentsApi: typeof import('../../functions/agents').handler;
let create: typeof import('../../functions/calls-create').handler;
let listCalls: typeof import('../../functions/calls-list').handler;
let key: string;

beforeAll(async () => {
  env = await startTestEnv();
  useEnvForHandlers(env);
  ({ handler: agentsApi } = await import('../../functions/agents'));
  ({ handler: create } = await import('../../functions/calls-create'));
  ({ handler: listCalls } = await import('../../functions/calls-list'));
  ({ key } = await seedTenant(env, { tenantId: T }));
});

afterAll(async () => {
  await env?.stop();
});

beforeEach(() => env.sim.clearRequests());

/** Fields whose format is ASCII-only (team names, emails) refuse by that rule; the others by the control character rule. */
const ASCII_FORMATS = new Set(['email', 'teams.0', 'agent.email', 'team']);

/** A 400 problem+json whose errors name `path`; the control character rule names the character by its code point only. */
function expectRefused(res: InvokeResult, path: string, char: string): void {
  expect(res.status, JSON.stringify(res.body)).toBe(400);
  expect(res.headers['content-type']).toContain('application/problem+json');
  expect(res.body.type).toBe('/docs/api.md#problem-invalid_request');
  const messages = ((res.body.errors ?? []) as Array<{ path: string; message: string }>)
    .filter((e) => e.path === path)
    .map((e) => e.message);
  expect(messages, JSON.stringify(res.body.errors)).not.toEqual([]);
  if (!ASCII_FORMATS.has(path)) {
    expect(messages.join(' ')).toContain(`U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`);
  }
}

const putAgent = (crmUserId: string, body: unknown) =>
  invoke(agentsApi, { method: 'PUT', route: '/v1/agents/{crmUserId}', path: { crmUserId }, headers: bearer(key), body });

describe('PUT /v1/agents/{crmUserId}', () => {
  // Each case its own agent: one wrongly stored cannot make another case fail.
  const fields: ReadonlyArray<[path: string, request: (char: string, id: string) => [crmUserId: string, body: Record<string, unknown>]]> = [
    ['path.crmUserId', (char, id) => [`${id}${char}`, { extension: '1000' }]],
    ['name', (char, id) => [id, { extension: '1000', name: `Bo${char}b` }]],
    ['email', (char, id) => [id, { extension: '1000', email: `bo${char}b@example.com` }]],
    ['teams.0', (char, id) => [id, { extension: '1000', teams: [`sa${char}les`] }]],
  ];
  const cases = fields.flatMap(([path, request]) => CONTROL_KINDS.map(([kind, char], i) => [path, kind, char, request, i] as const));

  it.each(cases)('%s with %s: 400 naming the field, no agent stored', async (path, _kind, char, request, i) => {
    const [crmUserId, body] = request(char, `new-${path}-${i}`);
    expectRefused(await putAgent(crmUserId, body), path, char);
    expect(await env.agents.get(T, crmUserId)).toBeUndefined();
  });

  it('stores ordinary Unicode in a name as it is', async () => {
    const res = await putAgent('u-unicode', { extension: '1002', name: 'Zoë 山田 👩🏽‍💻' });
    expect(res.status).toBe(201);
    expect((await env.agents.get(T, 'u-unicode'))?.name).toBe('Zoë 山田 👩🏽‍💻');
  });
});

describe('POST /v1/calls', () => {
  const post = (body: Record<string, unknown>, i: number) =>
    invoke(create, {
      method: 'POST',
      route: '/v1/calls',
      headers: { ...bearer(key), 'idempotency-key': `ctrl-${i}-${Date.now()}` },
      body: { to: '+44 7766 889900', ...body },
    });
  const fields: ReadonlyArray<[path: string, body: (char: string) => Record<string, unknown>]> = [
    ['agent.crmUserId', (char) => ({ agent: { crmUserId: `u${char}17` } })],
    ['agent.email', (char) => ({ agent: { email: `ali${char}ce@example.com` } })],
    ['team', (char) => ({ team: `sa${char}les` })],
    ['lead.id', (char) => ({ agent: { crmUserId: 'u-17' }, lead: { id: `lead${char}1` } })],
  ];
  const cases = fields.flatMap(([path, body]) => CONTROL_KINDS.map(([kind, char], i) => [path, kind, char, body, i] as const));

  const storedCalls = async () => {
    const listed = await invoke(listCalls, { method: 'GET', route: '/v1/calls', query: { limit: '200' }, headers: bearer(key) });
    expect(listed.status).toBe(200);
    return (listed.body as unknown as { calls: unknown[] }).calls.length;
  };

  it.each(cases)('%s with %s: 400 naming the field, no call stored, nothing dialled', async (path, _kind, char, body, i) => {
    const before = await storedCalls();
    expectRefused(await post(body(char), i), path, char);
    expect(env.sim.requests()).toEqual([]);
    expect(await storedCalls()).toBe(before);
  });
});
