import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import * as z from 'zod';
import { CdrFilterError, CdrStore, createCdr, parseCdrFilters, type Cdr } from './cdr';
import { judgeDial, parseDialPath, type DialPath, type DialShape } from './dial';
import { FaultSwitch, faultSettingSchema, type FaultMode, type FaultSetting, type FaultState } from './faults';
import { planCall, PlayoutTable, playoutSettingSchema, type Playout, type PlayoutRule, type PlayoutSetting } from './playout';
import { isLoopbackOrigin, PlacedCallLog } from './calls';
import { WebhookDispatcher, webhooksBodySchema, type WebhookConfig, type WebhookConfigInput, type WebhookDeliveryRecord } from './webhooks';

/** How to start a {@link PbxSimulator}. */
export interface PbxSimulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
  /** Registered agent extensions; default {@link DEFAULT_EXTENSIONS}. */
  extensions?: string[];
  /** Source addresses the PBX answers; default {@link DEFAULT_ALLOW} (loopback). */
  allow?: string[];
  /** When set, dial requests need these HTTP Basic credentials. */
  basicAuth?: { username: string; password: string };
  /** When set, the CDR search API needs this `X-Api-Key`. */
  cdrApiKey?: string;
  /** How placed calls play out (per extension or number); default: answered after 2 s, 40 s of talk. */
  playout?: PlayoutSetting;
  /** PBX Stats webhooks sent as calls play out; none by default. */
  webhooks?: WebhookConfigInput[];
  /** Told of the simulator's own faults (a 500 it answered, a broken connection); they never end the process. */
  onError?: (error: unknown) => void;
  /**
   * Asked about an extension that is not in the registered list, before the dial is refused: the local stack answers
   * from its table (every extension an agent of any tenant holds is registered at its PBX).
   */
  isRegistered?: (extension: string) => Promise<boolean>;
  /**
   * Webhooks for one placed call, besides the configured ones: the local stack sends each call's PBX Stats events to
   * the tenant that placed it, as that tenant's PBX Stats would.
   */
  webhooksFor?: (dial: DialPath, customFields: Readonly<Record<string, string>>) => Promise<WebhookConfigInput[]>;
}

/** How the simulator answered a request on the PBX surface. Fault answers carry the fault's name. */
export type RequestOutcome =
  'accepted' | 'refused' | 'not_allowlisted' | 'unauthorized' | 'no_route' | Exclude<FaultMode, 'none' | 'latency'>;

/** One request the simulator received on its PBX surface (everything but `/_sim/*` and `/api/*`). */
export interface SimRequestRecord {
  seq: number;
  /** ISO 8601 time of receipt. */
  at: string;
  method: string;
  path: string;
  query: Record<string, string>;
  /** The URL layout, or `null` when the path is no Click2Call route. */
  shape: DialShape | null;
  crmId?: string;
  clientId?: string;
  legA?: string;
  legB?: string;
  prefix?: string;
  remoteAddress: string;
  /** Whether an `Authorization` header came with it; its value is never kept. */
  authorizationPresent: boolean;
  outcome: RequestOutcome;
  /** The fault applied to this request, if any (`latency` included). */
  fault?: FaultMode;
  /** Whether the simulated PBX placed the call, so that a CDR exists. */
  placed: boolean;
  /** Present when the call was placed. */
  uniqueId?: string;
}

