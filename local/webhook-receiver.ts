import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { verifyStandardWebhook } from '../lib/crm/standard-webhooks';
import type { CallNotification } from '../lib/notify/deliver';

/** One POST the receiver got, signed or not. */
export interface ReceivedDelivery {
  at: string;
  webhookId: string | undefined;
  /** Whether a `v1` signature matched one of the receiver's secrets, within the 5-minute window. */
  verified: boolean;
  /** What the receiver answered. */
  status: number;
  body: string;
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
  onNotification?: (notification: CallNotification, webhookId: string) => void;
}): Promise<WebhookReceiver> {
  let secrets = options.secrets;
  let down: number | undefined;
  const deliveries: ReceivedDelivery[] = [];
  const seen = new Set<string>();
  const notifications: CallNotification[] = [];
  const sockets = new Set<Socket>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
      const webhookId = headers['webhook-id'];
      const verification = verifyStandardWebhook(
        { method: req.method ?? 'POST', url: req.url ?? '/', headers, rawBody: body },
        secrets.map((value, i) => ({ secretId: `s${i}`, value })),
        (options.now ?? Date.now)(),
      );
      const status = down ?? (verification.ok ? 204 : 401);
      deliveries.push({ at: new Date().toISOString(), webhookId, verified: verification.ok, status, body });
      if (status === 204 && webhookId && !seen.has(webhookId)) {
        seen.add(webhookId);
        const notification = JSON.parse(body) as CallNotification;
        notifications.push(notification);
        options.onNotification?.(notification, webhookId);
      }
      res.writeHead(status).end();
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
