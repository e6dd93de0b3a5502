import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/stack';
import { ApiKeyRepository } from '../../lib/store/api-keys';
import { CallRepository } from '../../lib/store/calls';
import { createDocumentClient } from '../../lib/store/client';
import { launchChromium } from '../support/chromium';
import { callAndAgentOf, callRow, member, rowsOf as rowsOfPage, type PageElement } from '../support/console-page';

/**
 * The operator console (/console) in headless Chromium against the local stack: the page connects with the demo key,
 * places a call through its form, and watches its timeline reach `completed` while the simulator plays it out; the team
 * view shows the demo team's members as they go away, come back and take a team call; a call scheduled an hour ahead
 * is cancelled from the list before it dials. Screenshots go to test/artifacts/console-*.png.
 *
 * The browser is the headless Chromium that the npm package @sparticuz/chromium ships (unpacked on first use, no root,
 * no apt, by test/support/chromium.ts so that two runs side by side share it safely); CHROMIUM_PATH points the test at another one. This test is the only check that the page works in a browser
 * under its Content-Security-Policy, so a missing browser fails it rather than skipping it.
 */

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const LIFE = ['accepted', 'dispatching', 'dialing', 'answered', 'completed'];
const run = `${Date.now().toString(36)}`;
const LEAD = `console-${run}`;
const OTHER_LEAD = `console-other-${run}`;
const SCHEDULED_LEAD = `console-scheduled-${run}`;
/** The browser's time zone: half an hour off a whole hour and without summer time, so a wrong offset cannot pass. */
const TIME_ZONE = 'Asia/Kolkata';
const TIME_ZONE_OFFSET = '+05:30';
/** The team call's number: the simulator lets it talk long enough for the team view to show its agent on the call. */
const TEAM_CALL_TO = '+44 7766 889904';
/** A call that talks for a minute: settled in the table meanwhile, before its Call End frees its agent. */
const SETTLED_EARLY_TO = '+44 7766 889906';
const FAST = { outcome: 'answered', ringSec: 1, talkSec: 1.5 } as const;

