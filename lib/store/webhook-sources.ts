import { randomBytes } from 'node:crypto';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { teamNameSchema } from '../model/agent';
import { noControlCharacters } from '../model/control-characters';
import { ALL_LEAD_TYPES } from '../model/crm-connection';
import { isSealed, type SecretSealer } from '../secrets/seal';
import { systemClock, type Clock } from '../time/clock';
import type { Table } from './client';
import { CorruptItemError, isConditionalCheckFailed, StoreError } from './errors';
import { hookSourceSk, tenantPk } from './keys';

/**
 * How a source keeps its secrets at rest. `hash`: a `sha256:` hash of a token or password, which can check what a
 * sender presents but never sign or log in, so it stays a hash. `seal`: an HMAC key, which must be usable to verify,
 * so it is sealed (AES-256-GCM under a KMS data key, bound to tenant, source and secret id).
 */
export type SecretStorage = 'hash' | 'seal';

/**
 * The webhook sources a repository serves: `{source}` of `/v1/hooks/{source}/{tenantId}`, each with the way it keeps
 * its secrets. The store knows no source of its own: whoever builds the repository hands it the CRM source registry
 * (`SOURCE_ADAPTERS` of lib/crm/sources), so a new source never touches the store.
 */
export type StoredSources = Readonly<Record<string, { readonly secretStorage: SecretStorage }>>;

/** Live secrets per source at once: enough for a rotation, few enough that each verification stays cheap. */
export const MAX_LIVE_SECRETS = 5;

/**
 * One path into a sender's payload: dotted names, digits index arrays (`data.phones.0.value`), or
 * `header:<name>` for a request header. Segments cannot contain dots or spaces.
 */
export const payloadPathSchema = z
  .string()
  .check(noControlCharacters)
  .max(200)
  .regex(/^(header:[a-z0-9-]{1,64}|[^.\s]{1,100}(\.[^.\s]{1,100}){0,15})$/, 'dotted path (e.g. properties.phone), or header:<name>');

/** Alternatives, tried in order: the first one present in the payload is used. */
export const pathListSchema = z.array(payloadPathSchema).min(1).max(5);
export type PathList = z.infer<typeof pathListSchema>;

/**
 * The longest wait a source may set: lib/calls/request.ts's MAX_WAIT_SEC, which the store may not import (it sits
 * under the use cases). A test holds the two equal, and a mapped request is checked against the call request's own
 * schema anyway.
 */
export const SOURCE_MAX_WAIT_SEC = 3600;

/** A source's say on calls asked for outside the calling hours; the tenant's policy (lib/model/call-policy.ts) otherwise. */
export const OUTSIDE_CALLING_HOURS = ['refuse', 'defer'] as const;

export const AGENT_REF_KINDS = ['crmUserId', 'email', 'extension'] as const;
/** What the payload value at the agent path names: an agent (by one of its keys), or a team (any free member). */
export const CALL_TARGET_KINDS = [...AGENT_REF_KINDS, 'team'] as const;
export type CallTargetKind = (typeof CALL_TARGET_KINDS)[number];

/**
 * Where a call's `lead.type` comes from: one kind for every delivery (`value`), or a payload path whose value (any case)
 * is a kind, or is translated by `values` (a source's defaults only: HubSpot's object type ids).
 */
export const leadTypeMappingSchema = z.union([
  z.strictObject({ value: z.enum(ALL_LEAD_TYPES) }),
  z.strictObject({ path: pathListSchema, values: z.record(z.string(), z.enum(ALL_LEAD_TYPES)).optional() }),
]);
export type LeadTypeMapping = z.infer<typeof leadTypeMappingSchema>;

/**
 * A tenant's overrides of a source's default mapping, field by field: a field left out keeps the
 * default; `null` turns an optional one (lead, delivery id, not-before) off.
 */
