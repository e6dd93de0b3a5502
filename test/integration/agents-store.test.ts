import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEnv, type TestEnv } from '../support/env';

let env: TestEnv;

beforeAll(async () => {
  env = await startTestEnv();
});

afterAll(async () => {
  await env?.stop();
});

describe('writing many agents at once', () => {
  it('writes an id given twice once, the last row winning', async () => {
    const written = await env.agents.putMany('bulk', [
      { crmUserId: 'u-1', extension: '1000' },
      { crmUserId: 'u-1', extension: '1001' },
      { crmUserId: 'u-2', extension: '1002' },
    ]);
    expect(written).toMatchObject({ written: 2, taken: [] });
    expect((await env.agents.get('bulk', 'u-1'))?.extension).toBe('1001');
  });

  it('keeps the creation time of agents that exist already', async () => {
    const { agent: before } = await env.agents.put('bulk', 'u-keep', { extension: '1000' });
    await new Promise((r) => setTimeout(r, 5));
    await env.agents.putMany('bulk', [
      { crmUserId: 'u-keep', extension: '1003' },
      { crmUserId: 'u-new', extension: '1004' },
    ]);
    const after = await env.agents.get('bulk', 'u-keep');
    expect(after).toMatchObject({ extension: '1003', createdAt: before.createdAt });
    expect(after!.updatedAt > before.createdAt).toBe(true);
    expect((await env.agents.get('bulk', 'u-new'))?.createdAt).toBeDefined();
  });

  it('writes more than one batch of 25', async () => {
    const rows = Array.from({ length: 60 }, (_, i) => ({ crmUserId: `m-${i}`, extension: String(2000 + i) }));
    const progress: number[] = [];
    expect((await env.agents.putMany('many', rows, (n) => progress.push(n))).written).toBe(60);
    expect(progress).toEqual([25, 50, 60]);
    expect(await env.agents.listAll('many')).toHaveLength(60);
  });
});

describe('the team index', () => {
  const members = async (tenantId: string, team: string) => (await env.agents.listTeam(tenantId, team)).map((m) => m.crmUserId);

  it('follows put: joins, leaves, follows the extension, and keeps the teams deduplicated and sorted', async () => {
    const { agent } = await env.agents.put('teams-put', 'u-1', { extension: '1000', teams: ['support', 'sales', 'sales'] });
    expect(agent.teams).toEqual(['sales', 'support']);
    expect(await env.agents.listTeam('teams-put', 'sales')).toEqual([{ team: 'sales', crmUserId: 'u-1', extension: '1000' }]);
    expect(await members('teams-put', 'support')).toEqual(['u-1']);

    await env.agents.put('teams-put', 'u-1', { extension: '1009', teams: ['sales', 'vip'] });
    expect(await env.agents.listTeam('teams-put', 'sales')).toEqual([{ team: 'sales', crmUserId: 'u-1', extension: '1009' }]);
    expect(await members('teams-put', 'support')).toEqual([]);
    expect(await members('teams-put', 'vip')).toEqual(['u-1']);

    // A PUT replaces the agent: without teams, it is in none.
    await env.agents.put('teams-put', 'u-1', { extension: '1009' });
    expect(await env.agents.listTeams('teams-put')).toEqual([]);
  });

  it('follows putMany across batches, and delete', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => ({
      crmUserId: `m-${String(i).padStart(2, '0')}`,
      extension: String(3000 + i),
      teams: i % 2 === 0 ? ['even'] : ['odd', 'all'],
    }));
    await env.agents.putMany('teams-many', rows);
    expect(await env.agents.listTeams('teams-many')).toEqual([
      { team: 'all', members: 15 },
      { team: 'even', members: 15 },
      { team: 'odd', members: 15 },
    ]);
    // Moving agents between teams in a second import takes them out of their old team.
    await env.agents.putMany('teams-many', [
      { crmUserId: 'm-00', extension: '3000', teams: ['odd'] },
      { crmUserId: 'm-01', extension: '3001' },
    ]);
    expect(await members('teams-many', 'even')).not.toContain('m-00');
    expect(await members('teams-many', 'odd')).toEqual(expect.arrayContaining(['m-00']));
    expect(await members('teams-many', 'odd')).not.toContain('m-01');
    expect(await members('teams-many', 'all')).not.toContain('m-01');

    expect(await env.agents.delete('teams-many', 'm-03')).toBe(true);
    expect(await members('teams-many', 'odd')).not.toContain('m-03');
    expect(await members('teams-many', 'all')).not.toContain('m-03');
    expect(await env.agents.listTeams('teams-many')).toEqual([
      { team: 'all', members: 13 },
      { team: 'even', members: 14 },
      { team: 'odd', members: 14 },
    ]);
  });

  it('keeps team items out of the agent listing, and one team out of another with a longer name', async () => {
    await env.agents.put('teams-list', 'u-1', { extension: '1000', teams: ['a', 'ab'] });
    await env.agents.put('teams-list', 'u-2', { extension: '1001', teams: ['ab'] });
    expect((await env.agents.listAll('teams-list')).map((a) => a.crmUserId)).toEqual(['u-1', 'u-2']);
    expect(await members('teams-list', 'a')).toEqual(['u-1']);
    expect(await members('teams-list', 'ab')).toEqual(['u-1', 'u-2']);
  });

  it('pages through a team with a cursor bound to it', async () => {
    await env.agents.putMany(
      'teams-page',
      Array.from({ length: 5 }, (_, i) => ({ crmUserId: `p-${i}`, extension: String(4000 + i), teams: ['big'] })),
    );
    const first = await env.agents.listMembers('teams-page', { team: 'big', limit: 3 });
    expect(first.items.map((m) => m.crmUserId)).toEqual(['p-0', 'p-1', 'p-2']);
    const second = await env.agents.listMembers('teams-page', { team: 'big', limit: 3, cursor: first.nextCursor });
    expect(second.items.map((m) => m.crmUserId)).toEqual(['p-3', 'p-4']);
    expect(second.nextCursor).toBeUndefined();

    const agentsPage = await env.agents.list('teams-page', { limit: 2 });
    await expect(env.agents.listMembers('teams-page', { team: 'big', cursor: agentsPage.nextCursor })).rejects.toThrow(
      'The cursor is not one this listing issued',
    );
    await expect(env.agents.listMembers('teams-other', { team: 'big', cursor: first.nextCursor })).rejects.toThrow(
      'The cursor is not one this listing issued',
    );
  });

  it('reads many agents at once, without the ids that have none', async () => {
    await env.agents.putMany(
      'teams-get',
      Array.from({ length: 120 }, (_, i) => ({ crmUserId: `g-${i}`, extension: String(5000 + i) })),
    );
    const ids = [...Array.from({ length: 120 }, (_, i) => `g-${i}`), 'g-missing'];
    const found = await env.agents.getMany('teams-get', ids);
    expect(found.size).toBe(120);
    expect(found.get('g-119')).toMatchObject({ crmUserId: 'g-119', extension: '5119' });
    expect(found.has('g-missing')).toBe(false);
  });
});