/** A running PBX simulator. */
export interface PbxSimulator {
  /** e.g. `http://127.0.0.1:4010`: the `baseUrl` for either URL shape. */
  readonly url: string;
  readonly port: number;
  /** Requests received on the PBX surface, oldest first; with `since`, only those with a greater `seq`. */
  requests(since?: number): SimRequestRecord[];
  clearRequests(): void;
  fault(): FaultState;
  /** @throws {z.ZodError} on an invalid setting */
  setFault(setting: FaultSetting): void;
  clearFault(): void;
  extensions(): string[];
  /** @throws {z.ZodError} when an extension is not digits only */
  setExtensions(extensions: readonly string[]): void;
  allow(): string[];
  setAllow(addresses: readonly string[]): void;
  /** Every CDR, oldest first. */
  cdrs(): Cdr[];
  playout(): { default: Playout; rules: PlayoutRule[] };
  /** @throws {z.ZodError} on an invalid setting */
  setPlayout(setting: PlayoutSetting): void;
  webhooks(): WebhookConfig[];
  /** Replaces the webhooks; calls already placed keep the ones they were scheduled with. @throws {z.ZodError} */
  setWebhooks(webhooks: readonly WebhookConfigInput[]): void;
  /** Webhook sends, oldest first; with `since`, only those with a greater `seq`. */
  webhookDeliveries(since?: number): WebhookDeliveryRecord[];
  /** Stops listening and destroys every open connection, hanging ones included. */
  close(): Promise<void>;
}

/** Extensions registered when none are given. */
export const DEFAULT_EXTENSIONS: readonly string[] = ['1000', '1001'];
/** Loopback in its IPv4, IPv6 and IPv4-mapped spellings. */
export const DEFAULT_ALLOW: readonly string[] = ['127.0.0.1', '::1', '::ffff:127.0.0.1'];

/** The `pbx` host the simulator reports in its answers. */
export const SIM_PBX_HOST = 'sim.pbx.commpeak.local';

const RECORD_CAPACITY = 100_000;
const MAX_CONTROL_BODY_BYTES = 1024 * 1024;

/**
 * Request line plus headers the simulator reads, as a real front end caps them (Node's default, 16 KiB;
 * nginx and Apache allow about 8 KB per line). Past it the GET is answered 431 before any route runs,
 * as a real PBX would after receiving it: the call behind it can only be `unknown`.
 */
export const SIM_MAX_HEADER_BYTES = 16 * 1024;

const extensionsSchema = z.array(z.string().regex(/^\d+$/, 'extensions are digits only'));
const extensionsBodySchema = z.object({ extensions: extensionsSchema });
const allowBodySchema = z.object({ allow: z.array(z.string().min(1)) });

// Module scope, so that several simulators in one process (parallel tests) never hand out the same id.
let uniqueIdCounter = 1000;
function nextUniqueId(): string {
  uniqueIdCounter += 1;
  return `${Math.floor(Date.now() / 1000)}.${uniqueIdCounter}`;
}

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: http.OutgoingHttpHeaders = {},
  ) {
    super(message);
    this.name = 'HttpProblem';
  }
}

/**
 * Starts a simulated CommPeak PBX: Click2Call in both URL shapes, the PBX Stats CDR search, and `/_sim/*`
 * control endpoints to switch faults, extensions and the allowlist at run time.
 */