export const webhookMappingSchema = z
  .strictObject({
    /** Where the payload names the agent, or its team with `by: 'team'`. */
    agent: z.strictObject({ by: z.enum(CALL_TARGET_KINDS), path: pathListSchema }).optional(),
    /** One team for every delivery of the source, whatever the payload says: replaces the agent path. */
    team: teamNameSchema.optional(),
    /** A team call waits this long for a free agent (`queued`) instead of being refused 429 no_agent_available. */
    maxWaitSec: z.number().int().min(1).max(SOURCE_MAX_WAIT_SEC).optional(),
    /** Where the payload holds the earliest time to dial; the call is `scheduled` until then. */
    notBefore: pathListSchema.nullable().optional(),
    to: pathListSchema.optional(),
    lead: pathListSchema.nullable().optional(),
    /** The kind of record the lead id names: a constant, or where the payload says it; `null`: none. */
    leadType: leadTypeMappingSchema.nullable().optional(),
    customData: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/), pathListSchema).optional(),
    deliveryId: pathListSchema.nullable().optional(),
    defaultCountry: z
      .string()
      .regex(/^[A-Z]{2}$/)
      .optional(),
    prefix: z
      .string()
      .regex(/^[0-9*#]{1,10}$/)
      .optional(),
  })
  .superRefine((m, ctx) => {
    // Every source's default reads an agent, so the overrides alone say whether a source calls a team: a constant
    // team beside an agent path would leave two answers, and a wait means nothing on a call to one agent.
    if (m.team !== undefined && m.agent !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['team'], message: 'a constant team replaces the agent path: give one of agent or team' });
    }
    if (m.maxWaitSec !== undefined && m.team === undefined && m.agent?.by !== 'team') {
      ctx.addIssue({
        code: 'custom',
        path: ['maxWaitSec'],
        message: 'only a team call waits for a free agent: route the source to a team',
      });
    }
  });
export type WebhookMapping = z.infer<typeof webhookMappingSchema>;

export const webhookSecretSchema = z.object({
  secretId: z.string(),
  /** The HMAC key for signing schemes; a `sha256:` hash for tokens and passwords (the source's `secretStorage`). */
  value: z.string().min(1),
  /** What may be shown of it: a few characters, never enough to use. */
  hint: z.string(),
  createdAt: z.string(),
});
export type WebhookSecret = z.infer<typeof webhookSecretSchema>;

