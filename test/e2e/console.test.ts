import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/stack';

/**
 * The operator console (/console) in headless Chromium against the local stack: the page connects with the demo key,
 * places a call through its form, and watches its timeline reach `completed` while the simulator plays it out.
 * Screenshots go to test/artifacts/console-*.png.
 *
 * The browser is the headless Chromium that the npm package @sparticuz/chromium ships (unpacked on first use, no root,
 * no apt); CHROMIUM_PATH points the test at another one. This test is the only check that the page works in a browser
 * under its Content-Security-Policy, so a missing browser fails it rather than skipping it.
 */

/** CHROMIUM_PATH, or the binary @sparticuz/chromium unpacks into the temp folder. */
async function chromiumPath(): Promise<string> {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  const { default: packaged } = await import('@sparticuz/chromium');
  return packaged.executablePath();
}

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const LIFE = ['accepted', 'dispatching', 'dialing', 'answered', 'completed'];
const run = `${Date.now().toString(36)}`;
const LEAD = `console-${run}`;
const OTHER_LEAD = `console-other-${run}`;

let stack: LocalStack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let placedCallId: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  const executablePath = await chromiumPath();
  if (!existsSync(executablePath)) throw new Error(`No Chromium at ${executablePath}: set CHROMIUM_PATH to a Chromium binary.`);
  mkdirSync(ARTIFACTS, { recursive: true });
  const started = Date.now();
  // Side by side; whichever started is stopped in afterAll even when the other failed.
  const [stackStart, browserStart] = await Promise.allSettled([
    // Fast playout: rings 1 s, talks 1.5 s, so a call is `completed` about 3 s after it is placed.
    startLocalStack({ playout: { default: { outcome: 'answered', ringSec: 1, talkSec: 1.5 } } }),
    // playwright gives each launch a fresh, throw-away profile.
    chromium.launch({
      executablePath,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    }),
  ]);
  if (stackStart.status === 'fulfilled') stack = stackStart.value;
  if (browserStart.status === 'fulfilled') browser = browserStart.value;
  for (const start of [stackStart, browserStart]) if (start.status === 'rejected') throw start.reason;
  console.log(`local stack ready in ${stack.startupMs} ms; with Chromium ${browser.version()} in ${Date.now() - started} ms`);
  context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, timezoneId: 'Europe/London' });
  page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(`console: ${message.text()}`);
  });
}, 120_000);

afterAll(async () => {
  await context?.close().catch(() => undefined);
  await browser?.close().catch(() => undefined);
  await stack?.stop();
});

/** A filter is a request to the API and a redraw: on a loaded machine that takes longer than expect.poll's 1 s default. */
const SLOW = { timeout: 15_000 };
const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `console-${name}.png`), fullPage: true });
const callRow = (callId: string) => `#calls-list > li[data-call-id="${callId}"]`;
/** What the page functions below use of a DOM element (this project's tsconfig has no DOM types: they run in the browser). */
interface PageElement {
  dataset: Record<string, string | undefined>;
  textContent: string | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
}
// The page sets every one of these attributes on each row (lib/console/browser/main.ts), '' when empty.
const rowsOf = (): Promise<Array<{ callId: string; lead: string; agent: string; state: string }>> =>
  page.$$eval('#calls-list > li[data-call-id]', (items: PageElement[]) =>
    items.map((li) => ({
      callId: li.dataset.callId ?? '',
      lead: li.dataset.lead ?? '',
      agent: li.dataset.agent ?? '',
      state: li.dataset.state ?? '',
    })),
  );

