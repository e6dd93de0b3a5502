import * as z from 'zod';
import {
  availabilityOf,
  FOREVER_SEC,
  teamNameSchema,
  type Agent,
  type AgentInput,
  type AgentPresence,
  type Availability,
} from '../model/agent';
import type { AgentPresenceRepository } from '../store/agent-presence';
import type { AgentRepository } from '../store/agents';
import type { Page } from '../store/pagination';
import { systemClock, type Clock } from '../time/clock';
import { DomainError } from '../model/domain-error';
import { coercedInteger } from '../model/integer';

/** How far ahead an away toggle may end (or an available agent go away): further is a typo, not a plan. */
export const MAX_UNTIL_AHEAD_SEC = 30 * 86_400;

/** `PUT /v1/agents/{crmUserId}/availability`. */
export const availabilityInputSchema = z.strictObject({
  available: z.boolean(),
  until: z.iso.datetime({ offset: true }).optional().meta({
    description:
      'RFC 3339 with an offset, in the future, at most 30 days ahead. With available:false, away until then; with available:true, available now and away from then on.',
  }),
});
export type AvailabilityInput = z.infer<typeof availabilityInputSchema>;

/** `PUT /v1/agents/{crmUserId}?force=true`: move the extension from the agent that holds it (which is removed). */
export const putAgentQuerySchema = z.strictObject({
  force: z
    .enum(['true', 'false'])
    .transform((value) => value === 'true')
    .optional()
    .meta({ description: 'true: take the extension from the agent that holds it; that agent is removed.' }),
});

/** `GET /v1/agents`: the plain listing, or one team's members; either filtered by availability. */
export const listAgentsQuerySchema = z.strictObject({
  limit: coercedInteger({ min: 1, max: 500 }).default(100),
  // Any length: one that is not a cursor of this listing is the listing's own 400 `invalid_cursor`.
  cursor: z.string().optional(),
  team: teamNameSchema.optional(),
  available: z
    .enum(['true', 'false'])
    .transform((value) => value === 'true')
    .optional(),
});
export type ListAgentsQuery = z.output<typeof listAgentsQuerySchema>;

/**
 * What an agent resource says of the agent's availability now (docs/api.md, "Availability"). Its schema, which only the
 * API's document reads, is lib/openapi/agent-schemas.ts: a function that lists agents does not build it at cold start.
 */
export interface AgentAvailability {
  state: Availability;
  /** away: since when. */
  since?: string;
  /** away: when the away toggle ends (absent: until set back); on_call: when the call stops counting without a Call End; available: when a planned away starts. */
  until?: string;
  /** on_call: the call the agent is on. */
  busyCallId?: string;
  /** When the agent last became free: the longest idle is routed first. */
  idleSince?: string;
}

/** One team of `GET /v1/teams` (schema: lib/openapi/agent-schemas.ts). */
export interface TeamSummary {
  team: string;
  members: number;
  available: number;
  onCall: number;
  away: number;
  placingCall: number;
}

/** The agent resource of docs/api.md: the stored agent without its tenant, with its availability. */
export type AgentView = Omit<Agent, 'tenantId'> & { availability: AgentAvailability };

export type SetAvailabilityResult =
  { kind: 'updated'; agent: AgentView } | { kind: 'not_found' } | { kind: 'invalid'; field: 'until'; message: string };

export interface AgentDirectoryDeps {
  agents: AgentRepository;
  presence: AgentPresenceRepository;
  now?: Clock;
}

const iso = (sec: number) => new Date(sec * 1000).toISOString();

/** The availability part of an agent resource, from the presence item as it stands at `nowSec`. */
export function availabilityView(presence: AgentPresence | undefined, nowSec: number): AgentAvailability {
  const state = availabilityOf(presence, nowSec);
  const view: AgentAvailability = { state };
  if (state === 'away' && presence?.awayFrom !== undefined) {
    view.since = iso(presence.awayFrom);
    if (presence.awayUntil !== undefined && presence.awayUntil < FOREVER_SEC) view.until = iso(presence.awayUntil);
  } else if (state === 'on_call' && presence?.busyUntil !== undefined) {
    view.until = iso(presence.busyUntil);
    if (presence.busyCallId !== undefined) view.busyCallId = presence.busyCallId;
  } else if (state === 'available' && presence?.awayFrom !== undefined && presence.awayFrom > nowSec) {
    // Set available with an `until`: available now, away from then on.
    view.until = iso(presence.awayFrom);
  }
  if (presence?.idleSince !== undefined) view.idleSince = iso(presence.idleSince);
  return view;
}

