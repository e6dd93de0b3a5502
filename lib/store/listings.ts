import type { CallListingIndex } from './call-index-keys';
import { tenantPk, teamMembersPrefix } from './keys';
import type { KeyShape, Listing } from './pagination';

/**
 * The listings a client pages through with a cursor (GET /v1/calls, GET /v1/agents, and the CLI's), each with its
 * identity and the key schema of what it reads: a cursor is followed only by the listing that issued it, and only
 * with a start key DynamoDB takes for that query (lib/store/pagination.ts).
 */

/** The filters the caller applies to each page as read: part of a listing's identity all the same. */
export type PageFilters = ReadonlyArray<string | boolean | null>;

const nonEmptyAfter = (prefix: string) => (value: string) => value.length > prefix.length && value.startsWith(prefix);

/**
 * A query of the calls of a tenant through one of its time-ordered indexes: the keys-only ones (by lead, agent or
 * tenant, sorted by `createdAt`) or the whole-item ones of a table being moved to them (gsi1 by lead, gsi2 by agent, gsi3
 * all, sorted by `<createdAt>#<callId>`). The index is part of the identity: a cursor of one family is refused by the other.
 */
export function callsListing(input: {
  tenantId: string;
  /** The index and partition the query reads (lib/store/call-index-keys.ts, callListingIndex). */
  index: Pick<CallListingIndex, 'indexName' | 'hashAttr' | 'rangeAttr' | 'pk' | 'narrow'>;
  filter: { leadId?: string; crmUserId?: string; state?: string; from?: string; to?: string };
}): Listing {
  const { tenantId, index, filter } = input;
  const sortName = index.rangeAttr;
  // The query's key condition: `#sk >= :from`, `#sk <= :to~`, or BETWEEN both (lib/store/calls/queries.ts, list).
  const inRange = (value: string) => (!filter.from || value >= filter.from) && (!filter.to || value <= `${filter.to}~`);
  const key: KeyShape = {
    pk: (value) => value === tenantPk(tenantId),
    sk: nonEmptyAfter('CALL#'),
    [index.hashAttr]: (value) => value === index.pk,
    // Narrow: `<createdAt>` alone; whole-item: `<createdAt>#<callId>` (callTimeSk).
    [sortName]: (value) => (index.narrow ? /^\d{4}-\d{2}-\d{2}T[^#]+$/.test(value) : /^[^#]+#./.test(value)) && inRange(value),
  };
  return {
    identity: [
      'calls',
      tenantId,
      index.indexName,
      filter.leadId ?? null,
      filter.crmUserId ?? null,
      filter.state ?? null,
      filter.from ?? null,
      filter.to ?? null,
    ],
    key,
    // Both keys name the same call (a narrow sort key names no call: nothing to compare).
    ...(index.narrow
      ? {}
      : {
          consistent: (k: Readonly<Record<string, string>>) =>
            k[sortName]!.slice(k[sortName]!.indexOf('#') + 1) === k.sk!.slice('CALL#'.length),
        }),
  };
}

/** The agents of a tenant in key order. */
export function agentsListing(tenantId: string, filters: PageFilters = []): Listing {
  return {
    identity: ['agents', tenantId, ...filters],
    key: { pk: (value) => value === tenantPk(tenantId), sk: nonEmptyAfter('AGENT#') },
  };
}

/** The team index of a tenant: one team's members, or every team's with no `team`. */
export function teamMembersListing(tenantId: string, team: string | undefined, filters: PageFilters = []): Listing {
  return {
    identity: ['team-members', tenantId, team ?? null, ...filters],
    key: { pk: (value) => value === tenantPk(tenantId), sk: nonEmptyAfter(teamMembersPrefix(team)) },
  };
}
