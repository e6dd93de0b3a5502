import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { validateCallLog, type CallLogInput } from './pipedrive-rules';

/**
 * A stand-in for Pipedrive's API v1 on real HTTP, in memory: the call-log endpoints the call-logging transport uses
 * (`POST` and `GET /api/v1/callLogs`, `GET /api/v1/callLogs/{id}`) and `GET /api/v1/users/me` (the doctor's check).
 * It refuses what the reference says Pipedrive refuses, with Pipedrive's status and error body: a missing or unknown
 * API token (401), an invalid body (400, ./pipedrive-rules.ts), a record or user that does not exist (404), a call
 * log for another user by a token without account settings access (403), and more than the token's burst limit in
 * a rolling 2-second window (429). It speaks JSON only (the real v1 also takes form bodies). Faults are injected for
 * the reliability rows.
 */

/** A Pipedrive user: `accountSettings` is the access the reference requires to log calls for other users. */
export interface FakeUser {
  id: number;
  name: string;
  accountSettings: boolean;
}

/** A call log as the fake keeps it (what `GET /callLogs/{id}` answers). */
export type FakeCallLog = CallLogInput & { id: string; user_id: number; activity_id: number; has_recording: false; company_id: number };

export interface FakeRequest {
  method: string;
  /** The path without the query (the token may be in the query; it is never kept). */
  path: string;
  status: number;
  /** How the request carried the token: the `x-api-token` header, the `api_token` query parameter, or not at all. */
  auth: 'header' | 'query' | 'none';
  body?: unknown;
}

export type PipedriveFault =
  | { kind: '500' }
  | { kind: '429'; retryAfterSec: number }
  | { kind: '401' }
  /** Creates the call log, then answers only after `delayMs` (longer than the client's timeout). */
  | { kind: 'timeout-after-create'; delayMs: number }
  /** Creates the call log, then destroys the socket without answering. */
  | { kind: 'drop-after-create' };

export interface PipedriveFake {
  /** The company's API URL (`https://COMPANY.pipedrive.com` in production): `<url>/api/v1/...`. */
  url: string;
  /** The API token of the seeded admin user (id 1). */
  token: string;
  /** Call logs created, in order. */
  records: FakeCallLog[];
  /** Every request, in order of arrival. */
  requests: FakeRequest[];
  faults: {
    /** The next `count` requests matching `method` and `path` (default: `POST /api/v1/callLogs`) get `fault`. */
    inject(fault: PipedriveFault, count?: number, match?: { method?: string; path?: string }): void;
    clear(): void;
  };
  seed: {
    user(user: FakeUser, token?: string): void;
    person(id: number): void;
    organization(id: number): void;
    deal(id: number): void;
    lead(id: string): void;
    /** Revokes a token: every request with it is then answered 401. */
    revoke(token: string): void;
  };
  close(): Promise<void>;
}

const ERROR_INFO = 'Please check developers.pipedrive.com for more information about Pipedrive API.';
const COMPANY_ID = 4242;
const WINDOW_MS = 2000;

