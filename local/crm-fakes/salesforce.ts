import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  CALL_CENTER_FIELDS,
  canonicalId,
  KEY_PREFIXES,
  TASK_FIELDS,
  taskDescribe,
  taskRefusals,
  to18,
  type FieldSpec,
  type RecordType,
  type SalesforceError,
} from './salesforce-task';

/**
 * A stand-in Salesforce org on real HTTP, in memory, for tests and the local stack: the OAuth 2.0 client credentials
 * token endpoint and the REST API's Task resources (create, update, read, describe, and the SOQL query by CallObject),
 * refusing what the real API refuses with its status and error array (./salesforce-task.ts), sessions that expire, and
 * the org's 24-hour API request allocation (403 REQUEST_LIMIT_EXCEEDED). Faults are injected per request.
 */

/** Which requests a fault applies to: `api` is any `/services/data` request. */
export type FaultTarget = 'token' | 'create' | 'update' | 'query' | 'describe' | 'api';
export type FaultKind = '500' | '429' | '401' | 'timeout-after-create' | 'drop-after-create';

interface Fault {
  kind: FaultKind;
  on: FaultTarget;
  left: number;
  retryAfterSec: number;
  delayMs: number;
}

export interface FakeTask {
  Id: string;
  CreatedDate: string;
  [field: string]: unknown;
}

export interface FakeRequest {
  at: string;
  method: string;
  path: string;
  kind: FaultTarget | 'read' | 'other';
  /** The SOQL of a query; the JSON body of a create or an update; the token form without its secret. */
  soql?: string;
  body?: unknown;
  status: number;
}

export interface SalesforceFakeOptions {
  port?: number;
  clientId?: string;
  clientSecret?: string;
  /** How long an access token lives (Salesforce: the session timeout, 2 hours by default). */
  tokenTtlMs?: number;
  /** The org's API requests per rolling 24 hours (default 15,000: a Developer Edition's). */
  apiRequestsPer24h?: number;
  now?: () => number;
}

export interface SalesforceFake {
  /** Both the login URL and the instance URL (a My Domain serves both). */
  url: string;
  /** The Tasks, by their 18-character id. */
  records: Map<string, FakeTask>;
  requests: FakeRequest[];
  faults: {
    add(kind: FaultKind, options?: { times?: number; on?: FaultTarget; retryAfterSec?: number; delayMs?: number }): void;
    clear(): void;
  };
  seed: Record<'lead' | 'contact' | 'account' | 'opportunity' | 'user', () => string>;
  /** The connected app's run-as user: every Task without an OwnerId is theirs. */
  runAsUserId: string;
  /** What an admin could change in the org meanwhile. */
  org: {
    clientSecret: string;
    runAsUser: boolean;
    /** Off: every API request is 403 API_DISABLED_FOR_ORG (an edition without API access, or the permission taken away). */
    apiEnabled: boolean;
    taskCreateable: boolean;
    callCenterFields: boolean;
    apiRequestsPer24h: number;
    tokenTtlMs: number;
  };
  /** Ends every live session now (Salesforce: a timeout, a revoked app, a password reset). */
  expireSessions(): void;
  close(): Promise<void>;
}

const SUPPORTED_VERSIONS = { min: 31, max: 66 };
const DAY_MS = 24 * 3600_000;

