import { DynamoDBClient, GetItemCommand, QueryCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import schema from '../lib/store/table-schema.json';
import { requestTargets } from './partition-keys';

/**
 * What the bench measures on a DynamoDB client: the requests (a trace for the round-trip stages), a latency model
 * (each request delayed by a fixed time, as DynamoDB in the Region answers, parallel requests overlapping) and what
 * DynamoDB would bill for each request, computed from the real items before and after it and from the indexes of
 * `lib/store/table-schema.json`.
 */

/** On-demand prices, us-east-1, as published since the price cut of 1 November 2024 (dollars per million request units). */
export const ON_DEMAND_PRICES = {
  basis: 'DynamoDB on-demand, Standard table class, us-east-1, prices in effect since 1 November 2024',
  writePerMillion: 0.625,
  readPerMillion: 0.125,
};

export type Item = Record<string, AttributeValue>;

/** The user agent of the meter's own reads (the items before and after a write, a query's page again). */
export const METER_USER_AGENT = 'c2c-bench-meter';

// ---------------------------------------------------------------------------------------------------------------
// Item sizes: DynamoDB's rules ("Item sizes and formats" in the DynamoDB developer guide).

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

/** Bytes of a binary value: base64 on the wire (a request body), raw bytes from the SDK. */
function binaryBytes(value: unknown): number {
  if (typeof value === 'string') return Buffer.from(value, 'base64').length;
  if (value instanceof Uint8Array) return value.byteLength;
  throw new Error(`binary attribute of unexpected shape: ${typeof value}`);
}

/**
 * A number: 1 byte per two significant digits, plus 1 (leading and trailing zeros trimmed), plus 1 for a negative
 * number. Precisely, as dynalite (whose author fitted it to DynamoDB's answers): one more byte when the digits do
 * not pair up with the decimal point.
 */
export function numberSize(text: string): number {
  let s = text.trim();
  const negative = s.startsWith('-');
  if (negative || s.startsWith('+')) s = s.slice(1);
  let exponent = 0;
  const e = s.search(/e/i);
  if (e >= 0) {
    exponent = Number(s.slice(e + 1));
    s = s.slice(0, e);
  }
  const dot = s.indexOf('.');
  const integer = dot >= 0 ? s.slice(0, dot) : s;
  const digits = integer + (dot >= 0 ? s.slice(dot + 1) : '');
  const lead = /^0*/.exec(digits)![0].length;
  if (lead === digits.length) return 1; // zero
  const significant = digits.slice(lead).replace(/0+$/, '').length;
  // The power of ten of the first significant digit.
  const power = integer.length - 1 - lead + exponent;
  return 1 + Math.ceil(significant / 2) + (significant % 2 !== 0 || power % 2 !== 0 ? 0 : 1) + (negative ? 1 : 0);
}

/** The size of one value (without its name). Lists and maps: 3 bytes, plus 1 byte per element, plus the elements. */
export function valueSize(value: AttributeValue): number {
  const v = value as unknown as Record<string, unknown>;
  if (v.S !== undefined) return utf8(v.S as string);
  if (v.N !== undefined) return numberSize(v.N as string);
  if (v.B !== undefined) return binaryBytes(v.B);
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.SS !== undefined) return (v.SS as string[]).reduce((n, s) => n + utf8(s), 0);
  if (v.NS !== undefined) return (v.NS as string[]).reduce((n, s) => n + numberSize(s), 0);
  if (v.BS !== undefined) return (v.BS as unknown[]).reduce<number>((n, b) => n + binaryBytes(b), 0);
  if (v.L !== undefined) return 3 + (v.L as AttributeValue[]).reduce((n, el) => n + 1 + valueSize(el), 0);
  if (v.M !== undefined) return 3 + Object.entries(v.M as Item).reduce((n, [k, el]) => n + 1 + utf8(k) + valueSize(el), 0);
  throw new Error(`attribute value of unknown type: ${Object.keys(v).join(',')}`);
}

/** The size of an item: its attribute names (UTF-8) and values. */
export const itemSize = (item: Item): number => Object.entries(item).reduce((n, [k, v]) => n + utf8(k) + valueSize(v), 0);