describe('the console in headless Chromium', () => {
  it('is served with its security headers, connects with the demo key, and shows the egress IP and the agents', async () => {
    const response = await page.goto(`${stack.apiUrl}/console`);
    expect(response?.status()).toBe(200);
    const headers = response!.headers();
    expect(headers['content-type']).toBe('text/html; charset=utf-8');
    expect(headers['content-security-policy']).toContain(`connect-src 'self' ${stack.pbxSimulatorUrl}`);
    expect(headers['x-frame-options']).toBe('DENY');

    await expect.poll(() => page.textContent('#egress-ip'), SLOW).toBe('127.0.0.1');
    expect(await page.isVisible('#app')).toBe(false);

    await page.fill('#api-key', stack.demo.apiKey);
    await page.click('#connect');
    await page.waitForSelector('#agents-body tr[data-agent="u-18"]');
    const agents = await page.$$eval('#agents-body tr', (rows: PageElement[]) =>
      rows.map((row) => [...row.querySelectorAll('td')].map((td) => td.textContent)),
    );
    expect(agents).toEqual([
      ['u-17', '1000', 'Alice Agent', 'alice@example.com'],
      ['u-18', '1001', 'Bob Agent', 'bob@example.com'],
    ]);
    // The key lives in this tab's sessionStorage, nowhere else.
    expect(await page.evaluate('[sessionStorage.length, localStorage.length, document.cookie]')).toEqual([1, 0, '']);
    expect(await page.isVisible('#simulator')).toBe(true);
  });

  it('places a call through the form and sees its timeline reach `completed`, the simulator ring it, and the chart count it', async () => {
    await page.selectOption('#place-agent', 'u-17');
    await page.fill('#place-to', '+44 7766 889900');
    await page.fill('#place-lead', LEAD);
    const submitted = Date.now();
    await page.click('#place-submit');
    placedCallId = (await (await page.waitForSelector('#place-result [data-call-id]')).getAttribute('data-call-id'))!;
    expect(placedCallId).toMatch(/^c_/);
    expect(await page.textContent('#place-result')).toContain('201');

    // The list shows it at once; the simulator panel (local stack only) shows the call it is playing out.
    await page.waitForSelector(callRow(placedCallId));
    await page.waitForSelector(`#sim-calls li[data-call-id="${placedCallId}"]`);
    await shot('placed');

    await page.waitForSelector(`${callRow(placedCallId)}[data-state="completed"]`, { timeout: 20_000 });
    const completedMs = Date.now() - submitted;
    const chips = await page.$$eval(`${callRow(placedCallId)} ol.timeline > li`, (items: PageElement[]) =>
      items.map((li) => li.dataset.state),
    );
    expect(chips).toEqual(LIFE);
    expect(await page.getAttribute(callRow(placedCallId), 'class')).toContain('mine');
    expect(await page.textContent(callRow(placedCallId))).toContain(LEAD);

    await page.waitForSelector(`#sim-calls li[data-call-id="${placedCallId}"][data-phase="ended"]`);

    // Per-agent daily figures: today's bars for u-17 count the call, answered included.
    const today = await page.evaluate<string>("new Date().toLocaleDateString('en-CA')");
    const bar = (kind: string) => `#charts figure[data-agent="u-17"] rect[data-kind="${kind}"][data-date="${today}"]`;
    await expect
      .poll(async () => Number(await page.getAttribute(bar('answered'), 'data-value', { timeout: 500 }).catch(() => 0)), {
        timeout: 20_000,
      })
      .toBeGreaterThanOrEqual(1);
    expect(Number(await page.getAttribute(bar('calls'), 'data-value'))).toBeGreaterThanOrEqual(1);
    expect(Number(await page.getAttribute(bar('calls'), 'height'))).toBeGreaterThan(0);
    // Talk time (billed seconds) counts once the call has ended.
    await expect
      .poll(() => page.textContent('#charts figure[data-agent="u-17"] figcaption'), { timeout: 20_000 })
      .toMatch(/answered \(\d+%\) · talk [1-9]/);
    await shot('completed');
    console.log(`form submitted -> timeline completed in the page: ${completedMs} ms`);
  }, 60_000);

  it('narrows the list by lead, agent and state', async () => {
    // A second call by another agent, to another number, placed straight through the API.
    const res = await fetch(`${stack.apiUrl}/v1/calls`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${stack.demo.apiKey}`,
        'idempotency-key': `console-other-${run}`,
      },
      body: JSON.stringify({ agent: { crmUserId: 'u-18' }, to: '+44 7766 889901', lead: { id: OTHER_LEAD } }),
    });
    expect(res.status).toBe(201);
    const other = ((await res.json()) as { callId: string }).callId;
    await page.waitForSelector(callRow(other));

    await page.fill('#filter-lead', LEAD);
    await page.click('#filter-apply');
    await expect.poll(rowsOf, SLOW).toEqual([expect.objectContaining({ callId: placedCallId, lead: LEAD })]);

    await page.fill('#filter-lead', '');
    await page.selectOption('#filter-agent', 'u-18');
    await expect.poll(async () => (await rowsOf()).every((r) => r.agent === 'u-18'), SLOW).toBe(true);
    expect((await rowsOf()).map((r) => r.callId)).toContain(other);

    await page.selectOption('#filter-agent', '');
    await page.selectOption('#filter-state', 'completed');
    await expect.poll(async () => (await rowsOf()).every((r) => r.state === 'completed'), SLOW).toBe(true);
    expect((await rowsOf()).map((r) => r.callId)).toContain(placedCallId);
    await shot('filtered');

    await page.click('#filter-clear');
    await expect.poll(async () => (await rowsOf()).map((r) => r.callId), SLOW).toEqual(expect.arrayContaining([placedCallId, other]));
  });

  it("shows a refused call's problem details", async () => {
    await page.selectOption('#place-agent', 'u-17');
    await page.fill('#place-to', '+44 12');
    await page.fill('#place-lead', '');
    await page.click('#place-submit');
    const problem = await page.waitForSelector('#place-result .problem');
    expect(await problem.getAttribute('data-code')).toMatch(/^(invalid_number|invalid_request)$/);
    expect(await problem.textContent()).toMatch(/\((400|422), (invalid_number|invalid_request)\)/);
    await shot('problem');
  });

  it('forgets the key, and refuses a wrong one', async () => {
    await page.click('#disconnect');
    expect(await page.isVisible('#app')).toBe(false);
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    await page.fill('#api-key', 'c2c_not-a-key');
    await page.click('#connect');
    await page.waitForSelector('#status.error');
    expect(await page.textContent('#status')).toMatch(/401|key/i);
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    // Chromium logs the refused call's 422 and the wrong key's 401 as failed loads; nothing else may have gone wrong
    // (a script error, a CSP or Trusted Types violation).
    expect(pageErrors.filter((e) => !/Failed to load resource: the server responded with a status of (401|422)/.test(e))).toEqual([]);
  });
});
