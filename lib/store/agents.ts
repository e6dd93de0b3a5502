import { BatchGetCommand, BatchWriteCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { agentInputSchema, agentSchema, crmUserIdSchema, type Agent, type AgentInput, type AgentRef } from '../model/agent';
import { systemClock, type Clock } from '../time/clock';
import type { Table } from './client';
import { CorruptItemError } from './errors';
import { agentByEmailPk, agentByExtensionPk, agentSk, INDEX, tenantPk } from './keys';
import { decodeCursor, encodeCursor, type Page } from './pagination';

export class AgentRepository {
  constructor(
    private readonly table: Table,
    private readonly clock: Clock = systemClock,
  ) {}

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

  /** Creates or replaces an agent; `created` tells which. */
  async put(tenantId: string, crmUserId: string, input: AgentInput): Promise<{ agent: Agent; created: boolean }> {
    const fields = agentInputSchema.parse(input);
    const now = this.clock().toISOString();
    const out = await this.table.doc.send(
      new PutCommand({
        TableName: this.table.name,
        Item: toItem({ tenantId, crmUserId, ...fields, createdAt: now, updatedAt: now }),
        ReturnValues: 'ALL_OLD',
      }),
    );
    const previous = out.Attributes ? parseAgentItem(out.Attributes) : undefined;
    if (!previous) return { agent: agentSchema.parse({ tenantId, crmUserId, ...fields, createdAt: now, updatedAt: now }), created: true };
    // Keep the first creation time: a PUT replaces the agent's settings, not its history.
    const agent = agentSchema.parse({ tenantId, crmUserId, ...fields, createdAt: previous.createdAt, updatedAt: now });
    await this.table.doc.send(new PutCommand({ TableName: this.table.name, Item: toItem(agent) }));
    return { agent, created: false };
  }

  /**
   * Writes many agents, 25 to a request; each agent is one item, so no agent is ever half written.
   * A crmUserId given twice is written once (the last one wins: DynamoDB refuses a batch holding one key
   * twice), and agents that exist already keep their creation time.
   */
  async putMany(tenantId: string, agents: Array<{ crmUserId: string } & AgentInput>, onBatch?: (written: number) => void): Promise<number> {
    const now = this.clock().toISOString();
    const latest = new Map(agents.map((agent) => [crmUserIdSchema.parse(agent.crmUserId), agent]));
    const rows = [...latest].map(([crmUserId, { crmUserId: _id, ...input }]) => ({ crmUserId, fields: agentInputSchema.parse(input) }));
    let written = 0;
    for (let i = 0; i < rows.length; i += 25) {
      const batch = rows.slice(i, i + 25);
      const created = await this.creationTimes(
        tenantId,
        batch.map((r) => r.crmUserId),
      );
      let requests = batch.map(({ crmUserId, fields }) => ({
        PutRequest: { Item: toItem({ tenantId, crmUserId, ...fields, createdAt: created.get(crmUserId) ?? now, updatedAt: now }) },
      }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt > 8) throw new Error('DynamoDB kept returning unprocessed agent writes');
        if (attempt > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
        const out = await this.table.doc.send(new BatchWriteCommand({ RequestItems: { [this.table.name]: requests } }));
        requests = (out.UnprocessedItems?.[this.table.name] ?? []) as typeof requests;
      }
      written += batch.length;
      onBatch?.(written);
    }
    return written;
  }

  /** Creation times of the agents among `crmUserIds` that exist already (at most 25 at once). */
  private async creationTimes(tenantId: string, crmUserIds: string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    let keys: Array<Record<string, unknown>> = crmUserIds.map((id) => ({ pk: tenantPk(tenantId), sk: agentSk(id) }));
    for (let attempt = 0; keys.length > 0; attempt++) {
      if (attempt > 8) throw new Error('DynamoDB kept returning unprocessed agent reads');
      if (attempt > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
      const out = await this.table.doc.send(
        new BatchGetCommand({ RequestItems: { [this.table.name]: { Keys: keys, ProjectionExpression: 'crmUserId, createdAt' } } }),
      );
      for (const item of out.Responses?.[this.table.name] ?? []) {
        if (typeof item.crmUserId === 'string' && typeof item.createdAt === 'string') found.set(item.crmUserId, item.createdAt);
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
    return out.Attributes !== undefined;
  }

  async list(tenantId: string, options: { limit?: number; cursor?: string } = {}): Promise<Page<Agent>> {
    const pk = tenantPk(tenantId);
    const out = await this.table.doc.send(
      new QueryCommand({
        TableName: this.table.name,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :agent)',
        ExpressionAttributeValues: { ':pk': pk, ':agent': 'AGENT#' },
        Limit: options.limit ?? 100,
        ExclusiveStartKey: decodeCursor(options.cursor, { pk }),
      }),
    );
    return { items: (out.Items ?? []).map(parseAgentItem), nextCursor: encodeCursor(out.LastEvaluatedKey) };
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