let stack: LocalStack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let placedCallId: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const started = Date.now();
  // Side by side; whichever started is stopped in afterAll even when the other failed.
  const [stackStart, browserStart] = await Promise.allSettled([
    // Fast playout: rings 1 s, talks 1.5 s, so a call is `completed` about 3 s after it is placed.
    startLocalStack({
      playout: {
        default: FAST,
        rules: [
          { match: { number: TEAM_CALL_TO.replace(/\D/g, '') }, outcome: 'answered', ringSec: 1, talkSec: 12 },
          { match: { number: SETTLED_EARLY_TO.replace(/\D/g, '') }, outcome: 'answered', ringSec: 1, talkSec: 60 },
        ],
      },
    }),
    launchChromium(),
  ]);
  if (stackStart.status === 'fulfilled') stack = stackStart.value;
  if (browserStart.status === 'fulfilled') browser = browserStart.value;
  for (const start of [stackStart, browserStart]) if (start.status === 'rejected') throw start.reason;
  console.log(`local stack ready in ${stack.startupMs} ms; with Chromium ${browser.version()} in ${Date.now() - started} ms`);
  context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, timezoneId: TIME_ZONE });
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
/** The same API the page uses, from the test: to check what the page did, and to set up what it must show. */
const apiFetch = (path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) =>
  fetch(`${stack.apiUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${stack.demo.apiKey}`, 'content-type': 'application/json', ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
interface CallBody {
  callId: string;
  state: string;
  agent: { crmUserId?: string };
  routing?: { chosen: string | null; passedOver: Array<{ crmUserId: string; reason: string }> } | null;
  schedule?: { notBefore: string; reason: string } | null;
}
const getCall = async (callId: string) => (await (await apiFetch(`/v1/calls/${callId}`)).json()) as CallBody;
const availabilityOf = (crmUserId: string) =>
  page.getAttribute(member(crmUserId), 'data-availability', { timeout: 1000 }).catch(() => null);
/** What the simulator was asked to dial for that call: its Click2Call requests carry our call id. */
const dialsFor = (callId: string) => stack.simulator.requests().filter((r) => r.query.c2c_call_id === callId);
const rowsOf = () => rowsOfPage(page);

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
    await page.waitForSelector('#agents-body tr[data-agent="u-19"]');
    const agents = await page.$$eval('#agents-body tr', (rows: PageElement[]) =>
      rows.map((row) => [...row.querySelectorAll('td')].map((td) => td.textContent)),
    );
    expect(agents).toEqual([
      ['u-17', '1000', 'Alice Agent', 'alice@example.com', 'sales'],
      ['u-18', '1001', 'Bob Agent', 'bob@example.com', 'sales'],
      ['u-19', '1002', 'Carol Agent', 'carol@example.com', 'sales'],
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
    // One poll on the whole condition: a refresh still on its way may show a list that is all u-18's but not yet whole.
    await expect
      .poll(async () => {
        const rows = await rowsOf();
        return rows.every((r) => r.agent === 'u-18') && rows.some((r) => r.callId === other);
      }, SLOW)
      .toBe(true);

    await page.selectOption('#filter-agent', '');
    await page.selectOption('#filter-state', 'completed');
    await expect
      .poll(async () => {
        const rows = await rowsOf();
        return rows.every((r) => r.state === 'completed') && rows.some((r) => r.callId === placedCallId);
      }, SLOW)
      .toBe(true);
    await shot('filtered');

    await page.click('#filter-clear');
    await expect.poll(async () => (await rowsOf()).map((r) => r.callId), SLOW).toEqual(expect.arrayContaining([placedCallId, other]));
  });

  it('shows the team view: the members of sales, one set away and back, and a team call going to a free one', async () => {
    await page.waitForSelector('#teams-list .team[data-team="sales"]');
    // The demo's one team; no block of agents in no team, since every demo agent is in it.
    expect(await page.$$eval('#teams-list .team', (blocks: PageElement[]) => blocks.map((b) => b.dataset.team))).toEqual(['sales']);
    expect(await page.getAttribute('#teams-list .team[data-team="sales"]', 'data-members')).toBe('3');
    const members = await page.$$eval('#teams-list .team[data-team="sales"] tr[data-agent]', (rows: PageElement[]) =>
      rows.map((row) => row.dataset.agent),
    );
    expect(members).toEqual(['u-17', 'u-18', 'u-19']);
    // Once the calls of the tests before have ended (their Call End frees their agents), all three are free: the page
    // shows it at its next refresh (what it showed before may be from before the last call).
    const states = async () =>
      ((await (await apiFetch('/v1/agents?team=sales')).json()) as { agents: Array<{ availability: { state: string } }> }).agents.map(
        (a) => a.availability.state,
      );
    await expect.poll(states, { timeout: 20_000 }).toEqual(['available', 'available', 'available']);
    for (const id of members) await expect.poll(() => availabilityOf(id!), SLOW).toBe('available');
    expect(await page.textContent('#teams-list .team[data-team="sales"] h3')).toContain('3 members · 3 free · 0 on a call · 0 away');

    // Away until set back: the toggle writes it, the view shows it at once, the API says so.
    await page.selectOption('#away-for', '');
    await page.click(`${member('u-19')} button[data-toggle]`);
    await expect.poll(() => availabilityOf('u-19'), SLOW).toBe('away');
    expect(await page.textContent(member('u-19'))).toContain('until set back');
    expect(await page.textContent('#teams-result')).toMatch(/^200 u-19 is away/);
    expect(((await (await apiFetch('/v1/agents/u-19')).json()) as { availability: { state: string } }).availability.state).toBe('away');
    expect(await page.textContent('#teams-list .team[data-team="sales"] h3')).toContain('2 free · 0 on a call · 1 away');
    expect(await page.textContent(`${member('u-19')} button[data-toggle]`)).toBe('Set available');

    // A call for the team, from the form: it goes to a free member, never to the away one, who shows on the call.
    await page.selectOption('#place-by', 'team');
    expect(await page.isVisible('#place-agent')).toBe(false);
    expect(await page.isVisible('#place-wait')).toBe(true);
    await page.selectOption('#place-team', 'sales');
    await page.fill('#place-to', TEAM_CALL_TO);
    await page.fill('#place-lead', '');
    const sent = page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/v1/calls');
    await page.click('#place-submit');
    expect(JSON.parse((await sent).postData() ?? '')).toEqual({ team: 'sales', to: TEAM_CALL_TO });
    const teamCallId = (await (await page.waitForSelector('#place-result [data-call-id]')).getAttribute('data-call-id'))!;
    expect(await page.textContent('#place-result')).toMatch(/^201 The PBX accepted it: dialing, for u-1[78] of sales\./);
    const teamCall = await getCall(teamCallId);
    const chosen = teamCall.routing!.chosen!;
    expect(['u-17', 'u-18']).toContain(chosen);
    expect(teamCall.agent.crmUserId).toBe(chosen);
    expect(teamCall.routing!.passedOver).toContainEqual({ crmUserId: 'u-19', reason: 'away' });
    await expect.poll(() => availabilityOf(chosen), SLOW).toBe('on_call');
    expect(await page.textContent(member(chosen))).toContain(teamCallId);
    expect(await page.textContent('#teams-list .team[data-team="sales"] h3')).toContain('1 free · 1 on a call · 1 away');
    // The list says who took it and why the others did not.
    const route = `${callRow(teamCallId)} .call-route`;
    await page.waitForSelector(`${route}[data-chosen="${chosen}"]`);
    expect(await page.getAttribute(callRow(teamCallId), 'data-team')).toBe('sales');
    expect(await page.textContent(`${route} .passed[data-agent="u-19"][data-reason="away"]`)).toBe('u-19 away');
    await shot('teams');

    // Back from away: the same button, now "Set available".
    await page.click(`${member('u-19')} button[data-toggle]`);
    await expect.poll(() => availabilityOf('u-19'), SLOW).toBe('available');
    expect(await page.textContent('#teams-result')).toMatch(/^200 u-19 is free/);
    await page.selectOption('#place-by', 'agent');
    expect(await page.isVisible('#place-team')).toBe(false);
  }, 60_000);

  it('draws the team view and the list from one refresh: an agent is not shown on a call the list shows ended', async () => {
    const res = await apiFetch('/v1/calls', {
      method: 'POST',
      headers: { 'idempotency-key': `console-settled-${run}` },
      body: { agent: { crmUserId: 'u-19' }, to: SETTLED_EARLY_TO },
    });
    expect(res.status).toBe(201);
    const callId = ((await res.json()) as CallBody).callId;
    await expect.poll(() => availabilityOf('u-19'), SLOW).toBe('on_call');
    // The call ends before the agent's presence learns it (here the table is written as the reconciler settles a call
    // from the PBX's CDR: its presence is freed only by the Call End or when its time runs out).
    const table = { doc: createDocumentClient({ region: 'local', endpoint: stack.dynamoEndpoint }), name: stack.tableName };
    try {
      const settled = await new CallRepository(table).transition(stack.demo.tenantId, callId, {
        from: ['dialing', 'answered'],
        to: 'completed',
        outcome: { endedAt: new Date().toISOString(), hangupClass: 'answered' },
      });
      expect(settled?.state).toBe('completed');
    } finally {
      table.doc.destroy();
    }
    const agent = (await (await apiFetch('/v1/agents/u-19')).json()) as { availability: { state: string; busyCallId?: string } };
    expect(agent.availability).toMatchObject({ state: 'on_call', busyCallId: callId });
    // One look at the page: the render that shows the call completed shows its agent free, not on it.
    let seen: [string | null, string | null] = [null, null];
    await expect.poll(async () => (seen = await callAndAgentOf(page, callId, 'u-19'))[0], SLOW).toBe('completed');
    expect(seen).toEqual(['completed', 'available']);
    expect(await page.textContent(member('u-19'))).toMatch(/free since/);
    await shot('settled');
  }, 60_000);

  it('places a call an hour ahead, shows it scheduled, cancels it from the list, and it never dials', async () => {
    // An hour from now on the browser's wall clock, as a datetime-local input takes it (to the minute).
    const local = await page.evaluate<string>(
      "(() => { const d = new Date(Date.now() + 3600e3), p = (n) => String(n).padStart(2, '0'); " +
        "return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) + 'T' + p(d.getHours()) + ':' + p(d.getMinutes()); })()",
    );
    await page.selectOption('#place-agent', 'u-18');
    await page.fill('#place-to', '+44 7766 889903');
    await page.fill('#place-lead', SCHEDULED_LEAD);
    await page.fill('#place-not-before', local);
    const sent = page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/v1/calls');
    await page.click('#place-submit');
    // The wall-clock time goes with the browser's offset: the same instant whatever the API's own time zone.
    expect(JSON.parse((await sent).postData() ?? '')).toEqual({
      agent: { crmUserId: 'u-18' },
      to: '+44 7766 889903',
      lead: { id: SCHEDULED_LEAD },
      notBefore: `${local}:00${TIME_ZONE_OFFSET}`,
    });
    const result = await page.waitForSelector('#place-result [data-call-id]');
    const callId = (await result.getAttribute('data-call-id'))!;
    expect(await result.getAttribute('data-state')).toBe('scheduled');
    // Today's times show as a clock, another day's with the date (an hour ahead may be tomorrow).
    const due = new RegExp(`dials at (${local.slice(0, 10)} )?${local.slice(11)}:00`);
    expect(await page.textContent('#place-result')).toMatch(/^202 Scheduled: /);
    expect(await page.textContent('#place-result')).toMatch(due);
    const scheduled = await getCall(callId);
    expect(scheduled.state).toBe('scheduled');
    expect(scheduled.schedule?.reason).toBe('requested');
    expect(Date.parse(scheduled.schedule!.notBefore)).toBe(Date.parse(`${local}:00${TIME_ZONE_OFFSET}`));

    // In the list: scheduled, when it is due, and a Cancel button.
    const row = callRow(callId);
    await page.waitForSelector(`${row}[data-state="scheduled"] button[data-cancel]`);
    expect(await page.textContent(`${row} .call-wait`)).toMatch(new RegExp(`${due.source} \\(as requested\\)`));
    await shot('scheduled');

    await page.click(`${row} button[data-cancel]`);
    await page.waitForSelector(`${row}[data-state="cancelled"]`, SLOW);
    expect(await page.textContent(`${row} .call-result`)).toBe('200 Cancelled: state cancelled, it will not be dialled.');
    expect(await page.$(`${row} button[data-cancel]`)).toBeNull();
    const chips = await page.$$eval(`${row} ol.timeline > li`, (items: PageElement[]) => items.map((li) => li.dataset.state));
    expect(chips).toEqual(['accepted', 'scheduled', 'cancelled']);
    expect((await getCall(callId)).state).toBe('cancelled');
    expect(dialsFor(callId)).toEqual([]);
    await shot('cancelled');
    await page.fill('#place-not-before', '');
  }, 60_000);

  it('shows the 409 when the scheduler dialled the call before the Cancel reached it', async () => {
    // Due in 15 s (room for a loaded machine): the list shows it scheduled with its Cancel button first.
    const res = await apiFetch('/v1/calls', {
      method: 'POST',
      headers: { 'idempotency-key': `console-race-${run}` },
      body: { agent: { crmUserId: 'u-18' }, to: '+44 7766 889905', notBefore: new Date(Date.now() + 15_000).toISOString() },
    });
    expect(res.status).toBe(202);
    const callId = ((await res.json()) as CallBody).callId;
    const row = callRow(callId);
    await page.waitForSelector(`${row}[data-state="scheduled"] button[data-cancel]`, SLOW);

    // Hold the list's refreshes, so the page still offers Cancel after the scheduler has dialled: the operator's race.
    const held: Route[] = [];
    const hold = (route: Route) => {
      const request = route.request();
      if (request.method() === 'GET' && new URL(request.url()).pathname === '/v1/calls') held.push(route);
      else void route.continue();
    };
    await page.route('**/v1/calls**', hold);
    try {
      // One refresh held: any sent before the hold has been drawn, and none after it will be.
      await expect.poll(() => held.length, SLOW).toBeGreaterThan(0);
      await page.waitForSelector(`${row}[data-state="scheduled"] button[data-cancel]`, { timeout: 1000 });
      await expect.poll(async () => (await getCall(callId)).state, { timeout: 30_000 }).not.toBe('scheduled');
      expect(dialsFor(callId)).toHaveLength(1);

      await page.click(`${row} button[data-cancel]`);
      const problem = await page.waitForSelector(`${row} .call-result .problem[data-code="already_dispatched"]`);
      expect(await problem.textContent()).toMatch(/\(409, already_dispatched\)The call was already sent to the PBX/);
      expect(await problem.textContent()).toContain(`Recorded as ${callId}, state `);
      expect(await page.$(`${row} button[data-cancel]`)).toBeNull();
    } finally {
      await page.unroute('**/v1/calls**', hold);
      for (const route of held) await route.continue().catch(() => undefined);
    }
    // The list catches up; the answer stays under the call.
    await page.waitForSelector(`${row}:not([data-state="scheduled"])`, SLOW);
    expect(await page.$(`${row} .call-result .problem[data-code="already_dispatched"]`)).not.toBeNull();
    expect(dialsFor(callId)).toHaveLength(1);
  }, 90_000);

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

  it('lists the webhook subscriptions with their recent deliveries', async () => {
    const created = await apiFetch('/v1/subscriptions', {
      method: 'POST',
      body: { url: `${stack.pbxSimulatorUrl}/no-such-hook`, events: ['call.completed'], description: 'console check' },
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const tested = (await (await apiFetch(`/v1/subscriptions/${id}/test`, { method: 'POST' })).json()) as {
      delivered: boolean;
      responseCode: number | null;
    };
    const row = `#subscriptions-body tr[data-subscription="${id}"]`;
    const ping = `ping ${tested.delivered ? 'delivered' : 'failed'} ${tested.responseCode ?? ''}`.trim();
    // The panel reads every 15 s: a read made while the ping was on its way shows the subscription without it, the next
    // one with it.
    await page.waitForSelector(`${row} td.deliveries li:has-text("${ping}")`, { timeout: 35_000 });
    expect(await page.textContent(row)).toContain('console check');
    expect(await page.textContent(row)).toContain('call.completed');
    const attempts = await page.$$eval(`${row} td.deliveries li`, (items: PageElement[]) => items.map((li) => li.textContent));
    // The ping, and any call.completed of the other tests' calls the subscription was sent meanwhile (its URL answers 404).
    expect(attempts.filter((text) => text?.includes(ping))).toHaveLength(1);
    for (const text of attempts) expect(text).toMatch(/^\d\d:\d\d:\d\d (ping|call\.completed) /);
    await shot('subscriptions');
  }, 60_000);

  it('shows the 403 when its key may not set agents away', async () => {
    const table = { doc: createDocumentClient({ region: 'local', endpoint: stack.dynamoEndpoint }), name: stack.tableName };
    try {
      const { key } = await new ApiKeyRepository(table).issue(stack.demo.tenantId, 'console read-only agents', [
        'calls:read',
        'calls:write',
        'agents:read',
      ]);
      await page.click('#disconnect');
      await page.fill('#api-key', key);
      await page.click('#connect');
      await page.waitForSelector(`${member('u-17')} button[data-toggle]`);
      await page.click(`${member('u-17')} button[data-toggle]`);
      const problem = await page.waitForSelector('#teams-result .problem');
      expect(await problem.textContent()).toMatch(/\(403, insufficient_scope\)/);
      expect(await availabilityOf('u-17')).not.toBe('away');
      expect(((await (await apiFetch('/v1/agents/u-17')).json()) as { availability: { state: string } }).availability.state).not.toBe(
        'away',
      );
    } finally {
      table.doc.destroy();
    }
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
    // Chromium logs the refused call's 422, the refused cancel's 409, the refused toggle's 403 and the wrong key's 401
    // as failed loads; nothing else may have gone wrong (a script error, a CSP or Trusted Types violation).
    expect(pageErrors.filter((e) => !/Failed to load resource: the server responded with a status of (401|403|409|422)/.test(e))).toEqual(
      [],
    );
  });
});
