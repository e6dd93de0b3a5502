import { createHash } from 'node:crypto';
import { Script } from 'node:vm';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { contentSecurityPolicy, renderConsolePage, simulatorOriginOf } from '../../../lib/console/page';
import { CONSOLE_SCRIPT } from '../../../lib/console/generated/script';
import { CONSOLE_STYLE } from '../../../lib/console/style';

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
const directives = (csp: string): Record<string, string> =>
  Object.fromEntries(
    csp.split(/;\s*/).map((d): [string, string] => {
      const [name = '', ...values] = d.split(' ');
      return [name, values.join(' ')];
    }),
  );

async function getConsole(env: Record<string, string | undefined> = {}): Promise<APIGatewayProxyStructuredResultV2> {
  vi.resetModules();
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  const { handler } = await import('../../../functions/console');
  const event = {
    version: '2.0',
    routeKey: 'GET /console',
    rawPath: '/console',
    rawQueryString: '',
    headers: { accept: 'text/html' },
    requestContext: { requestId: 'r1', http: { method: 'GET', path: '/console' } },
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEventV2;
  return (await handler(event, { awsRequestId: 'test-request' } as Context)) as APIGatewayProxyStructuredResultV2;
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('GET /console', () => {
  it('answers one HTML page with strict security headers and no caching', async () => {
    const res = await getConsole({ PBX_SIMULATOR_URL: '' });
    expect(res.statusCode).toBe(200);
    const headers = res.headers ?? {};
    expect(headers['content-type']).toBe('text/html; charset=utf-8');
    expect(headers['cache-control']).toBe('no-store');
    expect(headers['x-frame-options']).toBe('DENY');
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['referrer-policy']).toBe('no-referrer');
    expect(headers['x-request-id']).toBe('test-request');
    expect(res.body).toMatch(/^<!doctype html>/);
    expect(res.body).toContain('id="calls-list"');
  });

  it('allows only its own script and style, by hash, and requests to its own origin', async () => {
    const res = await getConsole({ PBX_SIMULATOR_URL: '' });
    const csp = directives(String(res.headers?.['content-security-policy']));
    const html = String(res.body);
    const script = /<script>([\s\S]*)<\/script>/.exec(html)?.[1];
    const style = /<style>([\s\S]*)<\/style>/.exec(html)?.[1];
    expect(script).toBe(CONSOLE_SCRIPT);
    expect(style).toBe(CONSOLE_STYLE);
    expect(csp['default-src']).toBe("'none'");
    expect(csp['script-src']).toBe(sha256(script!));
    expect(csp['style-src']).toBe(sha256(style!));
    expect(csp['connect-src']).toBe("'self'");
    expect(csp['frame-ancestors']).toBe("'none'");
    expect(csp['form-action']).toBe("'none'");
    expect(csp['base-uri']).toBe("'none'");
    expect(csp['require-trusted-types-for']).toBe("'script'");
    // Nothing the policy would refuse: no inline handlers, no style attributes, no other script or style.
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
    expect(html).not.toMatch(/\sstyle\s*=/i);
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html.match(/<style/g)).toHaveLength(1);
    expect(html).toContain('data-simulator-url=""');
  });

  it('holds no data and no key: the same bytes for everyone', async () => {
    const a = await getConsole({ PBX_SIMULATOR_URL: '' });
    const b = await getConsole({ PBX_SIMULATOR_URL: '' });
    expect(a.body).toBe(b.body);
    expect(String(a.body)).not.toMatch(/c2c_[A-Za-z0-9]{10,}/);
  });

  it('on the local stack, shows the simulator and may connect to it', async () => {
    const res = await getConsole({ PBX_SIMULATOR_URL: 'http://127.0.0.1:4010' });
    expect(directives(String(res.headers?.['content-security-policy']))['connect-src']).toBe("'self' http://127.0.0.1:4010");
    expect(res.body).toContain('data-simulator-url="http://127.0.0.1:4010"');
  });

  it('ignores a simulator URL that is not on this machine', async () => {
    const res = await getConsole({ PBX_SIMULATOR_URL: 'https://pbx.example.com' });
    expect(directives(String(res.headers?.['content-security-policy']))['connect-src']).toBe("'self'");
    expect(res.body).toContain('data-simulator-url=""');
  });
});

describe('the console page', () => {
  it('ships a script that compiles', () => {
    // Compiled, not run: a syntax error in the inlined text would throw here.
    expect(() => new Script(CONSOLE_SCRIPT)).not.toThrow();
  });

  it('takes the simulator origin only from a loopback http URL', () => {
    expect(simulatorOriginOf(undefined)).toBeUndefined();
    expect(simulatorOriginOf('')).toBeUndefined();
    expect(simulatorOriginOf('http://127.0.0.1:4010')).toBe('http://127.0.0.1:4010');
    expect(simulatorOriginOf('http://localhost:4010/')).toBe('http://localhost:4010');
    expect(simulatorOriginOf('http://[::1]:4010')).toBe('http://[::1]:4010');
    expect(simulatorOriginOf('http://10.0.0.5:4010')).toBeUndefined();
    expect(simulatorOriginOf('https://127.0.0.1.example.com')).toBeUndefined();
    expect(simulatorOriginOf('javascript:alert(1)')).toBeUndefined();
    expect(simulatorOriginOf('not a url')).toBeUndefined();
  });

  it('escapes the simulator origin into its attribute', () => {
    // Only loopback origins get here, but the attribute is escaped regardless.
    expect(renderConsolePage({ simulatorOrigin: 'http://127.0.0.1:1"><x' }).html).toContain(
      'data-simulator-url="http://127.0.0.1:1&quot;&gt;&lt;x"',
    );
    expect(contentSecurityPolicy({})).not.toContain('undefined');
  });
});