/** Lite's burst limit for an API token by default: 20 requests per rolling 2 seconds. */
export async function startPipedriveFake(options: { port?: number; burstLimit?: number } = {}): Promise<PipedriveFake> {
  const burstLimit = options.burstLimit ?? 20;
  const token = `pd-${randomBytes(12).toString('hex')}`;
  const users = new Map<number, FakeUser>([[1, { id: 1, name: 'Admin', accountSettings: true }]]);
  const tokens = new Map<string, number>([[token, 1]]);
  const persons = new Set<number>();
  const organizations = new Set<number>();
  const deals = new Set<number>();
  const leads = new Set<string>();
  const records: FakeCallLog[] = [];
  const requests: FakeRequest[] = [];
  const windows = new Map<string, number[]>();
  const sockets = new Set<Socket>();
  let faults: Array<{ fault: PipedriveFault; left: number; method: string; path: string }> = [];
  let activityIds = 7000;

  const errorBody = (error: string) => ({ success: false, error, error_info: ERROR_INFO, data: null, additional_data: null });

  /** The token's burst window: undefined while under the limit, else the seconds until a slot frees. */
  function overLimit(key: string, now: number): number | undefined {
    const recent = (windows.get(key) ?? []).filter((at) => now - at < WINDOW_MS);
    windows.set(key, recent);
    if (recent.length >= burstLimit) return Math.max(1, Math.ceil((recent[0]! + WINDOW_MS - now) / 1000));
    recent.push(now);
    return undefined;
  }

  function takeFault(method: string, path: string): PipedriveFault | undefined {
    const entry = faults.find((f) => f.left > 0 && f.method === method && f.path === path);
    if (!entry) return undefined;
    entry.left -= 1;
    faults = faults.filter((f) => f.left > 0);
    return entry.fault;
  }

  function createCallLog(userId: number, input: CallLogInput): { status: number; body: unknown; log?: FakeCallLog } {
    const caller = users.get(userId)!;
    if (input.user_id !== undefined && !users.has(input.user_id)) return { status: 404, body: errorBody('User not found') };
    if (input.user_id !== undefined && input.user_id !== userId && !caller.accountSettings)
      return { status: 403, body: errorBody("You don't have permission to change this resource.") };
    const missing =
      (input.person_id !== undefined && !persons.has(input.person_id)) ||
      (input.org_id !== undefined && !organizations.has(input.org_id)) ||
      (input.deal_id !== undefined && !deals.has(input.deal_id)) ||
      (input.lead_id !== undefined && !leads.has(input.lead_id.toLowerCase())) ||
      input.activity_id !== undefined;
    if (missing) return { status: 404, body: errorBody('A resource required for this operation was not found.') };
    const log: FakeCallLog = {
      ...input,
      id: `CA${randomBytes(14).toString('hex')}`,
      user_id: input.user_id ?? userId,
      activity_id: ++activityIds,
      has_recording: false,
      company_id: COMPANY_ID,
    };
    records.push(log);
    return { status: 200, body: { success: true, data: log }, log };
  }

  function route(method: string, url: URL, userId: number, body: unknown): { status: number; body: unknown } {
    const path = url.pathname;
    if (method === 'GET' && path === '/api/v1/users/me') {
      const user = users.get(userId)!;
      const access = [{ app: 'sales', admin: user.accountSettings, permission_set_id: 'ps-sales' }];
      if (user.accountSettings) access.push({ app: 'account_settings', admin: true, permission_set_id: 'ps-settings' });
      const data = {
        id: user.id,
        name: user.name,
        active_flag: true,
        is_you: true,
        access,
        company_id: COMPANY_ID,
        company_name: 'Fake Co',
      };
      return { status: 200, body: { success: true, data } };
    }
    if (method === 'POST' && path === '/api/v1/callLogs') {
      const checked = validateCallLog(body);
      if (!checked.ok) return { status: 400, body: errorBody(checked.error) };
      return createCallLog(userId, checked.input);
    }
    if (method === 'GET' && path === '/api/v1/callLogs') {
      const start = Math.max(0, Number(url.searchParams.get('start') ?? 0) || 0);
      // "The upper limit is 50."
      const limit = Math.min(50, Math.max(1, Number(url.searchParams.get('limit') ?? 50) || 50));
      // "Returns all call logs assigned to a particular user": the token's user. Newest first (the reference names no order).
      const mine = records.filter((log) => log.user_id === userId).reverse();
      const data = mine.slice(start, start + limit);
      const pagination = { start, limit, more_items_in_collection: start + limit < mine.length };
      return { status: 200, body: { success: true, data, additional_data: { pagination } } };
    }
    const one = /^\/api\/v1\/callLogs\/([^/]+)$/.exec(path);
    if (method === 'GET' && one) {
      const log = records.find((l) => l.id === decodeURIComponent(one[1]!));
      return log
        ? { status: 200, body: { success: true, data: log } }
        : { status: 404, body: errorBody('A resource required for this operation was not found.') };
    }
    return { status: 404, body: errorBody('Unknown method .') };
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake.pipedrive.test');
      const method = req.method ?? 'GET';
      const headerToken = req.headers['x-api-token'];
      const given = typeof headerToken === 'string' ? headerToken : (url.searchParams.get('api_token') ?? undefined);
      const auth: FakeRequest['auth'] = typeof headerToken === 'string' ? 'header' : given !== undefined ? 'query' : 'none';
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      let unreadable = false;
      if (text !== '') {
        try {
          body = JSON.parse(text) as unknown;
        } catch {
          unreadable = true;
        }
      }
      const record: FakeRequest = { method, path: url.pathname, status: 0, auth, ...(body !== undefined ? { body } : {}) };
      requests.push(record);
      const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
        record.status = status;
        if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(payload));
      };

      const userId = given !== undefined ? tokens.get(given) : undefined;
      if (userId === undefined) return send(401, { success: false, error: 'unauthorized access', errorCode: 401 });
      const retryAfter = overLimit(given!, Date.now());
      const remaining = retryAfter !== undefined ? 0 : Math.max(0, burstLimit - (windows.get(given!)?.length ?? 0));
      const rate = { 'x-ratelimit-limit': String(burstLimit), 'x-ratelimit-remaining': String(remaining), 'x-ratelimit-reset': '2' };
      if (retryAfter !== undefined) return send(429, errorBody('Request over limit'), { ...rate, 'retry-after': String(retryAfter) });

      const fault = takeFault(method, url.pathname);
      if (fault?.kind === '500') return send(500, errorBody('An internal server error occurred'), rate);
      if (fault?.kind === '429') return send(429, errorBody('Request over limit'), { ...rate, 'retry-after': String(fault.retryAfterSec) });
      if (fault?.kind === '401') return send(401, { success: false, error: 'unauthorized access', errorCode: 401 });
      if (unreadable) return send(400, errorBody('Invalid JSON body'), rate);

      const answer = route(method, url, userId, body);
      if (fault?.kind === 'drop-after-create') {
        record.status = -1;
        req.socket.destroy();
        return;
      }
      if (fault?.kind === 'timeout-after-create') {
        setTimeout(() => send(answer.status, answer.body, rate), fault.delayMs).unref();
        return;
      }
      send(answer.status, answer.body, rate);
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
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    token,
    records,
    requests,
    faults: {
      inject: (fault, count = 1, match = {}) => {
        faults.push({ fault, left: count, method: match.method ?? 'POST', path: match.path ?? '/api/v1/callLogs' });
      },
      clear: () => {
        faults = [];
      },
    },
    seed: {
      user: (user, userToken) => {
        users.set(user.id, user);
        if (userToken) tokens.set(userToken, user.id);
      },
      person: (id) => persons.add(id),
      organization: (id) => organizations.add(id),
      deal: (id) => deals.add(id),
      lead: (id) => leads.add(id.toLowerCase()),
      revoke: (revoked) => tokens.delete(revoked),
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
