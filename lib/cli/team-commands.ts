import { Command } from 'commander';
import type { AgentView, TeamSummary } from '../agents/directory';
import { teamNameSchema } from '../model/agent';
import { directoryOf } from './agent-commands';
import { requireTenant, withStores, type CliDeps, type RunState } from './context';
import { CliError, UsageError } from './errors';
import { renderTable, writeJson } from './io';

/** Teams are the agents' `teams` (c2c agent put --teams, the import's teams column): these commands only read them. */
export function teamCommand(deps: CliDeps, state: RunState): Command {
  const team = new Command('team').description('list teams and show their members with their availability');

  team
    .command('list')
    .description("list a tenant's teams, their members counted by availability now")
    .argument('<tenantId>')
    .option('--json', 'print JSON')
    .action(async (tenantId: string, options: { json?: boolean }, command: Command) => {
      const teams = await withStores(command, deps, state, async (stores) => {
        await requireTenant(stores, tenantId);
        return directoryOf(stores).teams(tenantId);
      });
      if (options.json) return writeJson(deps.stdout, teams);
      if (teams.length === 0) return void deps.stdout.write(`No teams in tenant ${tenantId}: c2c agent put ... --teams sales.\n`);
      deps.stdout.write(teamTable(teams));
    });

  team
    .command('show')
    .description("a team's members with their availability now")
    .argument('<tenantId>')
    .argument('<team>')
    .option('--json', 'print JSON')
    .action(async (tenantId: string, name: string, options: { json?: boolean }, command: Command) => {
      const valid = teamNameSchema.safeParse(name);
      if (!valid.success) throw new UsageError(`<team>: ${valid.error.issues[0]?.message}`);
      const members = await withStores(command, deps, state, async (stores) => {
        await requireTenant(stores, tenantId);
        return directoryOf(stores).teamMembers(tenantId, name);
      });
      // A team is its members: one nobody is in does not exist (a call naming it is refused, team_not_found).
      if (members.length === 0) throw new CliError(`Team ${name} has no members in tenant ${tenantId}`);
      if (options.json) return writeJson(deps.stdout, members);
      deps.stdout.write(memberTable(members));
    });

  return team;
}

function teamTable(teams: TeamSummary[]): string {
  return renderTable(teams, [
    { header: 'TEAM', value: (t) => t.team },
    { header: 'MEMBERS', value: (t) => String(t.members) },
    { header: 'AVAILABLE', value: (t) => String(t.available) },
    { header: 'ON CALL', value: (t) => String(t.onCall) },
    { header: 'PLACING CALL', value: (t) => String(t.placingCall) },
    { header: 'AWAY', value: (t) => String(t.away) },
  ]);
}

function memberTable(members: AgentView[]): string {
  return renderTable(members, [
    { header: 'CRM USER ID', value: (a) => a.crmUserId },
    { header: 'EXTENSION', value: (a) => a.extension },
    { header: 'NAME', value: (a) => a.name },
    { header: 'STATE', value: (a) => a.availability.state },
    { header: 'UNTIL', value: (a) => a.availability.until },
    { header: 'IDLE SINCE', value: (a) => a.availability.idleSince },
  ]);
}
