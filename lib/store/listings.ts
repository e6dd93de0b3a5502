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

/** A query of the calls of a tenant through one of its time-ordered indexes (gsi1 by lead, gsi2 by agent, gsi3 all). */
export function callsListing(input: {
  tenantId: string;
  indexName: string;
  /** The index partition the query reads. */
  pk: string;
  filter: { leadId?: string; crmUserId?: string; state?: string; from?: string; to?: string };
}): Listing {
  const { tenantId, indexName, pk, filter } = input;
  const sortName = `${indexName}sk`;
  // The query's key condition: `#sk >= :from`, `#sk <= :to~`, or BETWEEN both (lib/store/calls/queries.ts, list).
  const inRange = (value: string) => (!filter.from || value >= filter.from) && (!filter.to || value <= `${filter.to}~`);
  const key: KeyShape = {
    pk: (value) => value === tenantPk(tenantId),
    sk: nonEmptyAfter('CALL#'),
    [`${indexName}pk`]: (value) => value === pk,
    // `<createdAt>#<callId>` (callTimeSk).
    [sortName]: (value) => /^[^#]+#./.test(value) && inRange(value),
  };
  return {
    identity: [
      'calls',
      tenantId,
      indexName,
      filter.leadId ?? null,
      filter.crmUserId ?? null,
      filter.state ?? null,
      filter.from ?? null,
      filter.to ?? null,
    ],
    key,
    // Both keys name the same call.
    consistent: (k) => k[sortName]!.slice(k[sortName]!.indexOf('#') + 1) === k.sk!.slice('CALL#'.length),
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