export const webhookSourceSchema = z.object({
  tenantId: z.string(),
  /** One of the repository's sources (StoredSources): the repository refuses the others, reading as writing. */
  source: z.string().min(1),
  secrets: z.array(webhookSecretSchema).default([]),
  mapping: webhookMappingSchema.default({}),
  /**
   * The exact URL configured at the sender. HubSpot signs the URL it called; behind a custom domain
   * or a proxy the URL the function can derive from the request may differ, and this one wins.
   */
  publicUrl: z.url().optional(),
  /** The status of a permanent refusal (agent unknown, number refused...): unset means the source's default. */
  refusalStatus: z.union([z.literal(200), z.literal(422)]).optional(),
  /**
   * What becomes of a call from this source asked for outside the calling hours: `refuse` or `defer` (scheduled for
   * the next opening). Unset means the tenant's policy (`policy.outsideCallingHours`).
   */
  outsideCallingHours: z.enum(OUTSIDE_CALLING_HOURS).optional(),
  version: z.number().int().min(1),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type WebhookSourceConfig = z.infer<typeof webhookSourceSchema>;

export class TooManySecretsError extends StoreError {
  constructor(source: string) {
    super(`Source ${source} has ${MAX_LIVE_SECRETS} live secrets already: remove one first`);
    this.name = 'TooManySecretsError';
  }
}

/** A source the repository was not given (StoredSources): nothing is written. */
export class UnknownWebhookSourceError extends StoreError {
  constructor(source: string) {
    super(`There is no webhook source ${JSON.stringify(source.slice(0, 40))}`);
    this.name = 'UnknownWebhookSourceError';
  }
}

export class WebhookSecretNotFoundError extends StoreError {
  constructor(secretId: string) {
    super(`No secret ${secretId} on this source`);
    this.name = 'WebhookSecretNotFoundError';
  }
}

/** Changes that a read-modify-write applies to a source's settings. */
export type WebhookSourceChange = (current: WebhookSourceConfig) => WebhookSourceConfig;

/**
 * One item per (tenant, source): its live secrets and its field mapping. Changes are
 * read-modify-write guarded by a version number, so two operators rotating at once never lose a secret.
 */
export class WebhookSourceRepository {
  /** The sealer keeps the signing keys (the sources whose `secretStorage` is `seal`) sealed in the table. */
  constructor(
    private readonly table: Table,
    private readonly sealer: SecretSealer,
    private readonly sources: StoredSources,
    private readonly clock: Clock = systemClock,
  ) {}

  /** How `source` keeps its secrets; undefined for a name that is not one of the repository's sources. */
  private storageOf(source: string): SecretStorage | undefined {
    return Object.hasOwn(this.sources, source) ? this.sources[source]!.secretStorage : undefined;
  }

  async get(tenantId: string, source: string): Promise<WebhookSourceConfig | undefined> {
    const out = await this.table.doc.send(
      new GetCommand({ TableName: this.table.name, Key: { pk: tenantPk(tenantId), sk: hookSourceSk(source) } }),
    );
    return out.Item ? this.parse(out.Item, tenantId, source) : undefined;
  }

  /** Every configured source of a tenant. */
  async list(tenantId: string): Promise<WebhookSourceConfig[]> {
    const out = await this.table.doc.send(
      new QueryCommand({
        TableName: this.table.name,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)',
        ExpressionAttributeValues: { ':pk': tenantPk(tenantId), ':sk': hookSourceSk('') },
      }),
    );
    return Promise.all((out.Items ?? []).map((item) => this.parse(item, tenantId, sourceOfSk(item.sk))));
  }

  /** Adds a live secret and keeps the others, so the sender can move to the new one at its own pace. */
  async addSecret(tenantId: string, source: string, secret: { value: string; hint: string }): Promise<WebhookSecret> {
    const added: WebhookSecret = { secretId: newSecretId(), ...secret, createdAt: this.clock().toISOString() };
    await this.update(tenantId, source, (current) => {
      if (current.secrets.length >= MAX_LIVE_SECRETS) throw new TooManySecretsError(source);
      return { ...current, secrets: [...current.secrets, added] };
    });
    return added;
  }

  async removeSecret(tenantId: string, source: string, secretId: string): Promise<WebhookSourceConfig> {
    return this.update(tenantId, source, (current) => {
      if (!current.secrets.some((s) => s.secretId === secretId)) throw new WebhookSecretNotFoundError(secretId);
      return { ...current, secrets: current.secrets.filter((s) => s.secretId !== secretId) };
    });
  }

  /**
   * Applies `change` to the stored settings (or to empty ones) and writes them only if nobody
   * wrote in between; on a race it reads again and reapplies, a few times.
   */
  async update(tenantId: string, source: string, change: WebhookSourceChange): Promise<WebhookSourceConfig> {
    if (!this.storageOf(source)) throw new UnknownWebhookSourceError(source);
    for (let attempt = 0; ; attempt++) {
      const now = this.clock().toISOString();
      const stored = await this.getConsistent(tenantId, source);
      const current = stored ?? webhookSourceSchema.parse({ tenantId, source, version: 1, createdAt: now, updatedAt: now });
      const next = webhookSourceSchema.parse({
        ...change(current),
        tenantId,
        source,
        version: stored ? stored.version + 1 : 1,
        updatedAt: now,
      });
      try {
        await this.table.doc.send(
          new PutCommand({
            TableName: this.table.name,
            Item: { pk: tenantPk(tenantId), sk: hookSourceSk(source), type: 'hookSource', ...(await this.sealSecrets(next)) },
            ...(stored
              ? { ConditionExpression: 'version = :version', ExpressionAttributeValues: { ':version': stored.version } }
              : { ConditionExpression: 'attribute_not_exists(pk)' }),
          }),
        );
        return next;
      } catch (error) {
        if (!isConditionalCheckFailed(error) || attempt >= 4) throw error;
      }
    }
  }

  private async getConsistent(tenantId: string, source: string): Promise<WebhookSourceConfig | undefined> {
    const out = await this.table.doc.send(
      new GetCommand({
        TableName: this.table.name,
        Key: { pk: tenantPk(tenantId), sk: hookSourceSk(source) },
        ConsistentRead: true,
      }),
    );
    return out.Item ? this.parse(out.Item, tenantId, source) : undefined;
  }

  /** An item read under (tenant, source), opened with the tenant and source of that key, and checked to be theirs. */
  private async parse(item: Record<string, unknown>, tenantId: string, source: string): Promise<WebhookSourceConfig> {
    const storage = this.storageOf(source);
    if (!storage) throw new CorruptItemError('webhook source');
    const config = parseWebhookSourceItem(await openWebhookSourceItem(item, this.sealer, { tenantId, source }, storage));
    if (config.tenantId !== tenantId || config.source !== source) throw new CorruptItemError('webhook source');
    return config;
  }

  /**
   * The one-off migration of sources stored before sealing existed (`c2c tenant seal-plaintext`): the operator
   * vouches for the signing keys in clear, and each is sealed in place; the service itself never uses one.
   * Answers the secrets sealed (`<source>.<secretId>`). Conditional on each item's version.
   */
  async sealPlaintext(tenantId: string): Promise<string[]> {
    const out = await this.table.doc.send(
      new QueryCommand({
        TableName: this.table.name,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)',
        ExpressionAttributeValues: { ':pk': tenantPk(tenantId), ':sk': hookSourceSk('') },
        ConsistentRead: true,
      }),
    );
    const sealed: string[] = [];
    for (const item of out.Items ?? []) {
      const source = sourceOfSk(item.sk);
      // Hashes stay hashes; an item of a source that is no longer served is left as it is.
      if (this.storageOf(source) !== 'seal' || !Array.isArray(item.secrets)) continue;
      if (item.tenantId !== tenantId || item.source !== source) throw new CorruptItemError('webhook source');
      const before = sealed.length;
      const secrets = await Promise.all(
        (item.secrets as unknown[]).map(async (s) => {
          if (typeof s !== 'object' || s === null) return s;
          const secret = s as WebhookSecret;
          if (typeof secret.value !== 'string' || isSealed(secret.value)) return s;
          sealed.push(`${source}.${secret.secretId}`);
          return { ...secret, value: await this.sealer.seal(secret.value, webhookSecretContext(tenantId, source, secret.secretId)) };
        }),
      );
      if (sealed.length === before) continue;
      await this.table.doc.send(
        new PutCommand({
          TableName: this.table.name,
          Item: { ...item, secrets },
          ConditionExpression: 'version = :version',
          ExpressionAttributeValues: { ':version': item.version as unknown },
        }),
      );
    }
    return sealed;
  }

  private async sealSecrets(config: WebhookSourceConfig): Promise<WebhookSourceConfig> {
    if (this.storageOf(config.source) !== 'seal') return config;
    const secrets = await Promise.all(
      config.secrets.map(async (s) => ({
        ...s,
        value: await this.sealer.seal(s.value, webhookSecretContext(config.tenantId, config.source, s.secretId)),
      })),
    );
    return { ...config, secrets };
  }
}

