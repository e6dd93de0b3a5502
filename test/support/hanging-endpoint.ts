import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** An endpoint that takes every connection and request and never answers: a receiver stuck on its side. */
export interface HangingEndpoint {
  url: string;
  /** Requests received so far (their headers read, never answered). */
  requests(): number;
  /** Requests whose sender is still waiting (not timed out and closed). */
  open(): number;
  close(): Promise<void>;
}

export async function startHangingEndpoint(): Promise<HangingEndpoint> {
  const sockets = new Set<Socket>();
  let requests = 0;
  let open = 0;
  const server = http.createServer((req) => {
    requests++;
    open++;
    req.socket.once('close', () => open--);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hangs`,
    requests: () => requests,
    open: () => open,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
