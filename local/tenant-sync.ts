/**
 * Keeps the PBX simulator in step with the table, so that a tenant made with the CLI gets the same life on the local
 * stack as the demo: its agents' extensions are registered at the simulated PBX, and its calls' PBX Stats events go to
 * its own pbx-events URL, as they would once the operator pasted that URL into the tenant's PBX Stats.
 *
 * The table only holds hashes of PBX-events tokens, so the stack issues one of its own (id {@link LOCAL_TOKEN_ID}) to
 * each tenant that has a live token (the operator turned PBX events on with `c2c outcomes pbx-token issue`), and sends
 * with it. A tenant without a live token gets no events, as on a real PBX with no webhook configured.
 */
import { GetCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { issuePbxEventsToken, pbxEventsUrl } from '../lib/calls/pbx-event-tokens';
import type { Table } from '../lib/store/client';
import { isConditionalCheckFailed } from '../lib/store/errors';
import { callSk, tenantPk, tenantSk } from '../lib/store/keys';
import type { WebhookConfigInput } from './pbx-sim/webhooks';

/** The id of the token the local stack issues to a tenant: replaced on every start (its plain value lives in memory). */
export const LOCAL_TOKEN_ID = 'pt_localstack';

interface TenantFacts {
  tenantId: string;
  /** Unrevoked tokens other than the stack's own: the tenant wants PBX events. */
  liveTokens: number;
}

interface Snapshot {
  extensions: Set<string>;
  tenants: Map<string, TenantFacts>;
}

export interface TenantSyncOptions {
  table: Table;
  apiUrl: string;
  method: WebhookConfigInput['method'];
  /** Tokens the stack already knows in clear (the demo's, issued by the seed). */
  known: ReadonlyMap<string, string>;
  /** Told of a fault of a pass (the table unreadable): the stack keeps going. */
  onError?: (error: unknown) => void;
}

const tokenRecords = (item: Record<string, unknown>) => {
  const tokens = (item.pbxEvents as { tokens?: unknown } | undefined)?.tokens;
  return Array.isArray(tokens) ? (tokens as Array<{ id?: unknown; revokedAt?: unknown }>) : [];
};

export class TenantSync {
  readonly #tokens: Map<string, string>;
  #snapshot: Snapshot = { extensions: new Set(), tenants: new Map() };
  #refreshing: Promise<Snapshot> | undefined;

  constructor(private readonly options: TenantSyncOptions) {
    this.#tokens = new Map(options.known);
  }

  /** Reads every tenant and agent of the table (the local table is small), and issues the stack's token where due. */
  refresh(): Promise<Snapshot> {
    this.#refreshing ??= this.#read()
      .then(async (snapshot) => {
        this.#snapshot = snapshot;
        for (const facts of snapshot.tenants.values()) {
          // One tenant whose item does not open (a secret sealed under another key) must not stop the others.
          if (facts.liveTokens > 0) await this.#ensureToken(facts.tenantId).catch((error: unknown) => this.options.onError?.(error));
        }
        return snapshot;
      })
      .finally(() => {
        this.#refreshing = undefined;
      });
    return this.#refreshing;
  }

  /** Whether an agent of any tenant holds the extension (read again when the last snapshot does not know it). */
  async isRegistered(extension: string): Promise<boolean> {
    if (this.#snapshot.extensions.has(extension)) return true;
    return (await this.refresh()).extensions.has(extension);
  }

  /** The webhook of the tenant whose call this is (`c2c_call_id` of the dial), if that tenant wants PBX events. */
  async webhooksFor(customFields: Readonly<Record<string, string>>): Promise<WebhookConfigInput[]> {
    const callId = customFields.c2c_call_id;
    if (!callId) return [];
    let tenantId = await this.#ownerOf(callId, this.#snapshot);
    if (tenantId === undefined) tenantId = await this.#ownerOf(callId, await this.refresh());
    if (tenantId === undefined) return [];
    const token = this.#tokens.get(tenantId) ?? (await this.#ensureToken(tenantId));
    return token ? [{ url: pbxEventsUrl(this.options.apiUrl, tenantId, token), method: this.options.method }] : [];
  }

  /** Runs {@link refresh} every `intervalMs`, so a token is in place before the tenant's first call. */
  start(intervalMs: number): { stop(): Promise<void> } {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let running: Promise<unknown> = Promise.resolve();
    const tick = () => {
      running = this.refresh()
        .catch((error: unknown) => this.options.onError?.(error))
        .finally(() => {
          if (!stopped) timer = setTimeout(tick, intervalMs);
        });
    };
    tick();
    return {
      stop: async () => {
        stopped = true;
        clearTimeout(timer);
        await running.catch(() => undefined);
      },
    };
  }

  async #ownerOf(callId: string, snapshot: Snapshot): Promise<string | undefined> {
    const { table } = this.options;
    for (const facts of snapshot.tenants.values()) {
      if (facts.liveTokens === 0) continue;
      const out = await table.doc.send(
        new GetCommand({ TableName: table.name, Key: { pk: tenantPk(facts.tenantId), sk: callSk(callId) }, ProjectionExpression: 'pk' }),
      );
      if (out.Item) return facts.tenantId;
    }
    return undefined;
  }

  /**
   * Adds the stack's token to the tenant's list, replacing one of an earlier start. Only the token list is written, and
   * only if the item is as read (its `updatedAt`): never a secret, never over an operator's change made meanwhile.
   */
  async #ensureToken(tenantId: string): Promise<string | undefined> {
    const known = this.#tokens.get(tenantId);
    if (known) return known;
    const { table } = this.options;
    const key = { pk: tenantPk(tenantId), sk: tenantSk() };
    const item = (await table.doc.send(new GetCommand({ TableName: table.name, Key: key, ConsistentRead: true }))).Item;
    if (!item) return undefined;
    const others = tokenRecords(item).filter((t) => t.id !== LOCAL_TOKEN_ID);
    if (!others.some((t) => t.revokedAt === undefined)) return undefined;
    const { token, record } = issuePbxEventsToken();
    record.id = LOCAL_TOKEN_ID;
    try {
      await table.doc.send(
        new UpdateCommand({
          TableName: table.name,
          Key: key,
          UpdateExpression: 'SET pbxEvents.tokens = :tokens',
          ConditionExpression: 'updatedAt = :seen',
          ExpressionAttributeValues: { ':tokens': [...others, record], ':seen': item.updatedAt as unknown },
        }),
      );
    } catch (error) {
      // Changed since it was read: the next pass reads it again.
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
    this.#tokens.set(tenantId, token);
    return token;
  }

  async #read(): Promise<Snapshot> {
    const { table } = this.options;
    const snapshot: Snapshot = { extensions: new Set(), tenants: new Map() };
    let start: Record<string, unknown> | undefined;
    do {
      const out = await table.doc.send(
        new ScanCommand({
          TableName: table.name,
          FilterExpression: '#type IN (:tenant, :agent)',
          ProjectionExpression: '#type, tenantId, extension, pbxEvents',
          ExpressionAttributeNames: { '#type': 'type' },
          ExpressionAttributeValues: { ':tenant': 'tenant', ':agent': 'agent' },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) {
        if (item.type === 'agent' && typeof item.extension === 'string') snapshot.extensions.add(item.extension);
        if (item.type === 'tenant' && typeof item.tenantId === 'string') {
          const tokens = tokenRecords(item);
          snapshot.tenants.set(item.tenantId, {
            tenantId: item.tenantId,
            liveTokens: tokens.filter((t) => t.id !== LOCAL_TOKEN_ID && t.revokedAt === undefined).length,
          });
        }
      }
      start = out.LastEvaluatedKey;
    } while (start);
    return snapshot;
  }
}
