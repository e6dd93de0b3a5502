/**
 * The doctor's network steps against real sockets on this machine: a TLS server with a certificate made
 * for the test (openssl), a closed port, a name that cannot resolve; and the signed ping of a callback.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTcp, endpointOf, handshakeTls, resolveHost } from '../../lib/doctor/net';
import { verifyStandardWebhook } from '../../lib/crm/standard-webhooks';
import { newCallbackSecret } from '../../lib/notify/secrets';
import { pingCallback } from '../../lib/notify/ping';
import { freePort } from '../../local/ports';

let dir: string;
let cert: Buffer | undefined;
let server: tls.Server | undefined;
let port = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'c2c-doctor-net-'));
  // openssl comes with Debian's base system (and with every machine this project runs on): no skip without it.
  // A self-signed certificate for "localhost", valid 10 days.
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '10',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost',
    ],
    { stdio: 'ignore' },
  );
  cert = readFileSync(join(dir, 'cert.pem'));
  server = tls.createServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (socket) => socket.end());
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  rmSync(dir, { recursive: true, force: true });
});

describe('network steps', () => {
  it('reads host, port and TLS from a URL', () => {
    expect(endpointOf('https://click2call.pbx.commpeak.com')).toEqual({ host: 'click2call.pbx.commpeak.com', port: 443, tls: true });
    expect(endpointOf('http://[::1]:4010/base')).toEqual({ host: '::1', port: 4010, tls: false });
    expect(endpointOf('ftp://x')).toBeUndefined();
  });

  it('a name under .invalid does not resolve; an IP literal needs no lookup', async () => {
    expect(await resolveHost('pbx.doctor.invalid', 2000)).toMatchObject({ ok: false, code: 'ENOTFOUND' });
    expect(await resolveHost('127.0.0.1', 2000)).toMatchObject({ ok: true, addresses: ['127.0.0.1'] });
  });

  it('a closed port refuses the connection', async () => {
    expect(await connectTcp('127.0.0.1', await freePort(), 2000)).toMatchObject({ ok: false, code: 'ECONNREFUSED' });
  });

  it('verifies the certificate: a self-signed one fails, the same one trusted passes with its expiry', async () => {
    const untrusted = await handshakeTls('localhost', port, { timeoutMs: 2000 });
    expect(untrusted).toMatchObject({ ok: false, code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });

    const trusted = await handshakeTls('localhost', port, { timeoutMs: 2000, ca: cert });
    expect(trusted).toMatchObject({ ok: true, subject: 'localhost' });
    expect(trusted.ok && trusted.daysLeft).toBeGreaterThanOrEqual(8);

    // The certificate names localhost, not 127.0.0.1.
    const wrongName = await handshakeTls('127.0.0.1', port, { timeoutMs: 2000, ca: cert });
    expect(wrongName).toMatchObject({ ok: false, code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });
});

describe('pingCallback', () => {
  it('sends a ping signed with every live secret, as notifications are, and reports the 2xx', async () => {
    const [a, b] = [newCallbackSecret(), newCallbackSecret()];
    let received: { headers: http.IncomingHttpHeaders; body: string } | undefined;
    const receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        received = { headers: req.headers, body };
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    try {
      const result = await pingCallback({ url, secrets: [a, b] }, { tenantId: 'acme', timeoutMs: 2000 });
      expect(result).toMatchObject({ ok: true, status: 202 });
      expect(JSON.parse(received!.body)).toMatchObject({ type: 'ping', data: { tenantId: 'acme' } });
      expect(received!.headers['webhook-id']).toBe(result.webhookId);
      expect(String(received!.headers['webhook-signature']).split(' ')).toHaveLength(2);
      for (const secret of [a, b]) {
        const verified = verifyStandardWebhook(
          { method: 'POST', url: '/hooks', headers: received!.headers as Record<string, string>, rawBody: received!.body },
          [{ secretId: secret.id, value: secret.secret }],
          Date.now(),
        );
        expect(verified.ok).toBe(true);
      }
    } finally {
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  });

  it('does not follow a redirect, and reports a refused connection by its code', async () => {
    const redirecting = http.createServer((_req, res) => res.writeHead(301, { location: 'https://elsewhere.example/' }).end());
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}/`;
      expect(await pingCallback({ url, secrets: [newCallbackSecret()] }, { tenantId: 'acme', timeoutMs: 2000 })).toMatchObject({
        ok: false,
        status: 301,
      });
    } finally {
      await new Promise<void>((resolve) => redirecting.close(() => resolve()));
    }
    const closed = `http://127.0.0.1:${await freePort()}/`;
    expect(await pingCallback({ url: closed, secrets: [newCallbackSecret()] }, { tenantId: 'acme', timeoutMs: 2000 })).toMatchObject({
      ok: false,
      error: 'ECONNREFUSED',
    });
  });
});
