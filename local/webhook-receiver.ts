import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { verifyStandardWebhook } from '../lib/crm/standard-webhooks';
import type { CallNotification } from '../lib/notify/deliver';
import { maskNumber } from '../lib/policy/phone';

/** One POST the receiver got, signed or not. */
export interface ReceivedDelivery {
  at: string;
  webhookId: string | undefined;
  /** Whether a `v1` signature matched one of the receiver's secrets, within the 5-minute window. */
  verified: boolean;
  /** What the receiver answered. */
  status: number;
  body: string;
  /** The body's `type` when it is a JSON object with one (`call.answered`, `ping`...), else undefined. */
  type?: string;
  /** Why it was not taken as a notification: a signature problem, `malformed_body`, `duplicate`, or `down`. */
  refused?: string;
}

/** A running receiver: a CRM endpoint as the Standard Webhooks spec says to write one. */
export interface WebhookReceiver {
  url: string;
  /** Every delivery, duplicates and refusals included, in order of arrival. */
  deliveries(): ReceivedDelivery[];
  /** Verified notifications, each `webhook-id` once (the first copy), in order of arrival. */
  notifications(): CallNotification[];
  /** While down, every delivery is answered with `status` (default 503) and not kept as received. */
  setDown(down: boolean, status?: number): void;
  setSecrets(secrets: string[]): void;
  close(): Promise<void>;
}

/**
 * A test and demo receiver of outcome notifications: verifies the signature with every secret it
 * was given, dedupes on `webhook-id` as receivers should, and can be switched down and up.
 */
export async function startWebhookReceiver(options: {
  secrets: string[];
  port?: number;
  /** The receiver's clock, for the timestamp check (tests that move time forward pass theirs). */
  now?: () => number;
  /** Each verified call notification, once per `webhook-id`. */
  onNotification?: (notification: CallNotification, webhookId: string) => void;
  /** Every delivery, whatever it is (a ping, a duplicate, junk, a forgery), with its body parsed when it is JSON. */
  onDelivery?: (delivery: ReceivedDelivery, parsed: unknown) => void;
  /** Where a fault of the receiver or of its callbacks goes (default console.error); it never ends the process. */
  onError?: (error: unknown) => void;
}): Promise<WebhookReceiver> {
  const onError =
    options.onError ?? ((error: unknown) => console.error('[crm] receiver fault:', error instanceof Error ? error.message : error));
  // A callback's fault is the demo's bug, not the sender's: logged, and the delivery still answered.
  const guarded = <A extends unknown[]>(fn: ((...args: A) => void) | undefined, ...args: A) => {
    try {
      fn?.(...args);
    } catch (error) {
      onError(error);
    }
  };
  let secrets = options.secrets;
  let down: number | undefined;
  const deliveries: ReceivedDelivery[] = [];
  const seen = new Set<string>();
  const notifications: CallNotification[] = [];
  const sockets = new Set<Socket>();

  const receive = (req: http.IncomingMessage, body: string): number => {
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
    const webhookId = headers['webhook-id'];
    const verification = verifyStandardWebhook(
      { method: req.method ?? 'POST', url: req.url ?? '/', headers, rawBody: body },
      secrets.map((value, i) => ({ secretId: `s${i}`, value })),
      (options.now ?? Date.now)(),
    );
    const parsed = parseJson(body);
    const type = isObject(parsed) && typeof parsed.type === 'string' ? parsed.type : undefined;
    // A signed body that is not a JSON object with a type is the sender's bug: 400, never kept as a notification.
    let refused = down !== undefined ? 'down' : !verification.ok ? verification.reason : type === undefined ? 'malformed_body' : undefined;
    const status = down ?? (!verification.ok ? 401 : refused ? 400 : 204);
    if (!refused && (!webhookId || seen.has(webhookId))) refused = 'duplicate';
    if (!refused && webhookId) {
      seen.add(webhookId);
      // Only call notifications are kept: a ping (c2c doctor) or a type added later is answered 2xx and shown, nothing more.
      if (isCallNotification(parsed)) {
        notifications.push(parsed);
        guarded(options.onNotification, parsed, webhookId);
      }
    }
    const delivery: ReceivedDelivery = {
      at: new Date().toISOString(),
      webhookId,
      verified: verification.ok,
      status,
      body,
      ...(type ? { type } : {}),
      ...(refused ? { refused } : {}),
    };
    deliveries.push(delivery);
    guarded(options.onDelivery, delivery, parsed);
    return status;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    // An aborted upload is the sender's loss; unhandled, its 'error' would end the process.
    req.on('error', (error) => guarded(onError, error));
    res.on('error', (error) => guarded(onError, error));
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let status = 500;
      try {
        status = receive(req, Buffer.concat(chunks).toString('utf8'));
      } catch (error) {
        guarded(onError, error);
      }
      if (!res.headersSent) res.writeHead(status).end();
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
    url: `http://127.0.0.1:${port}/c2c-callback`,
    deliveries: () => [...deliveries],
    notifications: () => [...notifications],
    setDown: (isDown, status = 503) => {
      down = isDown ? status : undefined;
    },
    setSecrets: (next) => {
      secrets = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A `call.*` notification as the deliverer sends it: anything else (a ping, junk) is not one. */
function isCallNotification(value: unknown): value is CallNotification {
  return (
    isObject(value) &&
    typeof value.type === 'string' &&
    value.type.startsWith('call.') &&
    isObject(value.data) &&
    isObject(value.data.call) &&
    typeof value.data.call.callId === 'string'
  );
}

/**
 * The stand-in CRM's line for one delivery (`npm start` prints it): `[crm] <type> ...`. Whatever arrived is
 * described, never trusted: the type is cut to a safe alphabet, and no body field but ids and talk time is shown.
 */
export function describeDelivery(delivery: ReceivedDelivery, parsed: unknown): string {
  const type = delivery.type === undefined ? (delivery.verified ? 'malformed' : 'unknown') : safe(delivery.type);
  const id = `webhook-id ${delivery.webhookId === undefined ? '(none)' : safe(delivery.webhookId)}`;
  const data = isObject(parsed) && isObject(parsed.data) ? parsed.data : {};
  let what = id;
  if (isCallNotification(parsed)) {
    const billSec = parsed.type === 'call.completed' ? parsed.data.call.outcome?.billSec : undefined;
    what = `${safe(parsed.data.call.callId)}  ${id}${parsed.type === 'call.completed' ? `  (${typeof billSec === 'number' ? billSec : 0} s talk)` : ''}`;
  } else if (delivery.type === 'ping') {
    what = `tenant ${typeof data.tenantId === 'string' ? safe(data.tenantId) : '?'}  ${id}  (answered ${delivery.status}: a ping places nothing)`;
  }
  if (delivery.refused === 'duplicate') what += '  (a copy already received: ignored)';
  else if (delivery.refused) what += `  refused: HTTP ${delivery.status} ${delivery.refused}`;
  return `[crm] ${type.padEnd(16)} ${what}`;
}

function safe(text: string): string {
  // A run of digits standing alone could be a phone number a stranger put there: masked like every number the
  // service logs (digits inside an id, next to letters, are left alone).
  const cleaned = text.replace(/[^\w.:+-]/g, '?').replace(/(?<![0-9A-Za-z])\+?\d{8,}(?![0-9A-Za-z])/g, (digits) => maskNumber(digits));
  return cleaned.length > 48 ? `${cleaned.slice(0, 48)}...` : cleaned;
}
