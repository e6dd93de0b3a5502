import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DomainError } from '../model/domain-error';
import { systemClock, type Clock } from '../time/clock';
import type { Table } from './client';
import { isConditionalCheckFailed } from './errors';
import { agentByExtensionPk, agentExtensionSk, agentSk, INDEX, tenantPk } from './keys';

/**
 * How old a claim whose agent does not hold the extension must be before another agent may take it over: a claim is
 * written before its agent (lib/store/agents.ts), so a younger one may belong to a PUT still on its way; an older one
 * was left by a PUT that stopped between the two writes. Far longer than any request lives (API Gateway: 30 s).
 */
export const STALE_CLAIM_SEC = 120;

/** The extension is another agent's: 409 naming it, and how to move it. */
export class ExtensionTakenError extends DomainError {
  constructor(
    readonly extension: string,
    readonly holder: string,
  ) {
    super(
      'extension_taken',
      `Extension ${extension} is taken by agent ${holder} of this tenant: give another extension, or move it with force (the API's ?force=true, the CLI's --force), which removes agent ${holder}.`,
      { extensions: { extension, heldBy: holder } },
    );
    this.name = 'ExtensionTakenError';
  }
}

/** What a claim did: taken (or held already), and the agents it took the extension from (with force only). */
export interface ExtensionClaim {
  displaced: string[];
}

/**
 * One agent per extension within a tenant: a uniqueness item per extension (`AGENTEXT#<extension>`, under the
 * tenant) names the agent that holds it. Taking it is one conditional put (`attribute_not_exists(pk) OR crmUserId =
 * :me`), so of two PUTs racing for one extension exactly one wins, whatever they read before; the loser is refused
 * (`extension_taken`) and writes nothing. The agent item is written after its claim, and an extension the agent
 * leaves is given back after the agent item no longer names it.
 */
export class AgentExtensions {
  constructor(
    private readonly table: Table,
    private readonly clock: Clock = systemClock,
  ) {}

  private key(tenantId: string, extension: string) {
    return { pk: tenantPk(tenantId), sk: agentExtensionSk(extension) };
  }

  /**
   * Takes `extension` for `crmUserId`. Without `force`, refused with {@link ExtensionTakenError} when another agent holds
   * it. With `force`, taken whatever holds it; `displaced` names the agents that held it, for the caller to remove.
   */
  async claim(tenantId: string, crmUserId: string, extension: string, force = false): Promise<ExtensionClaim> {
    const item = { ...this.key(tenantId, extension), type: 'agentExtension', crmUserId, extension, claimedAt: this.clock().toISOString() };
    let previous: string | undefined;
    try {
      const out = await this.table.doc.send(
        new PutCommand({
          TableName: this.table.name,
          Item: item,
          ...(force
            ? {}
            : { ConditionExpression: 'attribute_not_exists(pk) OR crmUserId = :me', ExpressionAttributeValues: { ':me': crmUserId } }),
          ReturnValues: 'ALL_OLD',
        }),
      );
      previous = typeof out.Attributes?.crmUserId === 'string' ? out.Attributes.crmUserId : undefined;
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      return this.takeOverStale(tenantId, crmUserId, extension, item);
    }
    if (previous === crmUserId) return { displaced: [] };
    // A fresh claim: an agent stored before claims existed may hold the extension with no claim item (the index by extension).
    const unclaimed = (await this.agentsOn(tenantId, extension)).filter((id) => id !== crmUserId);
    const displaced = [...new Set([...(previous ? [previous] : []), ...unclaimed])];
    if (displaced.length > 0 && !force) {
      await this.release(tenantId, crmUserId, extension);
      throw new ExtensionTakenError(extension, displaced[0]!);
    }
    return { displaced };
  }

  /**
   * The claim is another agent's. It stays so unless it is stale: that agent does not hold the extension (deleted, or
   * moved on by a PUT that stopped before giving it back) and the claim is older than {@link STALE_CLAIM_SEC}. A stale
   * claim is taken over on condition that it is still the one read.
   */
  private async takeOverStale(
    tenantId: string,
    crmUserId: string,
    extension: string,
    item: Record<string, unknown>,
  ): Promise<ExtensionClaim> {
    const out = await this.table.doc.send(
      new GetCommand({ TableName: this.table.name, Key: this.key(tenantId, extension), ConsistentRead: true }),
    );
    const holder = typeof out.Item?.crmUserId === 'string' ? out.Item.crmUserId : undefined;
    const claimedAtText = typeof out.Item?.claimedAt === 'string' ? out.Item.claimedAt : '';
    const claimedAt = claimedAtText === '' ? 0 : Date.parse(claimedAtText);
    // Gone between the refused put and this read: claim again, conditionally, as a new claim.
    if (!holder) return this.claim(tenantId, crmUserId, extension);
    if (holder === crmUserId) return { displaced: [] };
    const old = this.clock().getTime() - claimedAt > STALE_CLAIM_SEC * 1000;
    if (!old || (await this.holds(tenantId, holder, extension))) throw new ExtensionTakenError(extension, holder);
    try {
      await this.table.doc.send(
        new PutCommand({
          TableName: this.table.name,
          Item: item,
          ConditionExpression: 'crmUserId = :holder AND claimedAt = :claimedAt',
          ExpressionAttributeValues: { ':holder': holder, ':claimedAt': claimedAtText },
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) throw new ExtensionTakenError(extension, holder);
      throw error;
    }
    return { displaced: [] };
  }

  /** Gives the extension back, if `crmUserId` still holds it. */
  async release(tenantId: string, crmUserId: string, extension: string): Promise<void> {
    try {
      await this.table.doc.send(
        new DeleteCommand({
          TableName: this.table.name,
          Key: this.key(tenantId, extension),
          ConditionExpression: 'crmUserId = :me',
          ExpressionAttributeValues: { ':me': crmUserId },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }

  /** Whether the agent's own item names the extension. */
  private async holds(tenantId: string, crmUserId: string, extension: string): Promise<boolean> {
    const out = await this.table.doc.send(
      new GetCommand({
        TableName: this.table.name,
        Key: { pk: tenantPk(tenantId), sk: agentSk(crmUserId) },
        ProjectionExpression: 'extension',
        ConsistentRead: true,
      }),
    );
    return out.Item?.extension === extension;
  }

  /** The agents the index by extension (gsi2) shows on an extension. */
  private async agentsOn(tenantId: string, extension: string): Promise<string[]> {
    const out = await this.table.doc.send(
      new QueryCommand({
        TableName: this.table.name,
        IndexName: INDEX.gsi2,
        KeyConditionExpression: 'gsi2pk = :pk',
        ExpressionAttributeValues: { ':pk': agentByExtensionPk(tenantId, extension) },
        Limit: 10,
      }),
    );
    return (out.Items ?? []).flatMap((i) => (typeof i.crmUserId === 'string' ? [i.crmUserId] : []));
  }
}