// ---------------------------------------------------------------------------------------------------------------
// What a write costs: the table's write and its indexes' (DynamoDB developer guide, "Global secondary indexes:
// provisioned throughput considerations": an index write when an item enters, leaves or changes in an index; two
// when its index key changes).

interface IndexDef {
  name: string;
  keys: string[];
  projection: 'ALL' | 'KEYS_ONLY' | 'INCLUDE';
  include: string[];
}

export interface TableDef {
  keys: string[];
  indexes: IndexDef[];
}

interface SchemaJson {
  KeySchema: { AttributeName: string }[];
  GlobalSecondaryIndexes?: {
    IndexName: string;
    KeySchema: { AttributeName: string }[];
    Projection: { ProjectionType?: string; NonKeyAttributes?: string[] };
  }[];
}

/** The table and its global secondary indexes, as `lib/store/table-schema.json` (what serverless.yml deploys) defines them. */
export function tableDef(json: SchemaJson = schema): TableDef {
  return {
    keys: json.KeySchema.map((k) => k.AttributeName),
    indexes: (json.GlobalSecondaryIndexes ?? []).map((g) => ({
      name: g.IndexName,
      keys: g.KeySchema.map((k) => k.AttributeName),
      projection: (g.Projection.ProjectionType ?? 'ALL') as IndexDef['projection'],
      include: g.Projection.NonKeyAttributes ?? [],
    })),
  };
}

/** The index's copy of an item, or undefined when the item lacks one of the index's keys (a sparse index). */
function projectionOf(item: Item | undefined, index: IndexDef, table: TableDef): Item | undefined {
  if (!item || index.keys.some((k) => item[k] === undefined)) return undefined;
  if (index.projection === 'ALL') return item;
  const names = new Set([...table.keys, ...index.keys, ...(index.projection === 'INCLUDE' ? index.include : [])]);
  return Object.fromEntries(Object.entries(item).filter(([k]) => names.has(k)));
}

const sameKeys = (a: Item, b: Item, keys: string[]) => keys.every((k) => JSON.stringify(a[k]) === JSON.stringify(b[k]));
const sameItem = (a: Item, b: Item) => JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
function sortKeys(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  return value;
}

const writeUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));

export interface IndexWrite {
  index: string;
  /** The copy's partition key in the index (the old one for a delete, the new one for a put), and its sort key. */
  pk: string;
  sk?: string;
  /** put: the item enters the index; delete: it leaves; update: its projection changes under the same keys. */
  kind: 'put' | 'delete' | 'update';
  bytes: number;
  wcu: number;
}

export interface BilledWrite {
  command: string;
  /** What the item is: its keys' prefixes (`CALL`, `AGENTLOCK`, `RATE tenant`, ...). */
  item: string;
  /** The item's partition and sort keys in the table. */
  pk: string;
  sk?: string;
  /** The size the table's write is billed on: the larger of the item before and after (a delete: the item deleted). */
  bytes: number;
  wcu: number;
  indexes: IndexWrite[];
  /** The write was refused (a condition): billed on the item as it stands, nothing written, no index touched. */
  refused: boolean;
}

/**
 * What DynamoDB bills for one item write, from the item before and after it. `transactional`: a TransactWriteItems
 * member, whose table write DynamoDB bills twice (prepare and commit); the indexes' propagation is counted once.
 */
