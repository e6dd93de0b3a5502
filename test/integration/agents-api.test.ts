/**
 * The agents API through its handler against dynalite: teams on PUT, availability on every agent resource, the
 * listing by team and by availability, the away toggle, and the team view.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentPresenceRepository } from '../../lib/store/agent-presence';
import type { ApiBody } from '../support/api-body';
import { bearer, invoke, seedTenant, startTestEnv, useEnvForHandlers, type InvokeResult, type TestEnv } from '../support/env';

let env: TestEnv;
let agentsApi: typeof import('../../functions/agents').handler;
let presence: AgentPresenceRepository;
let key: string;
let readOnlyKey: string;

const T = 'agents-api';

beforeAll(async () => {
  env = await startTestEnv();
  useEnvForHandlers(env);
  ({ handler: agentsApi } = await import('../../functions/agents'));
  presence = new AgentPresenceRepository(env.table);
  ({ key } = await seedTenant(env, { tenantId: T }, { agents: [] }));
  ({ key: readOnlyKey } = await seedTenant(env, { tenantId: 'agents-reader' }, { scopes: ['agents:read'], agents: [] }));
});

afterAll(async () => {
  await env?.stop();
});

interface AgentBody {
  crmUserId: string;
  extension: string;
  teams?: string[];
  availability: { state: string; since?: string; until?: string; busyCallId?: string; idleSince?: string };
}
const asAgent = (body: ApiBody) => body as unknown as AgentBody;
const agentsOf = (res: InvokeResult) => (res.body as unknown as { agents: AgentBody[] }).agents;
const errorPaths = (res: InvokeResult) => (res.body.errors ?? []).map((e: { path: string }) => e.path);

const put = (k: string, crmUserId: string, body: unknown) =>
  invoke(agentsApi, { method: 'PUT', route: '/v1/agents/{crmUserId}', path: { crmUserId }, headers: bearer(k), body });
const get = (k: string, crmUserId: string) =>
  invoke(agentsApi, { method: 'GET', route: '/v1/agents/{crmUserId}', path: { crmUserId }, headers: bearer(k) });
const list = (k: string, query: Record<string, string> = {}) =>
  invoke(agentsApi, { method: 'GET', route: '/v1/agents', query, headers: bearer(k) });
const setAvailability = (k: string, crmUserId: string, body: unknown) =>
  invoke(agentsApi, { method: 'PUT', route: '/v1/agents/{crmUserId}/availability', path: { crmUserId }, headers: bearer(k), body });
const teams = (k: string) => invoke(agentsApi, { method: 'GET', route: '/v1/teams', headers: bearer(k) });
const remove = (k: string, crmUserId: string) =>
  invoke(agentsApi, { method: 'DELETE', route: '/v1/agents/{crmUserId}', path: { crmUserId }, headers: bearer(k) });

const nowSec = () => Math.floor(Date.now() / 1000);
const inMinutes = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();

describe('PUT /v1/agents/{crmUserId} with teams', () => {
  it('stores the teams deduplicated and sorted, and answers with the availability', async () => {
    const res = await put(key, 'u-put', { extension: '1000', teams: ['support', 'sales', 'support'] });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      crmUserId: 'u-put',
      extension: '1000',
      teams: ['sales', 'support'],
      availability: { state: 'available' },
    });
    expect(res.body).not.toHaveProperty('tenantId');
    expect(await env.agents.listTeam(T, 'support')).toEqual([{ team: 'support', crmUserId: 'u-put', extension: '1000' }]);

    const again = await put(key, 'u-put', { extension: '1000', teams: ['support'] });
    expect(again.status).toBe(200);
    expect(await env.agents.listTeam(T, 'sales')).toEqual([]);
    expect(asAgent((await get(key, 'u-put')).body)).toMatchObject({ teams: ['support'], availability: { state: 'available' } });
  });

  it('refuses a bad team name and too many teams, naming the field, and writes nothing', async () => {
    const bad = await put(key, 'u-bad', { extension: '1000', teams: ['ok', 'no#hash'] });
    expect(bad.status).toBe(400);
    expect(errorPaths(bad)).toEqual(['teams.1']);
    const many = await put(key, 'u-bad', { extension: '1000', teams: Array.from({ length: 21 }, (_, i) => `t${i}`) });
    expect(many.status).toBe(400);
    expect(errorPaths(many)).toEqual(['teams']);
    expect((await get(key, 'u-bad')).status).toBe(404);
  });
});

describe('GET /v1/agents by team and availability', () => {
  const TEAM_T = 'agents-api-teams';
  let teamKey: string;
  // When a-free's call ended: read from the clock once, so the answer is compared with the value written, not with a
  // second reading of the clock that may have moved on to the next second.
  let freedAtSec: number;

  beforeAll(async () => {
    ({ key: teamKey } = await seedTenant(env, { tenantId: TEAM_T }, { agents: [] }));
    const agents = [
      ['a-free', ['sales']],
      ['a-call', ['sales']],
      ['a-away', ['sales', 'vip']],
      ['a-lock', ['sales']],
      ['a-solo', []],
    ] as const;
    // One agent per extension: each its own.
    for (const [i, [id, teamsOf]] of agents.entries()) {
      expect((await put(teamKey, id, { extension: `${1000 + i}`, teams: teamsOf })).status).toBe(201);
    }
    await presence.markOnCall(TEAM_T, 'a-call', 'c_01JCALLCALLCALLCALLCALLCAL', nowSec() + 3600);
    expect((await setAvailability(teamKey, 'a-away', { available: false })).status).toBe(200);
    await presence.take(TEAM_T, 'a-lock', 'holder', nowSec() + 60, nowSec());
    freedAtSec = nowSec() - 120;
    await presence.markCallEnded(TEAM_T, 'a-free', 'c_earlier', freedAtSec);
  });

  it('gives every agent its availability: state, the call it is on, since and until where known, when it became free', async () => {
    const all = agentsOf(await list(teamKey));
    const byId = Object.fromEntries(all.map((a) => [a.crmUserId, a.availability]));
    expect(Object.keys(byId).sort()).toEqual(['a-away', 'a-call', 'a-free', 'a-lock', 'a-solo']);
    expect(byId['a-free']).toEqual({ state: 'available', idleSince: new Date(freedAtSec * 1000).toISOString() });
    expect(byId['a-call']).toMatchObject({ state: 'on_call', busyCallId: 'c_01JCALLCALLCALLCALLCALLCAL' });
    expect(Date.parse(byId['a-call']!.until!) / 1000).toBeGreaterThan(nowSec() + 3500);
    expect(byId['a-away']).toMatchObject({ state: 'away' });
    expect(Math.abs(Date.parse(byId['a-away']!.since!) - Date.now())).toBeLessThan(10_000);
    expect(byId['a-away']).not.toHaveProperty('until');
    expect(byId['a-lock']).toEqual({ state: 'placing_call' });
    expect(byId['a-solo']).toEqual({ state: 'available' });
  });

  it("lists a team's members only, and filters by availability", async () => {
    const ids = (res: InvokeResult) => agentsOf(res).map((a) => a.crmUserId);
    expect(ids(await list(teamKey, { team: 'sales' }))).toEqual(['a-away', 'a-call', 'a-free', 'a-lock']);
    expect(ids(await list(teamKey, { team: 'vip' }))).toEqual(['a-away']);
    expect(ids(await list(teamKey, { team: 'nobody' }))).toEqual([]);
    expect(ids(await list(teamKey, { team: 'sales', available: 'true' }))).toEqual(['a-free']);
    expect(ids(await list(teamKey, { team: 'sales', available: 'false' }))).toEqual(['a-away', 'a-call', 'a-lock']);
    expect(ids(await list(teamKey, { available: 'true' }))).toEqual(['a-free', 'a-solo']);
  });

  it('pages through a team', async () => {
    const first = await list(teamKey, { team: 'sales', limit: '3' });
    expect(agentsOf(first).map((a) => a.crmUserId)).toEqual(['a-away', 'a-call', 'a-free']);
    const cursor = first.body.nextCursor as string;
    expect(typeof cursor).toBe('string');
    const second = await list(teamKey, { team: 'sales', limit: '3', cursor });
    expect(agentsOf(second).map((a) => a.crmUserId)).toEqual(['a-lock']);
    expect(second.body.nextCursor).toBeNull();
    // The cursor is bound to its team: another team's listing refuses it.
    const other = await list(teamKey, { team: 'vip', cursor });
    expect(other.status).toBe(400);
    expect(errorPaths(other)).toEqual(['query.cursor']);
  });

  it('answers 400 naming the parameter for a bad team, availability, limit or an unknown parameter', async () => {
    for (const [query, path] of [
      [{ available: 'yes' }, 'query.available'],
      [{ team: 'no#hash' }, 'query.team'],
      [{ team: '' }, 'query.team'],
      [{ limit: '0' }, 'query.limit'],
      [{ teams: 'sales' }, 'query.teams'],
    ] as const) {
      const res = await list(teamKey, query);
      expect(res.status, JSON.stringify(query)).toBe(400);
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(errorPaths(res)).toEqual([path]);
    }
  });

  it("skips a member whose agent left the team behind the index's back", async () => {
    // What a crash between the agent's write and its team sync leaves: a member item the agent item disowns.
    await env.table.doc.send(
      new PutCommand({
        TableName: env.table.name,
        Item: {
          pk: `TENANT#${TEAM_T}`,
          sk: 'TEAM#vip#AGENT#a-solo',
          type: 'teamMember',
          team: 'vip',
          crmUserId: 'a-solo',
          extension: '1000',
        },
      }),
    );
    expect(agentsOf(await list(teamKey, { team: 'vip' })).map((a) => a.crmUserId)).toEqual(['a-away']);
  });

  it('GET /v1/teams counts each team by availability', async () => {
    const res = await teams(teamKey);
    expect(res.status).toBe(200);
    expect((res.body as unknown as { teams: unknown[] }).teams).toEqual([
      { team: 'sales', members: 4, available: 1, onCall: 1, away: 1, placingCall: 1 },
      // The stray member item above counts until the index is repaired (a PUT of the agent): the count is the index's.
      { team: 'vip', members: 2, available: 1, onCall: 0, away: 1, placingCall: 0 },
    ]);
  });
});

describe('PUT /v1/agents/{crmUserId}/availability', () => {
  const AV = 'agents-api-away';
  let avKey: string;

  beforeAll(async () => {
    ({ key: avKey } = await seedTenant(env, { tenantId: AV }, { agents: [{ crmUserId: 'u-1', extension: '1000' }] }));
  });

  it('available:false is away from now until set back; available:true sets it back', async () => {
    const away = await setAvailability(avKey, 'u-1', { available: false });
    expect(away.status).toBe(200);
    expect(asAgent(away.body)).toMatchObject({ crmUserId: 'u-1', extension: '1000', availability: { state: 'away' } });
    expect(asAgent(away.body).availability).not.toHaveProperty('until');
    expect(asAgent((await get(avKey, 'u-1')).body).availability.state).toBe('away');
    // The router's take refuses the agent.
    expect(await presence.take(AV, 'u-1', 'router', nowSec() + 30, nowSec(), true)).toEqual({ taken: false, why: 'away' });

    const back = await setAvailability(avKey, 'u-1', { available: true });
    expect(back.status).toBe(200);
    expect(asAgent(back.body).availability).toEqual({ state: 'available' });
    expect(await presence.take(AV, 'u-1', 'router', nowSec() + 30, nowSec(), true)).toMatchObject({ taken: true });
    await presence.release(AV, 'u-1', 'router');
  });

  it('available:false with until is away until then; available:true with until is available until then', async () => {
    const until = new Date(Math.floor(Date.now() / 1000 + 3600) * 1000);
    // An offset other than Z is the same instant.
    const withOffset = `${new Date(until.getTime() + 2 * 3600_000).toISOString().slice(0, 19)}+02:00`;
    const away = await setAvailability(avKey, 'u-1', { available: false, until: withOffset });
    expect(away.status).toBe(200);
    expect(asAgent(away.body).availability).toMatchObject({ state: 'away', until: until.toISOString() });

    const later = await setAvailability(avKey, 'u-1', { available: true, until: until.toISOString() });
    expect(later.status).toBe(200);
    expect(asAgent(later.body).availability).toEqual({ state: 'available', until: until.toISOString() });
    expect(await presence.getMany(AV, ['u-1'])).toEqual(
      new Map([['u-1', { awayFrom: until.getTime() / 1000, awayUntil: 253_402_300_799 }]]),
    );
    await setAvailability(avKey, 'u-1', { available: true });
  });

  it('answers 400 naming until for a time in the past, more than 30 days ahead, or without an offset', async () => {
    for (const until of [inMinutes(-1), inMinutes(31 * 24 * 60), '2030-01-01T10:00:00', 'tomorrow']) {
      const res = await setAvailability(avKey, 'u-1', { available: false, until });
      expect(res.status, until).toBe(400);
      expect(errorPaths(res)).toEqual(['until']);
    }
    expect(asAgent((await get(avKey, 'u-1')).body).availability).toEqual({ state: 'available' });
  });

  it('answers 400 for a bad body, naming each field', async () => {
    expect(errorPaths(await setAvailability(avKey, 'u-1', {}))).toEqual(['available']);
    expect(errorPaths(await setAvailability(avKey, 'u-1', { available: 'no' }))).toEqual(['available']);
    expect(errorPaths(await setAvailability(avKey, 'u-1', { available: true, away: true }))).toEqual(['away']);
    const notJson = await invoke(agentsApi, {
      method: 'PUT',
      route: '/v1/agents/{crmUserId}/availability',
      path: { crmUserId: 'u-1' },
      headers: bearer(avKey),
      rawBody: '{"available":',
    });
    expect(notJson.status).toBe(400);
  });

  it('answers 404 for an unknown agent and writes no presence for it', async () => {
    const res = await setAvailability(avKey, 'u-none', { available: false });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('not_found');
    expect((await presence.getMany(AV, ['u-none'])).size).toBe(0);
  });

  it('needs agents:write', async () => {
    const res = await setAvailability(readOnlyKey, 'u-1', { available: false });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('insufficient_scope');
  });
});

describe('GET /v1/teams and DELETE', () => {
  it('answers an empty list for a tenant without teams, with agents:read', async () => {
    const res = await teams(readOnlyKey);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ teams: [] });
  });

  it('deleting an agent takes it out of its teams and forgets its presence', async () => {
    const D = 'agents-api-delete';
    const { key: deleteKey } = await seedTenant(env, { tenantId: D }, { agents: [] });
    await put(deleteKey, 'u-gone', { extension: '1000', teams: ['sales'] });
    await setAvailability(deleteKey, 'u-gone', { available: false });
    expect((await remove(deleteKey, 'u-gone')).status).toBe(204);
    expect((await teams(deleteKey)).body).toEqual({ teams: [] });
    expect((await presence.getMany(D, ['u-gone'])).size).toBe(0);
    const back = await put(deleteKey, 'u-gone', { extension: '1000' });
    expect(asAgent(back.body).availability).toEqual({ state: 'available' });
  });
});
