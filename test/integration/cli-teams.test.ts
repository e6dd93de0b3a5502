/**
 * The CLI's teams and availability (`c2c agent put --teams`, the import's teams column, `c2c agent availability`,
 * `c2c team list|show`), in-process against a real dynalite table: each effect checked in the table.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FOREVER_SEC } from '../../lib/model/agent';
import { AgentPresenceRepository } from '../../lib/store/agent-presence';
import { AgentRepository } from '../../lib/store/agents';
import { TenantRepository } from '../../lib/store/tenants';
import { jsonOf, startCliTable, type CliTable } from '../support/cli';
import { testSealer } from '../support/env';
import { containing } from '../support/match';

let cli: CliTable;
let tenants: TenantRepository;
let agents: AgentRepository;
let presence: AgentPresenceRepository;

beforeAll(async () => {
  cli = await startCliTable('cli-teams');
  tenants = new TenantRepository(cli.table, testSealer());
  agents = new AgentRepository(cli.table);
  presence = new AgentPresenceRepository(cli.table);
});

afterAll(async () => {
  await cli?.stop();
});

const c2c = (args: string[]) => cli.c2c(args);
const nowSec = () => Math.floor(Date.now() / 1000);

async function newTenant(): Promise<string> {
  const tenantId = `t-${randomUUID().slice(0, 8)}`;
  await tenants.create({
    tenantId,
    name: 'Teams tenant',
    crmId: '1',
    clientId: '2',
    defaultCountry: 'GB',
    pbx: { urlShape: 'click2call', baseUrl: 'https://pbx.example.com' },
  });
  return tenantId;
}

function csvFile(content: string): string {
  const file = join(cli.workDir, `${randomUUID()}.csv`);
  writeFileSync(file, content);
  return file;
}

describe('agent put --teams and the import', () => {
  it('puts an agent in teams, shows them in the list, and takes them out with a PUT without --teams', async () => {
    const tenantId = await newTenant();
    const put = await c2c(['agent', 'put', tenantId, 'u-1', '--extension', '1000', '--teams', 'support, sales,,support']);
    expect(put.code, put.stderr).toBe(0);
    expect((await agents.get(tenantId, 'u-1'))?.teams).toEqual(['sales', 'support']);
    expect(await agents.listTeam(tenantId, 'sales')).toEqual([{ team: 'sales', crmUserId: 'u-1', extension: '1000' }]);
    expect((await c2c(['agent', 'list', tenantId])).stdout).toMatch(/^u-1\s+1000\s+-\s+-\s+sales,support\s/m);

    expect((await c2c(['agent', 'put', tenantId, 'u-1', '--extension', '1000'])).code).toBe(0);
    expect(await agents.listTeams(tenantId)).toEqual([]);
  });

  it('names a bad team and writes nothing', async () => {
    const tenantId = await newTenant();
    const result = await c2c(['agent', 'put', tenantId, 'u-1', '--extension', '1000', '--teams', 'sales,no#hash']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--teams: "no#hash": a letter or digit');
    expect(await agents.get(tenantId, 'u-1')).toBeUndefined();
  });

  it('imports the teams column, names separated by |, and reports a bad team with its line', async () => {
    const tenantId = await newTenant();
    const file = csvFile(['crmUserId,extension,teams', 'u-1,1000,sales|support', 'u-2,1001,', 'u-3,1002, sales '].join('\n'));
    const imported = await c2c(['agent', 'import', tenantId, file]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(await agents.listTeams(tenantId)).toEqual([
      { team: 'sales', members: 2 },
      { team: 'support', members: 1 },
    ]);
    expect((await agents.get(tenantId, 'u-2'))?.teams).toBeUndefined();

    const bad = await c2c(['agent', 'import', tenantId, csvFile('crmUserId,extension,teams\nu-9,1009,sales|bad team\n'), '--json']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({
      written: 0,
      errors: [{ line: 2, field: 'teams', crmUserId: 'u-9', message: containing('"bad team": a letter or digit') }],
    });
    expect(await agents.get(tenantId, 'u-9')).toBeUndefined();
  });

  it("says which separator the teams column takes in the import's help", async () => {
    const help = await c2c(['agent', 'import', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('team names separated by | (sales|support)');
  });
});

describe('agent availability', () => {
  it('--away is away until set back; --available sets it back', async () => {
    const tenantId = await newTenant();
    await agents.put(tenantId, 'u-1', { extension: '1000' });
    const away = await c2c(['agent', 'availability', tenantId, 'u-1', '--away']);
    expect(away.code, away.stderr).toBe(0);
    expect(away.stdout).toBe(`Agent u-1 of tenant ${tenantId}: away until set back.\n`);
    expect((await presence.getMany(tenantId, ['u-1'])).get('u-1')).toMatchObject({ awayUntil: FOREVER_SEC });

    const back = await c2c(['agent', 'availability', tenantId, 'u-1', '--available']);
    expect(back.stdout).toBe(`Agent u-1 of tenant ${tenantId}: available.\n`);
    expect((await presence.getMany(tenantId, ['u-1'])).get('u-1')).toEqual({});
  });

  it('--until takes a span from now or an RFC 3339 time with an offset; --json prints the agent', async () => {
    const tenantId = await newTenant();
    await agents.put(tenantId, 'u-1', { extension: '1000', teams: ['sales'] });
    const before = nowSec();
    const away = jsonOf<{ crmUserId: string; teams: string[]; availability: { state: string; until: string } }>(
      await c2c(['agent', 'availability', tenantId, 'u-1', '--away', '--until', '2h', '--json']),
    );
    expect(away).toMatchObject({ crmUserId: 'u-1', teams: ['sales'], availability: { state: 'away' } });
    const untilSec = Date.parse(away.availability.until) / 1000;
    expect(untilSec).toBeGreaterThanOrEqual(before + 7200);
    expect(untilSec).toBeLessThanOrEqual(nowSec() + 7200);

    const at = new Date((nowSec() + 3 * 86_400) * 1000);
    const offset = `${new Date(at.getTime() - 5 * 3600_000).toISOString().slice(0, 19)}-05:00`;
    const later = await c2c(['agent', 'availability', tenantId, 'u-1', '--available', '--until', offset]);
    expect(later.code, later.stderr).toBe(0);
    expect(later.stdout).toBe(`Agent u-1 of tenant ${tenantId}: available, away from ${at.toISOString()}.\n`);
    expect((await presence.getMany(tenantId, ['u-1'])).get('u-1')).toEqual({ awayFrom: at.getTime() / 1000, awayUntil: FOREVER_SEC });
  });

  it('refuses a command line without exactly one of --away and --available (exit 2), and writes nothing', async () => {
    const tenantId = await newTenant();
    await agents.put(tenantId, 'u-1', { extension: '1000' });
    for (const flags of [[], ['--away', '--available']]) {
      const result = await c2c(['agent', 'availability', tenantId, 'u-1', ...flags]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('exactly one of --away and --available');
    }
    expect((await presence.getMany(tenantId, ['u-1'])).get('u-1')).toEqual({});
  });

  it('refuses an until in the past, more than 30 days ahead, or unreadable, and an unknown agent (exit 1)', async () => {
    const tenantId = await newTenant();
    await agents.put(tenantId, 'u-1', { extension: '1000' });
    const past = new Date(Date.now() - 60_000).toISOString();
    for (const [until, message] of [
      [past, '--until: must be in the future'],
      ['31d', '--until: must be at most 30 days ahead'],
      [new Date(Date.now() + 31 * 86_400_000).toISOString(), '--until: must be at most 30 days ahead'],
      ['2030-01-01 10:00', 'is neither an RFC 3339 time with an offset nor a span'],
      ['tomorrow', 'is neither an RFC 3339 time with an offset nor a span'],
    ]) {
      const result = await c2c(['agent', 'availability', tenantId, 'u-1', '--away', '--until', until!]);
      expect(result.code, until).toBe(1);
      expect(result.stderr).toContain(message);
    }
    expect((await presence.getMany(tenantId, ['u-1'])).get('u-1')).toEqual({});

    const unknown = await c2c(['agent', 'availability', tenantId, 'u-none', '--away']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`Agent u-none not found in tenant ${tenantId}`);
    expect((await presence.getMany(tenantId, ['u-none'])).size).toBe(0);
  });

  it("agent delete forgets the agent's presence", async () => {
    const tenantId = await newTenant();
    await agents.put(tenantId, 'u-1', { extension: '1000', teams: ['sales'] });
    await c2c(['agent', 'availability', tenantId, 'u-1', '--away']);
    expect((await c2c(['agent', 'delete', tenantId, 'u-1'])).code).toBe(0);
    expect((await presence.getMany(tenantId, ['u-1'])).size).toBe(0);
    expect(await agents.listTeams(tenantId)).toEqual([]);
  });
});

describe('team list and team show', () => {
  let tenantId: string;

  beforeAll(async () => {
    tenantId = await newTenant();
    await agents.putMany(tenantId, [
      { crmUserId: 'u-free', extension: '1000', name: 'Free Agent', teams: ['sales'] },
      { crmUserId: 'u-call', extension: '1001', teams: ['sales', 'support'] },
      { crmUserId: 'u-away', extension: '1002', teams: ['sales'] },
      { crmUserId: 'u-lock', extension: '1003', teams: ['support'] },
    ]);
    await presence.markOnCall(tenantId, 'u-call', 'c_CALL', nowSec() + 3600);
    await presence.setAvailability(tenantId, 'u-away', false, nowSec(), nowSec() + 1800);
    await presence.take(tenantId, 'u-lock', 'holder', nowSec() + 60, nowSec());
    await presence.markCallEnded(tenantId, 'u-free', 'c_EARLIER', nowSec() - 60);
  });

  it('lists the teams with their members counted by availability', async () => {
    const table = await c2c(['team', 'list', tenantId]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^TEAM\s+MEMBERS\s+AVAILABLE\s+ON CALL\s+PLACING CALL\s+AWAY$/);
    expect(table.stdout).toMatch(/^sales\s+3\s+1\s+1\s+0\s+1$/m);
    expect(table.stdout).toMatch(/^support\s+2\s+0\s+1\s+1\s+0$/m);
    expect(jsonOf(await c2c(['team', 'list', tenantId, '--json']))).toEqual([
      { team: 'sales', members: 3, available: 1, onCall: 1, away: 1, placingCall: 0 },
      { team: 'support', members: 2, available: 0, onCall: 1, away: 0, placingCall: 1 },
    ]);
  });

  it('says when a tenant has no teams, and refuses an unknown tenant', async () => {
    const empty = await newTenant();
    const none = await c2c(['team', 'list', empty]);
    expect(none.code).toBe(0);
    expect(none.stdout).toContain(`No teams in tenant ${empty}`);
    expect(jsonOf(await c2c(['team', 'list', empty, '--json']))).toEqual([]);
    const unknown = await c2c(['team', 'list', 'no-such-tenant']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Tenant no-such-tenant not found');
  });

  it("shows a team's members with their availability", async () => {
    const shown = await c2c(['team', 'show', tenantId, 'sales']);
    expect(shown.code, shown.stderr).toBe(0);
    const lines = shown.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^CRM USER ID\s+EXTENSION\s+NAME\s+STATE\s+UNTIL\s+IDLE SINCE$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 2))).toEqual([
      ['u-away', '1002'],
      ['u-call', '1001'],
      ['u-free', '1000'],
    ]);
    expect(shown.stdout).toMatch(/^u-away\s+1002\s+-\s+away\s+\d{4}-\d\d-\d\dT/m);
    expect(shown.stdout).toMatch(/^u-call\s+1001\s+-\s+on_call\s+/m);
    expect(shown.stdout).toMatch(/^u-free\s+1000\s+Free Agent\s+available\s+-\s+\d{4}-/m);

    const members = jsonOf<Array<{ crmUserId: string; availability: { state: string; busyCallId?: string } }>>(
      await c2c(['team', 'show', tenantId, 'support', '--json']),
    );
    expect(members.map((m) => [m.crmUserId, m.availability.state])).toEqual([
      ['u-call', 'on_call'],
      ['u-lock', 'placing_call'],
    ]);
    expect(members[0]!.availability.busyCallId).toBe('c_CALL');
  });

  it('refuses a team nobody is in (exit 1) and a name that cannot be a team (exit 2)', async () => {
    const unknown = await c2c(['team', 'show', tenantId, 'nobody']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`Team nobody has no members in tenant ${tenantId}`);
    const bad = await c2c(['team', 'show', tenantId, 'no#hash']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('<team>: a letter or digit');
  });
});