/** Memberships GET /v1/teams reads at most (the read budget charges it for those it read, and their presence items). */
export const MAX_TEAM_MEMBERSHIPS = 2000;

/** The tenant's teams hold more memberships than one answer may read. */
export class TooManyMembershipsError extends DomainError {
  constructor(readonly max: number) {
    super(
      'too_many_memberships',
      `The teams hold more than ${max} memberships (an agent in two teams is two): list each team with GET /v1/agents?team=<name>.`,
    );
    this.name = 'TooManyMembershipsError';
  }
}

/**
 * The agents of a tenant as the API and the CLI show them: the agent items, their teams, and each agent's availability
 * read from its presence item (lib/store/agent-presence.ts), which the router, the PBX's events and the away toggle write.
 */
export class AgentDirectory {
  private readonly now: Clock;

  constructor(private readonly deps: AgentDirectoryDeps) {
    this.now = deps.now ?? systemClock;
  }

  private nowSec(): number {
    return Math.floor(this.now().getTime() / 1000);
  }

  private async withAvailability(tenantId: string, agents: Agent[]): Promise<AgentView[]> {
    if (agents.length === 0) return [];
    const presence = await this.deps.presence.getMany(
      tenantId,
      agents.map((a) => a.crmUserId),
    );
    const nowSec = this.nowSec();
    return agents.map(({ tenantId: _t, ...agent }) => ({
      ...agent,
      availability: availabilityView(presence.get(agent.crmUserId), nowSec),
    }));
  }

  async get(tenantId: string, crmUserId: string): Promise<AgentView | undefined> {
    const agent = await this.deps.agents.get(tenantId, crmUserId);
    return agent ? (await this.withAvailability(tenantId, [agent]))[0] : undefined;
  }

  /**
   * Creates or replaces an agent (its teams too); the answer carries its availability, which a PUT leaves as it was. An
   * extension another agent holds is refused (`extension_taken`), or with `force` moved: `displaced` names the agents
   * removed for it (docs/api.md, "One agent per extension").
   */
  async put(
    tenantId: string,
    crmUserId: string,
    input: AgentInput,
    options: { force?: boolean } = {},
  ): Promise<{ agent: AgentView; created: boolean; displaced: string[] }> {
    const { agent, created, displaced } = await this.deps.agents.put(tenantId, crmUserId, input, options);
    const [view] = await this.withAvailability(tenantId, [agent]);
    return { agent: view!, created, displaced };
  }

  /** Deletes the agent, its team memberships and its presence: an agent created again later starts available. */
  async delete(tenantId: string, crmUserId: string): Promise<boolean> {
    const deleted = await this.deps.agents.delete(tenantId, crmUserId);
    if (deleted) await this.deps.presence.delete(tenantId, crmUserId);
    return deleted;
  }

  /**
   * A page of agents, or of one team's members (in crmUserId order), with their availability; `available` keeps only
   * the agents that are (or are not) available now. The filter is applied to the page as read, so a page may be short
   * while more follow (docs/api.md, "Pagination").
   */
  async list(tenantId: string, query: { limit: number; cursor?: string; team?: string; available?: boolean }): Promise<Page<AgentView>> {
    let agents: Agent[];
    let nextCursor: string | undefined;
    // The availability filter is applied here, page by page: bound into the cursor all the same, like the store's own.
    const filters = [query.available ?? null];
    if (query.team === undefined) {
      ({ items: agents, nextCursor } = await this.deps.agents.list(tenantId, { limit: query.limit, cursor: query.cursor, filters }));
    } else {
      const team = query.team;
      const page = await this.deps.agents.listMembers(tenantId, { team, limit: query.limit, cursor: query.cursor, filters });
      const found = await this.deps.agents.getMany(
        tenantId,
        page.items.map((m) => m.crmUserId),
      );
      // The agent item is the truth: a member item a crash left behind (agent deleted, or moved out of the team) is skipped.
      agents = page.items.flatMap((m) => {
        const agent = found.get(m.crmUserId);
        return agent?.teams?.includes(team) ? [agent] : [];
      });
      nextCursor = page.nextCursor;
    }
    let items = await this.withAvailability(tenantId, agents);
    if (query.available !== undefined) items = items.filter((a) => (a.availability.state === 'available') === query.available);
    return { items, nextCursor };
  }