export function billWrite(
  table: TableDef,
  w: { command: string; key: Item; before?: Item; after?: Item; refused: boolean; transactional: boolean; conditionCheck?: boolean },
): BilledWrite {
  const kind = itemKind(w.key, table);
  const keys = keyValues(w.key, table.keys);
  const factor = w.transactional ? 2 : 1;
  const beforeSize = w.before ? itemSize(w.before) : 0;
  if (w.refused || w.conditionCheck)
    return {
      command: w.command,
      item: kind,
      ...keys,
      bytes: beforeSize,
      wcu: factor * writeUnits(beforeSize),
      indexes: [],
      refused: w.refused,
    };
  const bytes = Math.max(beforeSize, w.after ? itemSize(w.after) : 0);
  const indexes: IndexWrite[] = [];
  for (const index of table.indexes) {
    const old = projectionOf(w.before, index, table);
    const now = projectionOf(w.after, index, table);
    const add = (k: IndexWrite['kind'], size: number, copy: Item) =>
      indexes.push({ index: index.name, kind: k, ...keyValues(copy, index.keys), bytes: size, wcu: writeUnits(size) });
    if (old && now) {
      if (!sameKeys(old, now, index.keys)) {
        add('delete', itemSize(old), old);
        add('put', itemSize(now), now);
      } else if (!sameItem(old, now)) add('update', Math.max(itemSize(old), itemSize(now)), now);
    } else if (now) add('put', itemSize(now), now);
    else if (old) add('delete', itemSize(old), old);
  }
  return { command: w.command, item: kind, ...keys, bytes, wcu: factor * writeUnits(bytes), indexes, refused: false };
}

/** An item's partition and sort key values under a key schema (strings; anything else as its JSON). */
function keyValues(item: Item, keys: string[]): { pk: string; sk?: string } {
  const text = (v: AttributeValue | undefined) => (v === undefined ? undefined : (v.S ?? JSON.stringify(v)));
  const [pk, sk] = [text(item[keys[0]!]) ?? '', keys[1] === undefined ? undefined : text(item[keys[1]])];
  return sk === undefined ? { pk } : { pk, sk };
}

/** What an item is, from its key's prefixes: `CALL`, `AGENTLOCK`, a rate counter's `RATE tenant`. */
function itemKind(key: Item, table: TableDef): string {
  const prefix = (name: string | undefined) => (name === undefined ? '' : (key[name]?.S ?? '').split('#')[0]!);
  const [pk, sk] = [prefix(table.keys[0]), prefix(table.keys[1])];
  if (!sk) return pk || '?';
  return pk === 'TENANT' || !pk ? sk : `${pk} ${sk}`;
}

/** Read request units: 1 per 4 KB strongly consistent, half eventually consistent; a transactional read twice. */
export function readUnits(bytes: number, consistent: boolean, transactional = false): number {
  const units = Math.max(1, Math.ceil(bytes / 4096));
  return transactional ? 2 * units : consistent ? units : units / 2;
}

// ---------------------------------------------------------------------------------------------------------------
// The middleware.

export interface Trace {
  command: string;
  start: number;
  end: number;
  /** Bytes of the request's JSON body. */
  bytes: number;
}

export interface BilledRequest {
  command: string;
  writes: BilledWrite[];
  rru: number;
  /** Where the read units went: the table or index read (`table`, `gsi1`...), its partition key, and the sort key or range asked for. */
  reads: KeyRead[];
}

export interface KeyRead {
  index: string;
  pk: string;
  sk?: string;
  rru: number;
}

interface Target {
  key: Item;
  command: string;
  transactional: boolean;
  conditionCheck?: boolean;
}

type WireBody = Record<string, unknown>;

/**
 * One meter for the clients of a bench run (the handler's and the floor's): switch `tracing`, `billing` and
 * `latencyMs` between runs. Billing reads the items a write touches before and after it through a client of its own
 * (consistent GetItem), so it adds requests: it runs in a pass of its own, never while latency is measured.
 */
export class DynamoMeter {
  tracing = false;
  billing = false;
  /** The latency model: each request (each attempt) waits this long on its own timer before it is sent. */
  latencyMs = 0;
  readonly traces: Trace[] = [];
  readonly billed: BilledRequest[] = [];
  private readonly raw: DynamoDBClient;
  private readonly table = tableDef();

  constructor(
    endpoint: string,
    private readonly tableName: string,
  ) {
    // Its own user agent, so that a count of requests at dynalite can leave out the meter's reads (bench/dynalite-keys.ts).
    this.raw = new DynamoDBClient({
      endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      customUserAgent: METER_USER_AGENT,
    });
  }

