import { BatchGetCommand, BatchWriteCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { agentInputSchema, agentSchema, crmUserIdSchema, type Agent, type AgentInput, type AgentRef } from '../model/agent';
import { systemClock, type Clock } from '../time/clock';
import type { Table } from './client';
import { CorruptItemError, isConditionalCheckFailed } from './errors';
import { AgentPresenceRepository } from './agent-presence';
import { AgentExtensions, ExtensionTakenError } from './agent-extensions';
import { agentByEmailPk, agentByExtensionPk, agentSk, INDEX, teamMemberSk, teamMembersPrefix, tenantPk } from './keys';
import { agentsListing, teamMembersListing, type PageFilters } from './listings';
import { processCursorCodec, type CursorCodec, type Page } from './pagination';
import { queryAll, queryPages } from './query-pages';

/** A member of a team as the team's index holds it: enough to route without reading the agent. */
export interface TeamMember {
  team: string;
  crmUserId: string;
  extension: string;
}

/** A row of an import whose extension another agent holds: reported, not written. */
export interface ExtensionRefusal {
  crmUserId: string;
  extension: string;
  heldBy: string;
}

/** What `putMany` did: the agents written, the rows refused for their extension, the agents a forced row removed. */
export interface PutManyResult {
  written: number;
  taken: ExtensionRefusal[];
  displaced: string[];
}

export class AgentRepository {
  private readonly presence: AgentPresenceRepository;
  private readonly extensions: AgentExtensions;

  constructor(
    private readonly table: Table,
    private readonly clock: Clock = systemClock,
    /** Signs and checks the cursors of the listings: a stage's own (lib/compose/shared.ts); this process's by default. */
    private readonly cursors: CursorCodec = processCursorCodec(),
  ) {
    this.presence = new AgentPresenceRepository(table);
    this.extensions = new AgentExtensions(table, clock);
  }

  async get(tenantId: string, crmUserId: string): Promise<Agent | undefined> {
    const out = await this.table.doc.send(
      new GetCommand({ TableName: this.table.name, Key: { pk: tenantPk(tenantId), sk: agentSk(crmUserId) } }),
    );
    return out.Item ? parseAgentItem(out.Item) : undefined;
  }

  /** Resolves any of the three ways a caller may name an agent, in one round trip. */
  async find(tenantId: string, ref: AgentRef): Promise<Agent | undefined> {
    if ('crmUserId' in ref) return this.get(tenantId, ref.crmUserId);
    const [indexName, pk] =
      'email' in ref ? [INDEX.gsi1, agentByEmailPk(tenantId, ref.email)] : [INDEX.gsi2, agentByExtensionPk(tenantId, ref.extension)];
    const out = await this.table.doc.send(
      new QueryCommand({
        TableName: this.table.name,
        IndexName: indexName,
        KeyConditionExpression: `${indexName}pk = :pk`,
        ExpressionAttributeValues: { ':pk': pk },
        Limit: 1,
      }),
    );
    const item = out.Items?.[0];
    return item ? parseAgentItem(item) : undefined;
  }

  /**
   * Creates or replaces an agent; `created` tells which. Its extension is taken first (one conditional write,
   * lib/store/agent-extensions.ts): held by another agent, the PUT is refused with `extension_taken` and writes nothing,
   * unless `force`, which moves it: the agents that held it are removed (`displaced`). An extension the agent leaves is
   * given back once the agent item no longer names it.
   */
  async put(
    tenantId: string,
    crmUserId: string,
    input: AgentInput,
    options: { force?: boolean } = {},
  ): Promise<{ agent: Agent; created: boolean; displaced: string[] }> {
    const fields = agentInputSchema.parse(input);
    const { displaced } = await this.extensions.claim(tenantId, crmUserId, fields.extension, options.force);
    const now = this.clock().toISOString();
    const out = await this.table.doc.send(
      new PutCommand({
        TableName: this.table.name,
        Item: toItem({ tenantId, crmUserId, ...fields, createdAt: now, updatedAt: now }),
        ReturnValues: 'ALL_OLD',
      }),
    );
    const previous = out.Attributes ? parseAgentItem(out.Attributes) : undefined;
    let agent: Agent;
    if (!previous) {
      agent = agentSchema.parse({ tenantId, crmUserId, ...fields, createdAt: now, updatedAt: now });
      await this.syncTeams(tenantId, [{ agent }]);
    } else {
      // Keep the first creation time: a PUT replaces the agent's settings, not its history.
      agent = agentSchema.parse({ tenantId, crmUserId, ...fields, createdAt: previous.createdAt, updatedAt: now });
      await this.table.doc.send(new PutCommand({ TableName: this.table.name, Item: toItem(agent) }));
      await this.syncTeams(tenantId, [{ agent, before: previous.teams }]);
      if (previous.extension !== agent.extension) await this.extensions.release(tenantId, crmUserId, previous.extension);
    }
    for (const holder of displaced) await this.removeFromExtension(tenantId, holder, agent.extension);
    return { agent, created: !previous, displaced };
  }

  /**
   * Writes many agents, 25 to a request; each agent is one item, so no agent is ever half written.
   * A crmUserId given twice is written once (the last one wins: DynamoDB refuses a batch holding one key
   * twice), and agents that exist already keep their creation time. Each agent's extension is taken first, as by
   * `put`: a row whose extension another agent holds is not written (`taken`), unless `force`, which moves it.
   */
  async putMany(
    tenantId: string,
    agents: Array<{ crmUserId: string } & AgentInput>,
    onBatch?: (written: number) => void,
    options: { force?: boolean } = {},
  ): Promise<PutManyResult> {
    const now = this.clock().toISOString();
    const latest = new Map(agents.map((agent) => [crmUserIdSchema.parse(agent.crmUserId), agent]));
    const rows = [...latest].map(([crmUserId, { crmUserId: _id, ...input }]) => ({ crmUserId, fields: agentInputSchema.parse(input) }));
    const result: PutManyResult = { written: 0, taken: [], displaced: [] };
    let done = 0;
    for (let i = 0; i < rows.length; i += 25) {
      const claimed = await Promise.all(
        rows.slice(i, i + 25).map(async (row) => {
          try {
            return { row, claim: await this.extensions.claim(tenantId, row.crmUserId, row.fields.extension, options.force) };
          } catch (error) {
            if (!(error instanceof ExtensionTakenError)) throw error;
            result.taken.push({ crmUserId: row.crmUserId, extension: error.extension, heldBy: error.holder });
            return undefined;
          }
        }),
      );
      const batch = claimed.flatMap((c) => (c ? [c] : []));
      const existing = await this.existingOf(
        tenantId,
        batch.map(({ row }) => row.crmUserId),
      );
      const written = batch.map(({ row: { crmUserId, fields } }) => ({
        agent: agentSchema.parse({ tenantId, crmUserId, ...fields, createdAt: existing.get(crmUserId)?.createdAt ?? now, updatedAt: now }),
        before: existing.get(crmUserId)?.teams,
      }));
      let requests = written.map(({ agent }) => ({ PutRequest: { Item: toItem(agent) } }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt > 8) throw new Error('DynamoDB kept returning unprocessed agent writes');
        if (attempt > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
        const out = await this.table.doc.send(new BatchWriteCommand({ RequestItems: { [this.table.name]: requests } }));
        requests = (out.UnprocessedItems?.[this.table.name] ?? []) as typeof requests;
      }
      await this.syncTeams(tenantId, written);
      for (const { agent } of written) {
        const left = existing.get(agent.crmUserId)?.extension;
        if (left !== undefined && left !== agent.extension) await this.extensions.release(tenantId, agent.crmUserId, left);
      }
      for (const { row, claim } of batch) {
        for (const holder of claim.displaced) await this.removeFromExtension(tenantId, holder, row.fields.extension);
        result.displaced.push(...claim.displaced);
      }
      result.written += batch.length;
      done += Math.min(25, rows.length - i);
      onBatch?.(done);
    }
    return result;
  }

  /**
   * `force` moved an extension away from this agent: an agent is reachable only through its extension, so it is removed
   * (its item, team memberships and presence), on condition that its item still names the extension.
   */
  private async removeFromExtension(tenantId: string, crmUserId: string, extension: string): Promise<void> {
    let out;
    try {
      out = await this.table.doc.send(
        new DeleteCommand({
          TableName: this.table.name,
          Key: { pk: tenantPk(tenantId), sk: agentSk(crmUserId) },
          ConditionExpression: 'extension = :extension',
          ExpressionAttributeValues: { ':extension': extension },
          ReturnValues: 'ALL_OLD',
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) return;
      throw error;
    }
    const teams = Array.isArray(out.Attributes?.teams) ? (out.Attributes.teams as string[]) : [];
    await this.batchWrite(teams.map((team) => ({ DeleteRequest: { Key: { pk: tenantPk(tenantId), sk: teamMemberSk(team, crmUserId) } } })));
    await this.presence.delete(tenantId, crmUserId);
  }

  /**
   * Brings the team index in line with the agents just written: a member item per team the agent is in (with its
   * extension, so routing reads no agent), none for a team it left. The agent item is the truth; the router checks
   * a member it picks against it, so an index a crash left behind never routes a call to a non-member.
   * Also copies each agent's extension onto its presence item, where a call naming the agent reads it in the write
   * that takes the agent's lock (lib/policy/caps.ts): one request fewer per call.
   */
  private async syncTeams(tenantId: string, written: Array<{ agent: Agent; before?: string[] }>): Promise<void> {
    const requests: Array<Record<string, unknown>> = [];
    for (const { agent, before } of written) {
      for (const team of agent.teams ?? []) {
        requests.push({
          PutRequest: {
            Item: {
              pk: tenantPk(tenantId),
              sk: teamMemberSk(team, agent.crmUserId),
              type: 'teamMember',
              team,
              crmUserId: agent.crmUserId,
              extension: agent.extension,
            },
          },
        });
      }
      for (const team of before ?? []) {
        if (!(agent.teams ?? []).includes(team)) {
          requests.push({ DeleteRequest: { Key: { pk: tenantPk(tenantId), sk: teamMemberSk(team, agent.crmUserId) } } });
        }
      }
    }
    await this.batchWrite(requests);
    await Promise.all(written.map(({ agent }) => this.presence.setExtension(tenantId, agent.crmUserId, agent.extension)));
  }

  private async batchWrite(all: Array<Record<string, unknown>>): Promise<void> {
    for (let i = 0; i < all.length; i += 25) {
      let requests = all.slice(i, i + 25);
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt > 8) throw new Error('DynamoDB kept returning unprocessed team writes');
        if (attempt > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
        const out = await this.table.doc.send(new BatchWriteCommand({ RequestItems: { [this.table.name]: requests } }));
        requests = out.UnprocessedItems?.[this.table.name] ?? [];
      }
    }
  }

  /** The members of a team, from the team index (at most `limit`, 1000 by default), page after page. */
  async listTeam(tenantId: string, team: string, limit = 1000): Promise<TeamMember[]> {
    const members: TeamMember[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.listMembers(tenantId, { team, limit: Math.min(limit - members.length, 1000), cursor });
      members.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor && members.length < limit);
    return members;
  }

  /**
   * A page of the team index in key order: one team's members, or with no `team` every team's (a member of two
   * teams is two items). The cursor is bound to its listing (and to the `filters` the caller applies to the page):
   * one of another listing is refused, never followed.
   */
  async listMembers(
    tenantId: string,
    options: { team?: string; limit?: number; cursor?: string; filters?: PageFilters } = {},
  ): Promise<Page<TeamMember>> {
    const pk = tenantPk(tenantId);
    const prefix = teamMembersPrefix(options.team);
    const listing = teamMembersListing(tenantId, options.team, options.filters);
    // One page: the caller asks for the next with its cursor.
    const out = await queryAll(
      this.table,
      { KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)', ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix } },
      { start: this.cursors.decode(listing, options.cursor), maxItems: options.limit ?? 100, maxPages: 1 },
    );
    const items: TeamMember[] = [];
    for (const item of out.items) {
      if (typeof item.team === 'string' && typeof item.crmUserId === 'string' && typeof item.extension === 'string') {
        items.push({ team: item.team, crmUserId: item.crmUserId, extension: item.extension });
      }
    }
    return { items, nextCursor: this.cursors.encode(listing, out.lastKey) };
  }

  /** Agents by id, 100 to a request (the members of a team page); ids with no agent are absent from the map. */
  async getMany(tenantId: string, crmUserIds: readonly string[]): Promise<Map<string, Agent>> {
    const found = new Map<string, Agent>();
    const unique = [...new Set(crmUserIds)];
    for (let i = 0; i < unique.length; i += 100) {
      let keys: Array<Record<string, unknown>> = unique.slice(i, i + 100).map((id) => ({ pk: tenantPk(tenantId), sk: agentSk(id) }));
      for (let attempt = 0; keys.length > 0; attempt++) {
        if (attempt > 8) throw new Error('DynamoDB kept returning unprocessed agent reads');
        if (attempt > 0) await new Promise((r) => setTimeout(r, 25 * 2 ** attempt));
        const out = await this.table.doc.send(new BatchGetCommand({ RequestItems: { [this.table.name]: { Keys: keys } } }));
        for (const item of out.Responses?.[this.table.name] ?? []) {
          const agent = parseAgentItem(item);
          found.set(agent.crmUserId, agent);
        }
        keys = out.UnprocessedKeys?.[this.table.name]?.Keys ?? [];
      }
    }
    return found;
  }

  /** Every team of a tenant with its member count, from the team index. */
  async listTeams(tenantId: string): Promise<Array<{ team: string; members: number }>> {
    const counts = new Map<string, number>();
    const query = {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': tenantPk(tenantId), ':prefix': teamMembersPrefix() },
      ProjectionExpression: 'team',
    };
    for await (const page of queryPages(this.table, query)) {
      for (const item of page.items) if (typeof item.team === 'string') counts.set(item.team, (counts.get(item.team) ?? 0) + 1);
    }
    return [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([team, members]) => ({ team, members }));
  }

  /** Creation times and teams of the agents among `crmUserIds` that exist already (at most 25 at once). */
  private async existingOf(
    tenantId: string,
    crmUserIds: string[],
  ): Promise<Map<string, { createdAt: string; teams?: string[]; extension?: string }>> {
    const found = new Map<string, { createdAt: string; teams?: string[]; extension?: string }>();
    if (crmUserIds.length === 0) return found;
    let keys: Array<Record<string, unknown>> = crmUserIds.map((id) => ({ pk: tenantPk(tenantId), sk: agentSk(id) }));
    for (let attempt = 0; keys.length > 0; attempt++) {
      if (attempt > 8) throw new Error('DynamoDB kept returning unprocessed agent reads');
      if (attempt > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
      const out = await this.table.doc.send(
        new BatchGetCommand({
          RequestItems: { [this.table.name]: { Keys: keys, ProjectionExpression: 'crmUserId, createdAt, teams, extension' } },
        }),
      );
      for (const item of out.Responses?.[this.table.name] ?? []) {
        if (typeof item.crmUserId === 'string' && typeof item.createdAt === 'string') {
          found.set(item.crmUserId, {
            createdAt: item.createdAt,
            teams: Array.isArray(item.teams) ? (item.teams as string[]) : undefined,
            extension: typeof item.extension === 'string' ? item.extension : undefined,
          });
        }
      }
      keys = out.UnprocessedKeys?.[this.table.name]?.Keys ?? [];
    }
    return found;
  }

  async delete(tenantId: string, crmUserId: string): Promise<boolean> {
    const out = await this.table.doc.send(
      new DeleteCommand({
        TableName: this.table.name,
        Key: { pk: tenantPk(tenantId), sk: agentSk(crmUserId) },
        ReturnValues: 'ALL_OLD',
      }),
    );
    const teams = Array.isArray(out.Attributes?.teams) ? (out.Attributes.teams as string[]) : [];
    await this.batchWrite(teams.map((team) => ({ DeleteRequest: { Key: { pk: tenantPk(tenantId), sk: teamMemberSk(team, crmUserId) } } })));
    // The presence item carries the extension calls read: without it, no call can name this agent any more.
    await this.presence.delete(tenantId, crmUserId);
    if (typeof out.Attributes?.extension === 'string') await this.extensions.release(tenantId, crmUserId, out.Attributes.extension);
    return out.Attributes !== undefined;
  }

  /** A page of the agents in key order; the cursor is bound to this listing and to the `filters` the caller applies. */
  async list(tenantId: string, options: { limit?: number; cursor?: string; filters?: PageFilters } = {}): Promise<Page<Agent>> {
    const pk = tenantPk(tenantId);
    const listing = agentsListing(tenantId, options.filters);
    // One page: the caller asks for the next with its cursor.
    const out = await queryAll(
      this.table,
      { KeyConditionExpression: 'pk = :pk AND begins_with(sk, :agent)', ExpressionAttributeValues: { ':pk': pk, ':agent': 'AGENT#' } },
      { start: this.cursors.decode(listing, options.cursor), maxItems: options.limit ?? 100, maxPages: 1 },
    );
    return { items: out.items.map(parseAgentItem), nextCursor: this.cursors.encode(listing, out.lastKey) };
  }

  /** Every agent of a tenant, page after page (the CLI and the doctor). */
  async listAll(tenantId: string): Promise<Agent[]> {
    const all: Agent[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.list(tenantId, { limit: 500, cursor });
      all.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return all;
  }
}

function toItem(agent: Agent) {
  return {
    pk: tenantPk(agent.tenantId),
    sk: agentSk(agent.crmUserId),
    type: 'agent',
    ...(agent.email ? { gsi1pk: agentByEmailPk(agent.tenantId, agent.email), gsi1sk: agentSk(agent.crmUserId) } : {}),
    gsi2pk: agentByExtensionPk(agent.tenantId, agent.extension),
    gsi2sk: agentSk(agent.crmUserId),
    ...agent,
  };
}

export function parseAgentItem(item: Record<string, unknown>): Agent {
  const parsed = agentSchema.safeParse(item);
  if (!parsed.success) throw new CorruptItemError('agent', { cause: parsed.error });
  return parsed.data;
}