  /** Every member of a team with its availability (the CLI's `team show`); empty for a team nobody is in. */
  async teamMembers(tenantId: string, team: string): Promise<AgentView[]> {
    const all: AgentView[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.list(tenantId, { team, limit: 500, cursor });
      all.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return all;
  }

  /**
   * Every team of the tenant with its members counted by availability now, by team name. With `maxMemberships` (the
   * API's bound), reads at most one membership past it and refuses rather than answer counts that leave members out.
   *
   * @throws {TooManyMembershipsError} past `maxMemberships`
   */
  async teams(tenantId: string, options: { maxMemberships?: number } = {}): Promise<TeamSummary[]> {
    const max = options.maxMemberships ?? Infinity;
    const members: Array<{ team: string; crmUserId: string }> = [];
    let cursor: string | undefined;
    do {
      const page = await this.deps.agents.listMembers(tenantId, { limit: Math.min(1000, max + 1 - members.length), cursor });
      members.push(...page.items);
      cursor = page.nextCursor;
      if (members.length > max) throw new TooManyMembershipsError(max);
    } while (cursor);
    const presence = await this.deps.presence.getMany(
      tenantId,
      members.map((m) => m.crmUserId),
    );
    const nowSec = this.nowSec();
    const byTeam = new Map<string, TeamSummary>();
    const counter: Record<Availability, 'available' | 'onCall' | 'away' | 'placingCall'> = {
      available: 'available',
      on_call: 'onCall',
      away: 'away',
      placing_call: 'placingCall',
    };
    for (const { team, crmUserId } of members) {
      let summary = byTeam.get(team);
      if (!summary) {
        summary = { team, members: 0, available: 0, onCall: 0, away: 0, placingCall: 0 };
        byTeam.set(team, summary);
      }
      summary.members++;
      summary[counter[availabilityOf(presence.get(crmUserId), nowSec)]]++;
    }
    return [...byTeam.values()].sort((a, b) => (a.team < b.team ? -1 : a.team > b.team ? 1 : 0));
  }

  /**
   * The away toggle. `available: false` is away from now until `until` (or until set back); `available: true` is
   * available now and, with `until`, away from then on. `until` must be in the future and at most 30 days ahead.
   */
  async setAvailability(tenantId: string, crmUserId: string, input: AvailabilityInput): Promise<SetAvailabilityResult> {
    const nowSec = this.nowSec();
    let untilSec: number | undefined;
    if (input.until !== undefined) {
      untilSec = Math.floor(Date.parse(input.until) / 1000);
      if (!Number.isFinite(untilSec)) return { kind: 'invalid', field: 'until', message: 'not an RFC 3339 date-time with an offset' };
      if (untilSec <= nowSec) return { kind: 'invalid', field: 'until', message: 'must be in the future' };
      if (untilSec - nowSec > MAX_UNTIL_AHEAD_SEC) return { kind: 'invalid', field: 'until', message: 'must be at most 30 days ahead' };
    }
    const agent = await this.deps.agents.get(tenantId, crmUserId);
    if (!agent) return { kind: 'not_found' };
    const presence = await this.deps.presence.setAvailability(tenantId, crmUserId, input.available, nowSec, untilSec);
    const { tenantId: _t, ...rest } = agent;
    return { kind: 'updated', agent: { ...rest, availability: availabilityView(presence, nowSec) } };
  }
}