export async function startPbxSimulator(opts: PbxSimulatorOptions = {}): Promise<PbxSimulator> {
  const host = opts.host ?? '127.0.0.1';
  let extensions = new Set(extensionsSchema.parse(opts.extensions ?? DEFAULT_EXTENSIONS));
  let allow = new Set(opts.allow ?? DEFAULT_ALLOW);
  const faults = new FaultSwitch();
  const cdrs = new CdrStore(RECORD_CAPACITY);
  const placedCalls = new PlacedCallLog();
  const playouts = new PlayoutTable();
  if (opts.playout) playouts.set(opts.playout);
  const dispatcher = new WebhookDispatcher();
  if (opts.webhooks) dispatcher.set(opts.webhooks);
  let records: SimRequestRecord[] = [];
  let seq = 0;
  const sockets = new Set<Socket>();
  const pendingAnswers = new Set<NodeJS.Timeout>();

  const expectedAuthorization = opts.basicAuth
    ? `Basic ${Buffer.from(`${opts.basicAuth.username}:${opts.basicAuth.password}`, 'utf8').toString('base64')}`
    : undefined;

  function record(entry: Omit<SimRequestRecord, 'seq'>): void {
    seq += 1;
    records.push({ seq, ...entry });
    // Trim in batches: shifting a 100k array on every request would be quadratic.
    if (records.length > RECORD_CAPACITY + 1000) records = records.slice(-RECORD_CAPACITY);
  }

  /** Whether the PBX knows the extension: the registered list, else the host's own answer (the local stack's table). */
  async function registered(extension: string): Promise<boolean> {
    if (extensions.has(extension) || !opts.isRegistered) return extensions.has(extension);
    try {
      return await opts.isRegistered(extension);
    } catch (error) {
      reportFault(error);
      return false;
    }
  }

  async function extraWebhooks(dial: DialPath, customFields: Record<string, string>): Promise<WebhookConfigInput[]> {
    if (!opts.webhooksFor) return [];
    try {
      return await opts.webhooksFor(dial, customFields);
    } catch (error) {
      reportFault(error);
      return [];
    }
  }

  async function handleDial(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const dial = req.method === 'GET' ? parseDialPath(url.pathname) : undefined;
    const remoteAddress = req.socket.remoteAddress ?? '';
    const received = {
      at: new Date().toISOString(),
      method: req.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      shape: dial?.shape ?? null,
      ...dialFields(dial),
      remoteAddress,
      authorizationPresent: req.headers.authorization !== undefined,
    };

    if (!allow.has(remoteAddress)) {
      record({ ...received, outcome: 'not_allowlisted', placed: false });
      return sendText(res, 404, 'Not Found');
    }
    if (expectedAuthorization !== undefined && req.headers.authorization !== expectedAuthorization) {
      record({ ...received, outcome: 'unauthorized', placed: false });
      return sendText(res, 401, 'Unauthorized', { 'www-authenticate': 'Basic realm="pbx-sim"' });
    }
    if (dial === undefined) {
      record({ ...received, outcome: 'no_route', placed: false });
      return sendText(res, 404, 'Not Found');
    }

    const known = await registered(dial.legA);
    const fault = faults.take();
    const verdict = judgeDial(dial, { has: (extension) => extension === dial.legA && known });
    const uniqueId = nextUniqueId();
    const answersNormally = fault.mode === 'none' || fault.mode === 'latency';
    const placed = verdict.placed && (answersNormally || fault.placed);
    if (placed) {
      const call = {
        uniqueId,
        legA: dial.legA,
        legB: dial.legB,
        ...(dial.prefix !== undefined && { prefix: dial.prefix }),
        customFields: received.query,
        placedAt: new Date(received.at),
      };
      // One plan for both: the CDR and the webhooks tell the same story.
      const plan = planCall(playouts.resolve(call));
      cdrs.add(createCdr(call, plan));
      // Told which tenant's webhooks a call has, the PBX answers first: the events come on their own timers anyway.
      void extraWebhooks(dial, received.query).then((extra) => dispatcher.playOut(call, plan, extra));
      placedCalls.add(call, plan);
    }
    record({
      ...received,
      outcome: answersNormally ? (verdict.placed ? 'accepted' : 'refused') : (fault.mode as RequestOutcome),
      ...(fault.mode !== 'none' && { fault: fault.mode }),
      placed,
      ...(placed && { uniqueId }),
    });

    const echo = { unique_id: uniqueId, leg_a: dial.legA, leg_b: `${dial.prefix ?? ''}${dial.legB}`, pbx: SIM_PBX_HOST };
    const normalAnswer = verdict.placed ? { success: true, message: 'OK', ...echo } : { success: false, message: verdict.message, ...echo };

    switch (fault.mode) {
      case 'none':
        return sendJson(res, 200, normalAnswer);
      case 'latency': {
        const timer = setTimeout(() => {
          pendingAnswers.delete(timer);
          sendJson(res, 200, normalAnswer);
        }, fault.latencyMs);
        pendingAnswers.add(timer);
        return;
      }
      case 'http_500':
        return sendText(res, 500, 'Internal Server Error');
      case 'http_503':
        return sendText(res, 503, 'Service Unavailable');
      case 'hang':
        // Drain the request so the client sees it written, then say nothing until it gives up.
        req.resume();
        return;
      case 'reset':
        req.once('end', () => req.socket.resetAndDestroy());
        req.resume();
        return;
      case 'malformed':
        return sendBody(res, 200, 'application/json', '{"success":true,"message":"OK","unique_id":');
      case 'refuse':
        return sendJson(res, 200, { ...normalAnswer, success: false, message: 'Call refused by simulator fault.' });
      case 'not_found':
        return sendText(res, 404, 'Not Found');
    }
  }

  async function handleCdrSearch(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method !== 'POST') throw new HttpProblem(405, 'Method Not Allowed', { allow: 'POST' });
    if (opts.cdrApiKey !== undefined && req.headers['x-api-key'] !== opts.cdrApiKey) {
      throw new HttpProblem(401, 'Unauthorized');
    }
    const contentType = req.headers['content-type'] ?? '';
    if (!contentType.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
      throw new HttpProblem(415, 'The CDR search takes application/x-www-form-urlencoded');
    }
    const form = new URLSearchParams(await readBody(req));
    let data: Cdr[];
    try {
      data = cdrs.search(parseCdrFilters(form));
    } catch (err) {
      if (err instanceof CdrFilterError) throw new HttpProblem(400, err.message);
      throw err;
    }
    sendJson(res, 200, { data, total: data.length });
  }

  function requestsSince(since = 0): SimRequestRecord[] {
    return records.filter((r) => r.seq > since);
  }
  function setExtensions(list: readonly string[]): void {
    extensions = new Set(extensionsSchema.parse(list));
  }
  function setAllow(addresses: readonly string[]): void {
    allow = new Set(addresses);
  }

  /** A control endpoint: its answer, or a promise of it (those that read the request body). */
  type ControlHandler = (req: http.IncomingMessage, url: URL) => unknown;
  const controlRoutes: Record<string, Partial<Record<string, ControlHandler>>> = {
    '/_sim/health': { GET: () => ({ ok: true }) },
    // The local stack's console shows these: the placed calls, newest first, each with its playout phase now.
    '/_sim/calls': { GET: (_req, url) => ({ calls: placedCalls.recent(parseLimit(url.searchParams.get('limit'))) }) },
    '/_sim/requests': {
      GET: (_req, url) => ({ requests: requestsSince(parseSince(url.searchParams.get('since'))) }),
      DELETE: () => {
        records = [];
        return { ok: true };
      },
    },
    '/_sim/fault': {
      GET: () => faults.state,
      PUT: async (req) => {
        faults.set(faultSettingSchema.parse(await readJson(req)));
        return faults.state;
      },
      DELETE: () => {
        faults.clear();
        return faults.state;
      },
    },
    '/_sim/extensions': {
      GET: () => ({ extensions: [...extensions] }),
      PUT: async (req) => {
        setExtensions(extensionsBodySchema.parse(await readJson(req)).extensions);
        return { extensions: [...extensions] };
      },
    },
    '/_sim/playout': {
      GET: () => playouts.state,
      PUT: async (req) => {
        playouts.set(playoutSettingSchema.parse(await readJson(req)));
        return playouts.state;
      },
      DELETE: () => {
        playouts.reset();
        return playouts.state;
      },
    },
    '/_sim/webhooks': {
      GET: () => ({ webhooks: dispatcher.configs }),
      PUT: async (req) => {
        dispatcher.set(webhooksBodySchema.parse(await readJson(req)).webhooks);
        return { webhooks: dispatcher.configs };
      },
      DELETE: () => {
        dispatcher.set([]);
        return { webhooks: [] };
      },
    },
    '/_sim/webhooks/deliveries': {
      GET: (_req, url) => ({ deliveries: dispatcher.deliveries(parseSince(url.searchParams.get('since'))) }),
      DELETE: () => {
        dispatcher.clearDeliveries();
        return { ok: true };
      },
    },
    '/_sim/allow': {
      GET: () => ({ allow: [...allow] }),
      PUT: async (req) => {
        setAllow(allowBodySchema.parse(await readJson(req)).allow);
        return { allow: [...allow] };
      },
    },
  };

  async function handleControl(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const route = controlRoutes[url.pathname];
    if (route === undefined) throw new HttpProblem(404, `No control endpoint ${url.pathname}`);
    const handler = route[req.method ?? ''];
    if (handler === undefined) throw new HttpProblem(405, 'Method Not Allowed', { allow: Object.keys(route).join(', ') });
    sendJson(res, 200, await handler(req, url));
  }

  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://pbx-sim.invalid');
    if (url.pathname.startsWith('/_sim/')) {
      // Reads only, and only from pages served on this machine (the local stack's console, another port: CORS).
      if (req.method === 'GET' && isLoopbackOrigin(req.headers.origin)) {
        res.setHeader('access-control-allow-origin', req.headers.origin);
        res.setHeader('vary', 'origin');
      }
      return handleControl(req, res, url);
    }
    if (url.pathname === '/api/cdrs') return handleCdrSearch(req, res);
    return handleDial(req, res, url);
  }

  const reportFault = (err: unknown) => {
    try {
      opts.onError?.(err);
    } catch {
      // the reporter's own fault: nothing left to tell
    }
  };
  const server = http.createServer({ maxHeaderSize: SIM_MAX_HEADER_BYTES }, (req, res) => {
    route(req, res).catch((err: unknown) => {
      // A caller's mistake is answered; anything else is the simulator's bug, answered 500 and reported.
      if (!(err instanceof HttpProblem) && !(err instanceof z.ZodError)) reportFault(err);
      try {
        sendProblem(res, err);
      } catch (sendErr) {
        reportFault(sendErr);
        res.destroy();
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  let closing: Promise<void> | undefined;
  function closeServer(): Promise<void> {
    closing ??= new Promise<void>((resolve) => {
      for (const timer of pendingAnswers) clearTimeout(timer);
      pendingAnswers.clear();
      dispatcher.close();
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
    return closing;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}`,
    port,
    requests: requestsSince,
    clearRequests: () => {
      records = [];
    },
    fault: () => faults.state,
    setFault: (setting) => faults.set(setting),
    clearFault: () => faults.clear(),
    extensions: () => [...extensions],
    setExtensions,
    allow: () => [...allow],
    setAllow,
    cdrs: () => cdrs.all(),
    playout: () => playouts.state,
    setPlayout: (setting) => playouts.set(setting),
    webhooks: () => dispatcher.configs,
    setWebhooks: (webhooks) => dispatcher.set(webhooks),
    webhookDeliveries: (since) => dispatcher.deliveries(since),
    close: closeServer,
  };
}

function dialFields(dial: DialPath | undefined): Partial<Pick<SimRequestRecord, 'crmId' | 'clientId' | 'legA' | 'legB' | 'prefix'>> {
  if (dial === undefined) return {};
  const { shape: _shape, ...fields } = dial;
  return fields;
}

function parseLimit(value: string | null): number {
  if (value === null) return 50;
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new HttpProblem(400, 'limit must be an integer from 1 to 1000');
  return limit;
}

function parseSince(value: string | null): number {
  if (value === null) return 0;
  const since = Number(value);
  if (!Number.isInteger(since) || since < 0) throw new HttpProblem(400, 'since must be a non-negative integer');
  return since;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_CONTROL_BODY_BYTES) {
        reject(new HttpProblem(413, 'Body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const body = await readBody(req);
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw new HttpProblem(400, 'Body is not JSON');
  }
}

function sendProblem(res: http.ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err instanceof HttpProblem) return sendJson(res, err.status, { error: err.message }, err.headers);
  if (err instanceof z.ZodError) return sendJson(res, 400, { error: z.prettifyError(err) });
  sendJson(res, 500, { error: err instanceof Error ? err.message : String(err) });
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  sendBody(res, status, 'application/json', JSON.stringify(body), headers);
}

function sendText(res: http.ServerResponse, status: number, text: string, headers: http.OutgoingHttpHeaders = {}): void {
  sendBody(res, status, 'text/plain; charset=utf-8', text, headers);
}

function sendBody(
  res: http.ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers: http.OutgoingHttpHeaders = {},
): void {
  if (res.destroyed) return;
  res.writeHead(status, { ...headers, 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
