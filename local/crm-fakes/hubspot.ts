import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { HubSpotRecordKind } from '../../lib/notify/transports/hubspot-fields';
import {
  checkAssociations,
  checkProperties,
  DEFAULT_DISPOSITIONS,
  errorBody,
  KNOWN_CALL_PROPERTIES,
  matchesFilter,
  missingScopes,
  propertyErrors,
  SEARCH_OPERATORS,
  unauthenticated,
  type ErrorBody,
} from './hubspot-rules';

/** The token the fake accepts unless told otherwise, with both scopes call logging needs. */
export const HUBSPOT_FAKE_TOKEN = 'pat-na1-fake-0000';
export const READ_SCOPE = 'crm.objects.contacts.read';
export const WRITE_SCOPE = 'crm.objects.contacts.write';

/** Records every fake starts with, so the demo and the tests have something to log on. */
export const HUBSPOT_FAKE_SEED = { contacts: ['101', '102'], companies: ['201'], deals: ['301'], owners: ['501', '502'] } as const;

/** One call engagement as the fake keeps it. */
export interface HubSpotCallRecord {
  id: string;
  properties: Record<string, string>;
  associations: Array<{ toId: string; associationTypeId: number }>;
  createdAt: string;
  updatedAt: string;
}

export interface FakeRequest {
  method: string;
  path: string;
  status: number;
  body: unknown;
}

export type HubSpotFaultKind = '500' | '429' | '401' | 'timeout-after-create' | 'drop-after-create';
/** Which requests a fault applies to: creates by default. */
export type FaultTarget = 'create' | 'update' | 'search' | 'any';

interface Fault {
  kind: HubSpotFaultKind;
  remaining: number;
  on: FaultTarget;
  retryAfterSec: number;
  delayMs: number;
}

export interface HubSpotFake {
  url: string;
  /** Every call engagement created, in order. */
  records: HubSpotCallRecord[];
  /** Every request, refused ones included, with the status answered (dropped: 0). */
  requests: FakeRequest[];
  faults: {
    /** The next `count` requests of `on` (default: creates) get `kind`. */
    add(kind: HubSpotFaultKind, options?: { count?: number; on?: FaultTarget; retryAfterSec?: number; delayMs?: number }): void;
    clear(): void;
  };
  seed: {
    contacts(...ids: string[]): void;
    companies(...ids: string[]): void;
    deals(...ids: string[]): void;
    owners(...ids: string[]): void;
  };
  /** Accept `token` with `scopes` (replacing its scopes if known). */
  grant(token: string, scopes: string[]): void;
  /** Refuse `token` from now on, as HubSpot does once a private app's token is rotated or the app deleted. */
  revoke(token: string): void;
  close(): Promise<void>;
}

export interface HubSpotFakeOptions {
  port?: number;
  /** Requests per token per 10 s: HubSpot's Free and Starter private-app burst, 100. */
  burstPer10s?: number;
  /** Search requests per token per second: 4. */
  searchPerSecond?: number;
  /** How long a written call takes to show in search results (HubSpot's search is an index); default 0. */
  searchLagMs?: number;
  now?: () => number;
}

const CALLS = '/crm/v3/objects/calls';

/**
 * A stand-in for HubSpot's CRM API, enough of it for call logging: create, update, read and search calls, and the
 * private-app token info. It refuses what HubSpot refuses (docs/crm-logging.md, "HubSpot"), with HubSpot's statuses
 * and error bodies, enforces the burst and search limits (429 with Retry-After), and plays the faults a test injects.
 */