  /** Adds the meter to a document client (the finalizeRequest step: once per attempt, with the request's wire body). */
  instrument(doc: DynamoDBDocumentClient): void {
    doc.middlewareStack.add(
      (next, context) => async (args) => {
        const command = (context.commandName ?? '?').replace(/Command$/, '');
        const body = (args as { request?: { body?: string | Uint8Array } }).request?.body ?? '';
        const billing = this.billing ? await this.beforeRequest(command, body) : undefined;
        const start = performance.now();
        if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
        let refused = false;
        try {
          const out = await next(args);
          return out;
        } catch (error) {
          refused = true;
          throw error;
        } finally {
          if (this.tracing)
            this.traces.push({
              command,
              start,
              end: performance.now(),
              bytes: typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength,
            });
          if (billing) this.billed.push(await billing(refused));
        }
      },
      { step: 'finalizeRequest', name: 'benchDynamoMeter' },
    );
  }

  destroy(): void {
    this.raw.destroy();
  }

  /** Reads what the request will read or write; returns how to bill it once it has run. */
  private async beforeRequest(command: string, rawBody: string | Uint8Array): Promise<(refused: boolean) => Promise<BilledRequest>> {
    // TextDecoder reads the bytes as they are: the SDK's body adapter warns when it is used as a string.
    const body = JSON.parse(typeof rawBody === 'string' ? rawBody : new TextDecoder().decode(rawBody)) as WireBody;
    const targets = this.writeTargets(command, body);
    const before = await Promise.all(targets.map((t) => this.get(t.key)));
    const reads = await this.readCost(command, body);
    const rru = reads.reduce((n, r) => n + r.rru, 0);
    return async (refused) => {
      const after = refused ? [] : await Promise.all(targets.map((t) => (t.conditionCheck ? Promise.resolve(undefined) : this.get(t.key))));
      const writes = targets.map((t, i) =>
        billWrite(this.table, { ...t, before: before[i], after: after[i], refused: refused && !t.conditionCheck }),
      );
      return { command, writes, rru, reads };
    };
  }

