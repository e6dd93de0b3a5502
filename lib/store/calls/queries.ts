import type { CallState } from '../../model/call';
import { CALL_INDEX_ATTR, callListingIndex, type CallIndexMode } from '../call-index-keys';
import type { Table } from '../client';
import { callsByTenantPk, flaggedCallsPk, INDEX } from '../keys';
import { callsListing } from '../listings';
import { processCursorCodec, type CursorCodec, type Page } from '../pagination';
import { newestOf, queryPages, type PagedQuery, type StoreKey } from '../query-pages';
import type { WorkDirectory } from '../work-directory';
import { fairShare, type WorkQueues } from '../work-queues';
import { forEachHydratedPage, narrowQuery, readListingPage } from './narrow-reads';
import { callIdOfItem, parseCallItem, type StoredCall } from './stored-call';

export interface ListCallsFilter {
  leadId?: string;
  crmUserId?: string;
  state?: CallState;
  /** ISO timestamps, inclusive. */
  from?: string;
  to?: string;
}

/** Queries one filtered page of GET /v1/calls may take at most (a bound on one request's reads; the read budget charges what they read). */
export const MAX_LIST_READS = 10;

/** The fields of a call a report reads (lib/stats). */
export type CallForReport = Pick<StoredCall, 'crmUserId' | 'state' | 'createdAt' | 'outcome'>;

/** The fields an erasure reads of each call it searches, and the number it matches them on. */
const ERASURE_FIELDS = 'callId, pbx, #to, legB';

/**
 * Reads of the calls that write nothing: the listings by tenant, agent or lead (newest first), the report's range
 * read, an erasure's search by number, and the reconciler's lists (its pending work, the calls it flagged). Each is
 * bounded as its caller needs, or reads to the end where stopping half way would be wrong. The listings read the
 * keys-only indexes and then the items by key, or, in the `migrating` mode of a table being moved to them, the old
 * whole-item indexes (lib/store/call-index-keys.ts).
 */
export class CallQueries {
  constructor(
    private readonly table: Table,
    private readonly work: WorkDirectory,
    private readonly queues: WorkQueues,
    /** Signs and checks the cursors of `list`: a stage's own (lib/compose/shared.ts); this process's by default. */
    private readonly cursors: CursorCodec = processCursorCodec(),
    /** Which indexes the listings read: the stage's CALL_INDEXES. */
    private readonly indexMode: CallIndexMode = 'narrow',
  ) {}

  /** Newest first, through the index that fits the filter; the state filter is applied page by page. */
  async list(tenantId: string, filter: ListCallsFilter, options: { limit: number; cursor?: string }): Promise<Page<StoredCall>> {
    const index = callListingIndex(this.indexMode, tenantId, filter);
    const listing = callsListing({ tenantId, index, filter });
    const start = this.cursors.decode(listing, options.cursor);
    if (index.narrow) {
      // The state and the second of lead and agent are not in the index: checked on each item once it is read.
      const accept = (item: Record<string, unknown>) =>
        (!filter.state || item.state === filter.state) && (!(filter.leadId && filter.crmUserId) || item.crmUserId === filter.crmUserId);
      // The same bounds as the whole-item query below: `:to~` takes every call of the instant `to`.
      const query = narrowQuery(index, { from: filter.from, to: filter.to === undefined ? undefined : `${filter.to}~` });
      const page = await readListingPage(this.table, query, { start, limit: options.limit, maxReads: MAX_LIST_READS, accept });
      return { items: page.items.map(parseCallItem), nextCursor: this.cursors.encode(listing, page.lastKey) };
    }
    const { indexName, pk } = index;
    const names: Record<string, string> = { '#pk': `${indexName}pk` };
    const values: Record<string, unknown> = { ':pk': pk };
    if (filter.from || filter.to) names['#sk'] = `${indexName}sk`;
    let keyCondition = '#pk = :pk';
    if (filter.from && filter.to) {
      keyCondition += ' AND #sk BETWEEN :from AND :to';
      Object.assign(values, { ':from': filter.from, ':to': `${filter.to}~` });
    } else if (filter.from) {
      keyCondition += ' AND #sk >= :from';
      values[':from'] = filter.from;
    } else if (filter.to) {
      keyCondition += ' AND #sk <= :to';
      values[':to'] = `${filter.to}~`;
    }
    const filters: string[] = [];
    if (filter.state) {
      names['#state'] = 'state';
      values[':state'] = filter.state;
      filters.push('#state = :state');
    }
    // Both the lead and the agent indexes can hold the other's filter only as a filter expression.
    if (filter.leadId && filter.crmUserId) {
      values[':agent'] = filter.crmUserId;
      filters.push('crmUserId = :agent');
    }
    const query: PagedQuery = {
      IndexName: indexName,
      KeyConditionExpression: keyCondition,
      FilterExpression: filters.length ? filters.join(' AND ') : undefined,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ScanIndexForward: false,
    };
    const items: StoredCall[] = [];
    let lastKey: StoreKey | undefined = start;
    // A filter can empty a page; read on until the page is full, the index is exhausted or the read budget is spent.
    for await (const page of queryPages(this.table, query, { start, maxItems: options.limit, maxPages: MAX_LIST_READS })) {
      items.push(...page.items.map(parseCallItem));
      lastKey = page.lastKey;
    }
    return { items, nextCursor: this.cursors.encode(listing, lastKey) };
  }