export async function startHubSpotFake(options: HubSpotFakeOptions = {}): Promise<HubSpotFake> {
  const now = options.now ?? Date.now;
  const burst = options.burstPer10s ?? 100;
  const searchPerSecond = options.searchPerSecond ?? 4;
  const searchLagMs = options.searchLagMs ?? 0;
  const tokens = new Map<string, string[]>([[HUBSPOT_FAKE_TOKEN, [READ_SCOPE, WRITE_SCOPE]]]);
  const objects: Record<HubSpotRecordKind, Set<string>> = {
    contact: new Set(HUBSPOT_FAKE_SEED.contacts),
    company: new Set(HUBSPOT_FAKE_SEED.companies),
    deal: new Set(HUBSPOT_FAKE_SEED.deals),
  };
  const owners = new Set<string>(HUBSPOT_FAKE_SEED.owners);
  const records: HubSpotCallRecord[] = [];
  const requests: FakeRequest[] = [];
  const faults: Fault[] = [];
  const windows = new Map<string, number[]>();
  const searchWindows = new Map<string, number[]>();
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let nextId = 90001;

  type Answer = { status: number; body?: unknown; headers?: Record<string, string> };

  /** Takes a slot of a sliding window; the seconds to wait (Retry-After) when it is full. */
  const take = (store: Map<string, number[]>, token: string, max: number, windowMs: number): number | undefined => {
    const at = now();
    const hits = (store.get(token) ?? []).filter((t) => t > at - windowMs);
    store.set(token, hits);
    const oldest = hits[0];
    if (oldest !== undefined && hits.length >= max) return Math.max(1, Math.ceil((oldest + windowMs - at) / 1000));
    hits.push(at);
    return undefined;
  };

  const targetOf = (method: string, path: string): FaultTarget | undefined => {
    if (method === 'POST' && path === CALLS) return 'create';
    if (method === 'PATCH' && path.startsWith(`${CALLS}/`)) return 'update';
    if (method === 'POST' && path === `${CALLS}/search`) return 'search';
    return path.startsWith('/crm/') ? 'any' : undefined;
  };

  const takeFault = (target: FaultTarget | undefined): Fault | undefined => {
    if (!target) return undefined;
    const fault = faults.find((f) => f.remaining > 0 && (f.on === 'any' || f.on === target));
    if (fault) fault.remaining -= 1;
    return fault;
  };

  const view = (record: HubSpotCallRecord, only?: string[]) => {
    const base = { hs_object_id: record.id, hs_createdate: record.createdAt, hs_lastmodifieddate: record.updatedAt };
    const properties = only
      ? { ...base, ...Object.fromEntries(only.filter((p) => p in record.properties).map((p) => [p, record.properties[p]])) }
      : { ...base, ...record.properties };
    return { id: record.id, properties, createdAt: record.createdAt, updatedAt: record.updatedAt, archived: false };
  };

  const directory = () => ({ owners, dispositions: DEFAULT_DISPOSITIONS });

  const route = (method: string, path: string, query: URLSearchParams, body: unknown, token: string): Answer => {
    const scopes = tokens.get(token) ?? [];
    const needs = (scope: string): Answer | undefined => (scopes.includes(scope) ? undefined : { status: 403, body: missingScopes(scope) });
    const input = (body ?? {}) as { properties?: unknown; associations?: unknown };

    if (method === 'POST' && path === CALLS) {
      const refused = needs(WRITE_SCOPE);
      if (refused) return refused;
      const errors = checkProperties(input.properties, true, directory());
      if (errors === 'not-an-object')
        return { status: 400, body: errorBody('VALIDATION_ERROR', 'Invalid input JSON: properties must be an object') };
      if (errors.length > 0) return { status: 400, body: propertyErrors(errors) };
      const association = checkAssociations(input.associations, objects);
      if (association) return { status: 400, body: association };
      const at = new Date(now()).toISOString();
      const record: HubSpotCallRecord = {
        id: String(nextId++),
        properties: stringsOf(input.properties as Record<string, unknown>),
        associations: (
          (input.associations ?? []) as Array<{ to: { id: string | number }; types: Array<{ associationTypeId: number }> }>
        ).flatMap((a) => a.types.map((t) => ({ toId: String(a.to.id), associationTypeId: t.associationTypeId }))),
        createdAt: at,
        updatedAt: at,
      };
      records.push(record);
      return { status: 201, body: view(record) };
    }

    if (method === 'POST' && path === `${CALLS}/search`) {
      const refused = needs(READ_SCOPE);
      if (refused) return refused;
      const wait = take(searchWindows, token, searchPerSecond, 1000);
      if (wait !== undefined) return rateLimited(wait, 'SECONDLY');
      return search(body);
    }

    const one = path.startsWith(`${CALLS}/`) ? records.find((r) => r.id === decodeURIComponent(path.slice(CALLS.length + 1))) : undefined;
    if (method === 'PATCH' && path.startsWith(`${CALLS}/`)) {
      const refused = needs(WRITE_SCOPE);
      if (refused) return refused;
      if (!one) return { status: 404, body: errorBody('OBJECT_NOT_FOUND', 'resource not found') };
      const errors = checkProperties(input.properties, false, directory());
      if (errors === 'not-an-object')
        return { status: 400, body: errorBody('VALIDATION_ERROR', 'Invalid input JSON: properties must be an object') };
      if (errors.length > 0) return { status: 400, body: propertyErrors(errors) };
      Object.assign(one.properties, stringsOf(input.properties as Record<string, unknown>));
      one.updatedAt = new Date(now()).toISOString();
      return { status: 200, body: view(one) };
    }
    if (method === 'GET' && path.startsWith(`${CALLS}/`)) {
      const refused = needs(READ_SCOPE);
      if (refused) return refused;
      return one ? { status: 200, body: view(one) } : { status: 404, body: errorBody('OBJECT_NOT_FOUND', 'resource not found') };
    }
    if (method === 'GET' && path === CALLS) {
      const refused = needs(READ_SCOPE);
      if (refused) return refused;
      const limit = Math.min(100, Math.max(1, Number(query.get('limit') ?? 10) || 10));
      return { status: 200, body: { results: records.slice(0, limit).map((r) => view(r)) } };
    }
    return { status: 404, body: errorBody('OBJECT_NOT_FOUND', `no route for ${method} ${path}`) };
  };

  const search = (body: unknown): Answer => {
    const request = (body ?? {}) as { filterGroups?: unknown; properties?: unknown; limit?: unknown };
    const groups = Array.isArray(request.filterGroups) ? (request.filterGroups as Array<{ filters?: unknown }>) : [];
    const limit = typeof request.limit === 'number' ? request.limit : 10;
    if (groups.length > 5 || limit < 0 || limit > 200) {
      return {
        status: 400,
        body: errorBody('VALIDATION_ERROR', 'There was a problem with the request: up to 5 filterGroups and a limit of 0 to 200'),
      };
    }
    type Filter = { propertyName?: unknown; operator?: unknown; value?: unknown; values?: unknown };
    const parsed = groups.map((g) => (Array.isArray(g.filters) ? (g.filters as Filter[]) : []));
    for (const filter of parsed.flat()) {
      const name = String(filter.propertyName);
      if (!KNOWN_CALL_PROPERTIES.has(name))
        return { status: 400, body: errorBody('VALIDATION_ERROR', `Unable to find property ${name} on object type calls`) };
      if (!SEARCH_OPERATORS.has(String(filter.operator))) {
        return { status: 400, body: errorBody('VALIDATION_ERROR', `${String(filter.operator)} is not a valid filter operator`) };
      }
    }
    const visibleBefore = now() - searchLagMs;
    const hits = records.filter(
      (record) =>
        Date.parse(record.updatedAt) <= visibleBefore &&
        (parsed.length === 0 ||
          parsed.some((filters) =>
            filters.every((f) =>
              matchesFilter(
                record.properties[String(f.propertyName)],
                String(f.operator),
                typeof f.value === 'string' ? f.value : undefined,
                Array.isArray(f.values) ? f.values.map(String) : undefined,
              ),
            ),
          )),
    );
    const only = Array.isArray(request.properties) ? request.properties.map(String) : [];
    return { status: 200, body: { total: hits.length, results: hits.slice(0, limit).map((r) => view(r, only)) } };
  };

  const tokenInfo = (body: unknown): Answer => {
    const key = (body as { tokenKey?: unknown } | undefined)?.tokenKey;
    const scopes = typeof key === 'string' ? tokens.get(key) : undefined;
    if (!scopes) return { status: 401, body: unauthenticated() };
    return { status: 200, body: { userId: 9001, hubId: 424242, appId: 77, scopes } };
  };

  const answer = async (req: http.IncomingMessage, res: http.ServerResponse, raw: string): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const path = url.pathname;
    let body: unknown;
    const entry: FakeRequest = { method, path, status: 0, body: undefined };
    requests.push(entry);
    const reply = (a: Answer) => {
      entry.status = a.status;
      res.writeHead(a.status, { 'content-type': 'application/json;charset=utf-8', ...a.headers });
      res.end(a.body === undefined ? '' : JSON.stringify(a.body));
    };
    if (raw !== '') {
      try {
        body = JSON.parse(raw) as unknown;
        entry.body = body;
      } catch {
        return reply({ status: 400, body: errorBody('VALIDATION_ERROR', 'Invalid input JSON on line 1: the body is not JSON') });
      }
    }
    if (method === 'POST' && path === '/oauth/v2/private-apps/get/access-token-info') return reply(tokenInfo(body));

    const fault = takeFault(targetOf(method, path));
    if (fault?.kind === '500') return reply({ status: 500, body: errorBody('INTERNAL_ERROR', 'internal error') });
    if (fault?.kind === '401') return reply({ status: 401, body: unauthenticated() });
    if (fault?.kind === '429') return reply(rateLimited(fault.retryAfterSec, 'TEN_SECONDLY_ROLLING'));

    const token = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!token || !tokens.has(token)) return reply({ status: 401, body: unauthenticated() });
    const wait = take(windows, token, burst, 10_000);
    if (wait !== undefined) return reply(rateLimited(wait, 'TEN_SECONDLY_ROLLING'));
    const result = route(method, path, url.searchParams, body, token);
    const remaining = Math.max(0, burst - (windows.get(token)?.length ?? 0));
    result.headers = {
      'x-hubspot-ratelimit-max': String(burst),
      'x-hubspot-ratelimit-remaining': String(remaining),
      'x-hubspot-ratelimit-interval-milliseconds': '10000',
      ...result.headers,
    };
    if (fault?.kind === 'drop-after-create') {
      entry.status = 0;
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'timeout-after-create') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          resolve();
        }, fault.delayMs);
        timers.add(timer);
      });
      if (req.socket.destroyed) return;
    }
    reply(result);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    // A client that gives up mid-request (a timeout) is expected here: never an unhandled 'error'.
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      answer(req, res, Buffer.concat(chunks).toString('utf8')).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    records,
    requests,
    faults: {
      add(kind, { count = 1, on = 'create', retryAfterSec = 1, delayMs = 5000 } = {}) {
        faults.push({ kind, remaining: count, on, retryAfterSec, delayMs });
      },
      clear: () => void faults.splice(0),
    },
    seed: {
      contacts: (...ids) => ids.forEach((id) => objects.contact.add(id)),
      companies: (...ids) => ids.forEach((id) => objects.company.add(id)),
      deals: (...ids) => ids.forEach((id) => objects.deal.add(id)),
      owners: (...ids) => ids.forEach((id) => owners.add(id)),
    },
    grant: (token, scopes) => void tokens.set(token, scopes),
    revoke: (token) => void tokens.delete(token),
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** HubSpot's 429: which limit (`policyName`), and when to come back. */
function rateLimited(
  retryAfterSec: number,
  policyName: string,
): { status: number; body: ErrorBody & Record<string, unknown>; headers: Record<string, string> } {
  const body = {
    ...errorBody('RATE_LIMITS', `You have reached your ${policyName.toLowerCase()} limit.`),
    errorType: 'RATE_LIMIT',
    policyName,
  };
  return { status: 429, body, headers: { 'retry-after': String(retryAfterSec) } };
}

function stringsOf(properties: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(properties).flatMap(([k, v]) => (typeof v === 'string' || typeof v === 'number' ? [[k, String(v)]] : [])),
  );
}