const webhookSecretContext = (tenantId: string, source: string, secretId: string) =>
  ({ tenantId, purpose: 'webhook-secrets', item: `${source}.${secretId}` }) as const;

/** The source named by a source item's sort key (`HOOKSOURCE#<source>`). */
const sourceOfSk = (sk: unknown): string =>
  typeof sk === 'string' && sk.startsWith(hookSourceSk('')) ? sk.slice(hookSourceSk('').length) : '';

/**
 * A stored webhook source item with its secrets opened. `key` is the tenant and source of the key the item
 * was read under (pk and sk), never the item's own attributes: a whole item copied under another tenant or
 * source does not open; `storage` is that source's, from the registry, never from the item. A secret of a sealing
 * source that is not sealed is refused (SecretNotSealedError), never used.
 */
export async function openWebhookSourceItem(
  item: Record<string, unknown>,
  sealer: SecretSealer,
  key: { tenantId: string; source: string },
  storage: SecretStorage,
): Promise<Record<string, unknown>> {
  if (!Array.isArray(item.secrets) || storage === 'hash') return item;
  const secrets = await Promise.all(
    item.secrets.map(async (s: unknown) => {
      if (typeof s !== 'object' || s === null || typeof (s as WebhookSecret).value !== 'string') return s;
      const secret = s as WebhookSecret;
      return { ...secret, value: await sealer.open(secret.value, webhookSecretContext(key.tenantId, key.source, secret.secretId)) };
    }),
  );
  return { ...item, secrets };
}

/** Public id of a secret: what an operator names to remove it, and what the log shows on a match. */
function newSecretId(): string {
  return `whs_${randomBytes(6).toString('base64url')}`;
}

export function parseWebhookSourceItem(item: Record<string, unknown>): WebhookSourceConfig {
  const parsed = webhookSourceSchema.safeParse(item);
  if (!parsed.success) throw new CorruptItemError('webhook source', { cause: parsed.error });
  return parsed.data;
}