export async function startSalesforceFake(options: SalesforceFakeOptions = {}): Promise<SalesforceFake> {
  const now = options.now ?? Date.now;
  const clientId = options.clientId ?? 'fake-consumer-key';
  const org = {
    clientSecret: options.clientSecret ?? 'fake-consumer-secret',
    runAsUser: true,
    apiEnabled: true,
    taskCreateable: true,
    callCenterFields: true,
    apiRequestsPer24h: options.apiRequestsPer24h ?? 15_000,
    tokenTtlMs: options.tokenTtlMs ?? 2 * 3600_000,
  };
  const orgId = to18(`00D${'Fk'}${'0'.repeat(9)}1`);
  const records = new Map<string, FakeTask>();
  const others = new Map<string, RecordType>();
  const sessions = new Map<string, number>();
  const apiCalls: number[] = [];
  const requests: FakeRequest[] = [];
  let faults: Fault[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let counter = 0;

  const newId = (type: RecordType) => to18(`${KEY_PREFIXES[type]}Fk${(++counter).toString(36).toUpperCase().padStart(10, '0')}`);
  const seedOne = (type: RecordType) => () => {
    const id = newId(type);
    others.set(id.slice(0, 15), type);
    return id;
  };
  const runAsUserId = seedOne('User')();
  const lookup = (id15: string): RecordType | undefined => others.get(id15) ?? (records.has(to18(id15)) ? 'Task' : undefined);
  const fieldsOfOrg = (): Record<string, FieldSpec> =>
    org.callCenterFields
      ? TASK_FIELDS
      : Object.fromEntries(Object.entries(TASK_FIELDS).filter(([name]) => !CALL_CENTER_FIELDS.includes(name)));

  const takeFault = (kind: FaultTarget): Fault | undefined => {
    const fault = faults.find((f) => f.left > 0 && (f.on === kind || (f.on === 'api' && kind !== 'token')));
    if (fault) fault.left--;
    return fault;
  };

  type Answer = { status: number; body?: unknown; headers?: Record<string, string> };
  const errors = (status: number, list: SalesforceError[]): Answer => ({ status, body: list });
  const one = (status: number, errorCode: string, message: string): Answer => errors(status, [{ errorCode, message, fields: [] }]);
  const notFound = () => one(404, 'NOT_FOUND', 'The requested resource does not exist');

  function token(form: URLSearchParams): Answer {
    const oauth = (error: string, description: string): Answer => ({ status: 400, body: { error, error_description: description } });
    if (form.get('grant_type') !== 'client_credentials') return oauth('unsupported_grant_type', 'grant type not supported');
    if (form.get('client_id') !== clientId) return oauth('invalid_client_id', 'client identifier invalid');
    if (form.get('client_secret') !== org.clientSecret) return oauth('invalid_client', 'invalid client credentials');
    if (!org.runAsUser) return oauth('invalid_grant', 'no client credentials user enabled');
    const accessToken = `${orgId.slice(0, 15)}!${randomBytes(24).toString('base64url')}`;
    sessions.set(accessToken, now() + org.tokenTtlMs);
    return {
      status: 200,
      body: {
        access_token: accessToken,
        signature: randomBytes(32).toString('base64'),
        scope: 'api',
        instance_url: url,
        id: `${url}/id/${orgId}/${runAsUserId}`,
        token_type: 'Bearer',
        issued_at: String(now()),
      },
    };
  }

  function create(body: unknown): Answer {
    if (!org.taskCreateable) return one(400, 'INSUFFICIENT_ACCESS_OR_READONLY', 'insufficient access rights on object id');
    const refusals = taskRefusals(body, 'create', fieldsOfOrg(), lookup);
    if (refusals.length > 0) return errors(400, refusals);
    const id = newId('Task');
    const given = Object.fromEntries(Object.entries(body as Record<string, unknown>).filter(([k]) => k !== 'attributes'));
    records.set(id, {
      Status: TASK_FIELDS.Status!.defaultValue,
      Priority: TASK_FIELDS.Priority!.defaultValue,
      OwnerId: runAsUserId,
      ...given,
      Id: id,
      CreatedDate: new Date(now()).toISOString(),
    });
    return { status: 201, body: { id, success: true, errors: [] } };
  }

  function update(id: string, body: unknown): Answer {
    const id15 = canonicalId(id);
    const task = id15 === undefined ? undefined : records.get(to18(id15));
    if (!task) return id15 === undefined ? one(400, 'MALFORMED_ID', `Task ID: id value of incorrect type: ${id}`) : notFound();
    const refusals = taskRefusals(body, 'update', fieldsOfOrg(), lookup);
    if (refusals.length > 0) return errors(400, refusals);
    Object.assign(task, Object.fromEntries(Object.entries(body as Record<string, unknown>).filter(([k]) => k !== 'attributes')));
    return { status: 204 };
  }

  /** The one query the transport makes, and its variants: `SELECT Id FROM Task WHERE CallObject = '...' [ORDER BY CreatedDate [ASC|DESC]] [LIMIT n]`. */
  function query(soql: string, version: string): Answer {
    const m =
      /^SELECT\s+Id\s+FROM\s+Task\s+WHERE\s+(\w+)\s*=\s*'((?:[^'\\]|\\.)*)'(?:\s+ORDER\s+BY\s+CreatedDate(?:\s+(ASC|DESC))?)?(?:\s+LIMIT\s+(\d+))?\s*$/i.exec(
        soql,
      );
    if (!m) return one(400, 'MALFORMED_QUERY', `unexpected token in: ${soql.slice(0, 80)}`);
    const [, field, literal, direction, limit] = m;
    if (!fieldsOfOrg()[field!]) return one(400, 'INVALID_FIELD', `No such column '${field}' on entity 'Task'.`);
    const value = unescapeSoql(literal!);
    if (value === undefined) return one(400, 'MALFORMED_QUERY', 'Invalid string literal: an unknown escape sequence');
    let found = [...records.values()].filter((t) => t[field!] === value).sort((a, b) => a.CreatedDate.localeCompare(b.CreatedDate));
    if (direction?.toUpperCase() === 'DESC') found.reverse();
    if (limit !== undefined) found = found.slice(0, Number(limit));
    return {
      status: 200,
      body: {
        totalSize: found.length,
        done: true,
        records: found.map((t) => ({ attributes: { type: 'Task', url: `/services/data/v${version}.0/sobjects/Task/${t.Id}` }, Id: t.Id })),
      },
    };
  }

  function route(req: http.IncomingMessage, raw: string, entry: FakeRequest): Answer | 'drop' | { delayMs: number; answer: Answer } {
    const target = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    if (target.pathname === '/services/oauth2/token' && method === 'POST') {
      entry.kind = 'token';
      const form = new URLSearchParams(raw);
      entry.body = { grant_type: form.get('grant_type'), client_id: form.get('client_id') };
      const fault = takeFault('token');
      if (fault?.kind === '500') return { status: 500, body: { error: 'server_error', error_description: 'injected fault' } };
      if (fault?.kind === '429')
        return { status: 429, body: { error: 'rate_limit_exceeded' }, headers: { 'retry-after': String(fault.retryAfterSec) } };
      return token(form);
    }
    const api = /^\/services\/data\/v(\d+)\.0(\/.*)$/.exec(target.pathname);
    if (!api) return notFound();
    const version = Number(api[1]);
    const path = api[2]!;
    const taskPath = /^\/sobjects\/Task\/([^/]+)$/.exec(path);
    entry.kind =
      path === '/sobjects/Task' && method === 'POST'
        ? 'create'
        : path === '/query' && method === 'GET'
          ? 'query'
          : path === '/sobjects/Task/describe' && method === 'GET'
            ? 'describe'
            : taskPath && method === 'PATCH'
              ? 'update'
              : taskPath && method === 'GET'
                ? 'read'
                : 'other';
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    const expiresAt = auth ? sessions.get(auth[1]!) : undefined;
    if (expiresAt === undefined || expiresAt <= now()) return one(401, 'INVALID_SESSION_ID', 'Session expired or invalid');
    if (!org.apiEnabled) return one(403, 'API_DISABLED_FOR_ORG', 'API is not enabled for this Organization or Partner');
    const day = now() - DAY_MS;
    while (apiCalls.length > 0 && apiCalls[0]! <= day) apiCalls.shift();
    if (apiCalls.length >= org.apiRequestsPer24h) return one(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.');
    apiCalls.push(now());
    if (version < SUPPORTED_VERSIONS.min || version > SUPPORTED_VERSIONS.max) return notFound();
    const fault = entry.kind === 'read' || entry.kind === 'other' ? takeFault('api') : takeFault(entry.kind);
    if (fault?.kind === '500') return one(500, 'UNKNOWN_EXCEPTION', 'An unexpected error occurred (injected fault)');
    if (fault?.kind === '429')
      return { ...one(429, 'REQUEST_LIMIT_EXCEEDED', 'injected fault'), headers: { 'retry-after': String(fault.retryAfterSec) } };
    if (fault?.kind === '401') return one(401, 'INVALID_SESSION_ID', 'Session expired or invalid');
    let body: unknown;
    if (raw !== '') {
      try {
        body = JSON.parse(raw) as unknown;
      } catch {
        return one(400, 'JSON_PARSER_ERROR', 'Unexpected character in the request body');
      }
    }
    if (entry.kind === 'create' || entry.kind === 'update') entry.body = body;
    switch (entry.kind) {
      case 'create': {
        const answer = create(body);
        if (answer.status !== 201 || !fault) return answer;
        return fault.kind === 'drop-after-create' ? 'drop' : { delayMs: fault.delayMs, answer };
      }
      case 'update':
        return update(taskPath![1]!, body);
      case 'read': {
        const id15 = canonicalId(taskPath![1]!);
        const task = id15 === undefined ? undefined : records.get(to18(id15));
        return task ? { status: 200, body: { attributes: { type: 'Task' }, ...task } } : notFound();
      }
      case 'describe':
        return { status: 200, body: taskDescribe(fieldsOfOrg(), org.taskCreateable) };
      case 'query':
        entry.soql = target.searchParams.get('q') ?? '';
        return query(entry.soql, api[1]!);
      default:
        return notFound();
    }
  }

  const send = (res: http.ServerResponse, entry: FakeRequest, answer: Answer) => {
    entry.status = answer.status;
    const headers: Record<string, string> = { ...answer.headers };
    if (entry.kind !== 'token') headers['sforce-limit-info'] = `api-usage=${apiCalls.length}/${org.apiRequestsPer24h}`;
    if (answer.body === undefined) res.writeHead(answer.status, headers).end();
    else res.writeHead(answer.status, { ...headers, 'content-type': 'application/json;charset=UTF-8' }).end(JSON.stringify(answer.body));
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const entry: FakeRequest = {
        at: new Date(now()).toISOString(),
        method: req.method ?? 'GET',
        path: (req.url ?? '/').split('?')[0]!,
        kind: 'other',
        status: 0,
      };
      requests.push(entry);
      const result = route(req, Buffer.concat(chunks).toString('utf8'), entry);
      if (result === 'drop') {
        entry.status = -1;
        req.socket.destroy();
      } else if ('delayMs' in result) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          send(res, entry, result.answer);
        }, result.delayMs);
        timers.add(timer);
      } else send(res, entry, result);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    records,
    requests,
    faults: {
      add(kind, { times = 1, on, retryAfterSec = 2, delayMs = 15_000 } = {}) {
        const target = kind === 'timeout-after-create' || kind === 'drop-after-create' ? 'create' : (on ?? 'api');
        faults.push({ kind, on: target, left: times, retryAfterSec, delayMs });
      },
      clear: () => {
        faults = [];
      },
    },
    seed: {
      lead: seedOne('Lead'),
      contact: seedOne('Contact'),
      account: seedOne('Account'),
      opportunity: seedOne('Opportunity'),
      user: seedOne('User'),
    },
    runAsUserId,
    org,
    expireSessions: () => sessions.clear(),
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/** A SOQL string literal's text, or undefined for an escape SOQL does not know. */
function unescapeSoql(literal: string): string | undefined {
  const known: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', '"': '"', "'": "'", '\\': '\\' };
  let bad = false;
  const text = literal.replace(/\\(.)/g, (_, c: string) => {
    if (known[c] === undefined) bad = true;
    return known[c] ?? '';
  });
  return bad ? undefined : text;
}