  /**
   * Calls created in [fromIso, toIso) — of one agent, or of the whole tenant — page by page, with
   * only the fields a report needs. Stops (and answers false) after `maxItems`.
   */
  async forEachCreatedBetween(
    tenantId: string,
    range: { fromIso: string; toIso: string; crmUserId?: string; maxItems: number },
    onPage: (calls: CallForReport[]) => void,
  ): Promise<boolean> {
    const index = callListingIndex(this.indexMode, tenantId, { crmUserId: range.crmUserId });
    let seen = 0;
    if (index.narrow) {
      // The sort key is the creation instant alone: BETWEEN takes `to` itself, which the range leaves out.
      const query = narrowQuery(index, { from: range.fromIso, to: range.toIso }, false);
      seen = await forEachHydratedPage(this.table, query, {
        keep: (key) => String(key[CALL_INDEX_ATTR.time]) < range.toIso,
        maxKeys: range.maxItems + 1,
        hydrate: { projection: 'crmUserId, #state, createdAt, outcome', names: { '#state': 'state' } },
        onPage: (items) => onPage(items as CallForReport[]),
      });
      return seen <= range.maxItems;
    }
    const { indexName, pk } = index;
    const query: PagedQuery = {
      IndexName: indexName,
      // Sort keys are `<createdAt>#<callId>`: BETWEEN the two instants takes [from, to).
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
      ProjectionExpression: 'crmUserId, #state, createdAt, outcome',
      ExpressionAttributeNames: { '#pk': `${indexName}pk`, '#sk': `${indexName}sk`, '#state': 'state' },
      ExpressionAttributeValues: { ':pk': pk, ':from': range.fromIso, ':to': range.toIso },
    };
    // One item past the bound says the range holds more, without reading a page beyond it.
    for await (const page of queryPages(this.table, query, { maxItems: range.maxItems + 1 })) {
      seen += page.items.length;
      onPage(page.items as CallForReport[]);
    }
    return seen <= range.maxItems;
  }

  /**
   * Every call of the tenant to one number (its E.164 `to`, or its leg B digits), for an erasure request.
   * There is no index by number: this reads the tenant's whole time index with a filter, so it costs one read
   * of every call the tenant keeps (about 0.5 RCU per 4 KB; a tenant with 400 days of 1,000 calls a day reads
   * some 800 MB in a minute or two). Rare and run by an operator, that is cheaper than a sixth index that
   * every call write would pay for.
   */
  async findCallsTo(tenantId: string, number: { e164: string; digits: string }): Promise<Array<Pick<StoredCall, 'callId' | 'pbx'>>> {
    const found: Array<Pick<StoredCall, 'callId' | 'pbx'>> = [];
    const take = (item: Record<string, unknown>) => {
      const callId = callIdOfItem(item);
      if (!callId) return;
      const pbx = item.pbx as StoredCall['pbx'] | undefined;
      found.push({ callId, pbx: pbx ?? null });
    };
    const index = callListingIndex(this.indexMode, tenantId, {});
    if (index.narrow) {
      // No bound: an erasure must find every call. Each call is read by key, its number matched here.
      await forEachHydratedPage(this.table, narrowQuery(index, {}, false), {
        hydrate: { projection: ERASURE_FIELDS, names: { '#to': 'to' } },
        onPage: (items) => items.filter((item) => item.to === number.e164 || item.legB === number.digits).forEach(take),
      });
      return found;
    }
    const query: PagedQuery = {
      IndexName: INDEX.gsi3,
      KeyConditionExpression: 'gsi3pk = :pk',
      FilterExpression: '#to = :e164 OR legB = :digits',
      ProjectionExpression: 'sk, callId, pbx',
      ExpressionAttributeNames: { '#to': 'to' },
      ExpressionAttributeValues: { ':pk': callsByTenantPk(tenantId), ':e164': number.e164, ':digits': number.digits },
    };
    // No bound: an erasure must find every call.
    for await (const page of queryPages(this.table, query)) page.items.forEach(take);
    return found;
  }

  /** Calls whose outcome is not known yet, changed before `before`: the reconciler's work list, fairly across tenants. */
  async listPending(options: { limit: number; before: string }): Promise<StoredCall[]> {
    return (await this.queues.fairly('pending', options.before, fairShare(options.limit))).map(parseCallItem);
  }

  /**
   * Calls the reconciler gave up on, newest first: for the operator. Of one tenant, or of every tenant the work
   * directory lists with flagged calls.
   */
  async listFlagged(limit: number, tenantId?: string): Promise<StoredCall[]> {
    const tenants = tenantId !== undefined ? [tenantId] : (await this.work.list('flagged')).map((m) => m.tenantId);
    const items = await Promise.all(tenants.map((t) => newestOf(this.table, INDEX.gsi4, flaggedCallsPk(t), limit)));
    return items
      .flat()
      .sort((a, b) => String(b.gsi4sk).localeCompare(String(a.gsi4sk)))
      .slice(0, limit)
      .map(parseCallItem);
  }
}