  private writeTargets(command: string, body: WireBody): Target[] {
    const keyOf = (item: Item) => Object.fromEntries(this.table.keys.map((k) => [k, item[k]!]));
    switch (command) {
      case 'PutItem':
        return [{ command, key: keyOf(body.Item as Item), transactional: false }];
      case 'UpdateItem':
      case 'DeleteItem':
        return [{ command, key: body.Key as Item, transactional: false }];
      case 'BatchWriteItem':
        return Object.values(body.RequestItems as Record<string, { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } }[]>)
          .flat()
          .map((r) =>
            r.PutRequest
              ? { command: 'Put', key: keyOf(r.PutRequest.Item), transactional: false }
              : { command: 'Delete', key: r.DeleteRequest!.Key, transactional: false },
          );
      case 'TransactWriteItems':
        return (body.TransactItems as Record<string, { Item?: Item; Key?: Item }>[]).map((member) => {
          const [op, spec] = Object.entries(member)[0]!;
          return {
            command: `Transact ${op}`,
            key: spec.Item ? keyOf(spec.Item) : spec.Key!,
            transactional: true,
            conditionCheck: op === 'ConditionCheck',
          };
        });
      default:
        return [];
    }
  }

  /** Read request units of a read, per key read: the whole item (a projection does not make it cheaper), before any filter. */
  private async readCost(command: string, body: WireBody): Promise<KeyRead[]> {
    const at = (key: Item, rru: number): KeyRead => ({ index: 'table', ...keyValues(key, this.table.keys), rru });
    switch (command) {
      case 'GetItem': {
        const item = await this.get(body.Key as Item);
        return [at(body.Key as Item, readUnits(item ? itemSize(item) : 0, body.ConsistentRead === true))];
      }
      case 'BatchGetItem': {
        const reads: KeyRead[] = [];
        for (const spec of Object.values(body.RequestItems as Record<string, { Keys: Item[]; ConsistentRead?: boolean }>))
          for (const key of spec.Keys) {
            const item = await this.get(key);
            reads.push(at(key, readUnits(item ? itemSize(item) : 0, spec.ConsistentRead === true)));
          }
        return reads;
      }
      case 'TransactGetItems': {
        const reads: KeyRead[] = [];
        for (const member of body.TransactItems as { Get: { Key: Item } }[]) {
          const item = await this.get(member.Get.Key);
          reads.push(at(member.Get.Key, readUnits(item ? itemSize(item) : 0, true, true)));
        }
        return reads;
      }
      case 'Query':
      case 'Scan': {
        // The same page without its filter and projection: DynamoDB bills the items it read, rounded up once per page.
        const input = { ...body } as Record<string, unknown>;
        for (const k of [
          'FilterExpression',
          'ProjectionExpression',
          'Select',
          'ReturnConsumedCapacity',
          'AttributesToGet',
          'QueryFilter',
          'ScanFilter',
        ])
          delete input[k];
        const used = typeof input.KeyConditionExpression === 'string' ? input.KeyConditionExpression : '';
        const prune = (name: string, pattern: RegExp) => {
          const map = input[name] as Record<string, unknown> | undefined;
          if (!map) return;
          const referenced = new Set<string>(used.match(pattern) ?? []);
          const kept = Object.fromEntries(Object.entries(map).filter(([k]) => referenced.has(k)));
          if (Object.keys(kept).length) input[name] = kept;
          else delete input[name];
        };
        prune('ExpressionAttributeNames', /#[A-Za-z0-9_]+/g);
        prune('ExpressionAttributeValues', /:[A-Za-z0-9_]+/g);
        const out = await this.raw.send(command === 'Query' ? new QueryCommand(input as never) : new ScanCommand(input as never));
        const bytes = (out.Items ?? []).reduce((n, item) => n + itemSize(item), 0);
        const target = requestTargets(command, body, this.table)[0]!;
        return [
          {
            index: target.index,
            pk: target.pk,
            ...(target.sk === undefined ? {} : { sk: target.sk }),
            rru: readUnits(bytes, body.ConsistentRead === true),
          },
        ];
      }
      default:
        return [];
    }
  }

  private async get(key: Item): Promise<Item | undefined> {
    const out = await this.raw.send(new GetItemCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    return out.Item;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Per call.

export interface CallCost {
  /** Calls the figures are the mean of. */
  calls: number;
  requests: number;
  /** Bytes of the write requests' JSON bodies (what the client sends, not what DynamoDB bills). */
  bytesSent: number;
  tableBytes: number;
  indexBytes: number;
  tableWcu: number;
  indexWcu: number;
  rru: number;
  /** Dollars per million calls: write and read request units at {@link ON_DEMAND_PRICES}. */
  dollarsPerMillion: number;
  /** The writes of the last call measured, for the breakdown. */
  writes: BilledWrite[];
}

/** The mean over calls of what each call was billed (`perCall`: the requests of one call each). */
export function costPerCall(perCall: { requests: BilledRequest[]; bytesSent: number }[]): CallCost {
  const n = perCall.length;
  const sum = (f: (c: { requests: BilledRequest[]; bytesSent: number }) => number) => perCall.reduce((s, c) => s + f(c), 0) / n;
  const writes = (c: { requests: BilledRequest[] }) => c.requests.flatMap((r) => r.writes);
  const tableWcu = sum((c) => writes(c).reduce((s, w) => s + w.wcu, 0));
  const indexWcu = sum((c) => writes(c).reduce((s, w) => s + w.indexes.reduce((t, i) => t + i.wcu, 0), 0));
  const rru = sum((c) => c.requests.reduce((s, r) => s + r.rru, 0));
  return {
    calls: n,
    requests: sum((c) => c.requests.length),
    bytesSent: sum((c) => c.bytesSent),
    tableBytes: sum((c) => writes(c).reduce((s, w) => s + w.bytes, 0)),
    indexBytes: sum((c) => writes(c).reduce((s, w) => s + w.indexes.reduce((t, i) => t + i.bytes, 0), 0)),
    tableWcu,
    indexWcu,
    rru,
    dollarsPerMillion: (tableWcu + indexWcu) * ON_DEMAND_PRICES.writePerMillion + rru * ON_DEMAND_PRICES.readPerMillion,
    writes: perCall.length ? writes(perCall[perCall.length - 1]!) : [],
  };
}
