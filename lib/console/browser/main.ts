/**
 * The console's browser code. `npm run build:console` (scripts/build-console.ts) bundles it into one script,
 * lib/console/generated/script.ts, that lib/console/page.ts inlines in the page and allows by its hash in the
 * Content-Security-Policy. It runs under Trusted Types, so it never assigns HTML: every value from the API goes
 * into the page as text (`textContent`, text nodes, attributes).
 */
import { CALL_STATES } from '../../model/call-states';

// ---------------------------------------------------------------- what the page reads from the API (docs/API.md)

interface FieldError {
  path: string;
  message: string;
}

/** A problem+json body: only the fields shown. */
interface Problem {
  title?: string;
  detail?: string;
  code?: string;
  errors?: FieldError[];
  call?: { callId?: string; state?: string; reason?: string };
  requestId?: string;
}

interface Agent {
  crmUserId: string;
  extension: string;
  name?: string;
  email?: string;
}

interface CallEvent {
  at: string;
  state: string;
  detail?: string;
}

interface Call {
  callId: string;
  state: string;
  createdAt: string;
  duplicate?: boolean;
  agent?: { crmUserId?: string; extension?: string };
  to?: string;
  legB?: string;
  lead?: { id?: string };
  reason?: string;
  source?: string;
  outcome?: { billSec?: number | null; hangupCause?: string };
  events?: CallEvent[];
}

interface DayFigures {
  calls: number;
  answered: number;
  answerRate: number;
  talkTimeSec: number;
  notPlaced: number;
}

interface AgentDay extends DayFigures {
  crmUserId: string;
  date: string;
}

interface AgentTotals extends DayFigures {
  crmUserId: string;
}

interface StatsReport {
  from: string;
  to: string;
  tz: string;
  days?: AgentDay[];
  agents?: AgentTotals[];
}

interface Health {
  egressIp?: string;
  stage?: string;
}

/** A call as the PBX simulator lists it (local/pbx-sim). */
interface SimCall {
  callId?: string;
  uniqueId: string;
  phase: string;
  outcome: string;
  extension: string;
  destination: string;
  placedAt: string;
  answerAt: string;
  endAt: string;
  billSec: number;
  hangupCause: string;
}

/** An API answer: its body parsed as JSON, or null when it is not JSON. */
interface Answer<T> {
  status: number;
  ok: boolean;
  body: T | null;
  headers: Headers;
}

interface ApiInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

type Attrs = Record<string, string | number | boolean | null | undefined> | null;
type Child = Node | string | number | null | undefined | false | Child[];

// ---------------------------------------------------------------- state

const KEY_STORAGE = 'c2c.console.apiKey';
const STATES = CALL_STATES;
const CALLS_EVERY_MS = 2000;
const SIM_EVERY_MS = 1000;
const STATS_EVERY_MS = 15000;
const STATS_AFTER_CHANGE_MS = 1000;
const AGENTS_EVERY_MS = 30000;
const HEALTH_EVERY_MS = 60000;
const CALLS_LIMIT = 25;
const STATS_DAYS = 7;
const SVG_NS = 'http://www.w3.org/2000/svg';

// The API lives beside the console: /console -> /v1/... (keeps working under a custom domain's base path).
const base = location.pathname.replace(/\/console\/?$/, '');
const simulatorUrl = document.body.getAttribute('data-simulator-url') || '';

let session: { key: string; generation: number } | null = null; // while connected
let generation = 0;
let agents: Agent[] = [];
let filters = { leadId: '', agent: '', state: '' };
let placedCallIds: string[] = [];
let callsSignature = '';
let callsRequests = 0;
let statsDueAt = 0;
let pendingAttempt: { signature: string; key: string } | null = null; // the last call request without a definite answer: a retry reuses its key

/** The page's element of that id (the page is static: each one exists). */
function $<T extends HTMLElement = HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}
const input = (id: string) => $<HTMLInputElement>(id);
const select = (id: string) => $<HTMLSelectElement>(id);

/** An element with attributes (class, data-*, ...; never style or on*) and children (nodes or text). */
function el(tag: string, attrs: Attrs, ...children: Child[]): HTMLElement {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  for (const child of children) append(node, child);
  return node;
}
function svgEl(tag: string, attrs: Attrs, ...children: Child[]): SVGElement {
  const node = document.createElementNS(SVG_NS, tag);
  setAttrs(node, attrs);
  for (const child of children) append(node, child);
  return node;
}
function setAttrs(node: Element, attrs: Attrs) {
  if (!attrs) return;
  Object.keys(attrs).forEach((name) => {
    const value = attrs[name];
    if (value === undefined || value === null || value === false) return;
    node.setAttribute(name, String(value));
  });
}
function append(node: Element, child: Child) {
  if (child === undefined || child === null || child === false) return;
  if (Array.isArray(child)) {
    child.forEach((c) => append(node, c));
    return;
  }
  node.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
}

function pad(n: number | string, width?: number) {
  return String(n).padStart(width || 2, '0');
}
function clock(iso: string) {
  const d = new Date(iso);
  return isNaN(d.getTime()) ? '' : pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
}
function dateTime(iso: string) {
  const d = new Date(iso);
  return isNaN(d.getTime()) ? '' : localDate(d) + ' ' + clock(iso);
}
function localDate(d: Date) {
  return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate());
}
function seconds(ms: number) {
  return (ms / 1000).toFixed(ms < 10000 ? 2 : 1).replace(/\.?0+$/, '') + ' s';
}
function duration(sec: number | null | undefined) {
  const total = Math.round(sec || 0);
  if (total < 60) return total + ' s';
  const h = Math.floor(total / 3600),
    m = Math.floor((total % 3600) / 60),
    s = total % 60;
  return (h ? h + 'h ' : '') + m + 'm ' + pad(s) + 's';
}
function percent(rate: number) {
  return Math.round((rate || 0) * 100) + '%';
}
function count(n: number, one: string, many: string) {
  return n + ' ' + (n === 1 ? one : many);
}
function errorText(error: unknown) {
  return error instanceof Error ? error.message : String(error);
}

function setStatus(text: string, isError?: boolean) {
  const status = $('status');
  status.textContent = text;
  status.className = isError ? 'error' : '';
}

// ---------------------------------------------------------------- API

function api<T>(path: string, init: ApiInit = {}): Promise<Answer<T>> {
  const headers: Record<string, string> = Object.assign({ accept: 'application/json' }, init.headers || {});
  if (session) headers.authorization = 'Bearer ' + session.key;
  const mine = generation;
  return fetch(base + path, Object.assign({}, init, { headers: headers, cache: 'no-store' as const, credentials: 'omit' as const })).then(
    (res) =>
      res.text().then((text) => {
        let body: T | null = null;
        try {
          body = text ? (JSON.parse(text) as T) : null;
        } catch {
          body = null;
        }
        const answer: Answer<T> = { status: res.status, ok: res.ok, body: body, headers: res.headers };
        if (res.status === 401 && session && mine === generation) disconnect(problemText(answer), true);
        return answer;
      }),
  );
}

function query(params: Record<string, string | number | undefined>) {
  const parts: string[] = [];
  Object.keys(params).forEach((name) => {
    const value = params[name];
    if (value !== '' && value !== undefined && value !== null) parts.push(encodeURIComponent(name) + '=' + encodeURIComponent(value));
  });
  return parts.length ? '?' + parts.join('&') : '';
}

/** The body of an accepted request; a success without a JSON body is a fault of the service: the refresh loop logs it. */
function bodyOf<T>(answer: Answer<T>): T {
  if (answer.body === null) throw new Error('HTTP ' + answer.status + ' without a JSON body');
  return answer.body;
}

/** The body of a refused request, read as a problem (any non-object reads as an empty one). */
function problemOf(answer: Answer<unknown>): Problem {
  return answer.body && typeof answer.body === 'object' ? answer.body : {};
}

function problemText(answer: Answer<unknown>) {
  const p = problemOf(answer);
  return (p.title || 'HTTP ' + answer.status) + (p.detail ? ': ' + p.detail : '');
}

/** A problem+json answer, readable: title and status, detail, each field error, the rejected call, Retry-After. */
function problemNode(answer: Answer<unknown>) {
  const p = problemOf(answer);
  const retryAfter = answer.headers.get('retry-after');
  return el(
    'div',
    { class: 'problem', 'data-code': p.code || '', role: 'alert' },
    el('strong', null, (p.title || 'Request failed') + ' (' + answer.status + (p.code ? ', ' + p.code : '') + ')'),
    p.detail ? el('p', null, p.detail) : null,
    Array.isArray(p.errors) && p.errors.length
      ? el(
          'ul',
          null,
          p.errors.map((e) => el('li', null, el('code', null, e.path), ': ' + e.message)),
        )
      : null,
    p.call && p.call.callId
      ? el(
          'p',
          null,
          'Recorded as ',
          el('code', null, p.call.callId),
          ', state ' + p.call.state + (p.call.reason ? ' (' + p.call.reason + ')' : '') + '.',
        )
      : null,
    retryAfter ? el('p', null, 'Retry after ' + retryAfter + ' s.') : null,
    p.requestId ? el('p', { class: 'muted' }, 'Request id ' + p.requestId) : null,
  );
}

function networkProblem(error: unknown) {
  return el('div', { class: 'problem', role: 'alert' }, el('strong', null, 'No answer from the API'), el('p', null, errorText(error)));
}

// ---------------------------------------------------------------- loops

/** Runs fn now and again ms after each run ends, while this connection lasts; skips runs while the tab is hidden. */
function every(ms: number, fn: () => Promise<unknown>) {
  const mine = generation;
  function tick() {
    if (mine !== generation) return;
    const run = document.hidden ? Promise.resolve() : Promise.resolve().then(fn);
    void run
      .catch((error: unknown) => {
        console.warn('console refresh failed', error);
      })
      .then(() => {
        if (mine === generation) setTimeout(tick, ms);
      });
  }
  tick();
}

// ---------------------------------------------------------------- health (no key needed)

function loadHealth() {
  return fetch(base + '/v1/health', { cache: 'no-store', credentials: 'omit' })
    .then((res) => res.json() as Promise<Health>)
    .then((health) => {
      $('egress-ip').textContent = health.egressIp || 'not known';
      $('stage').textContent = health.stage || '';
    })
    .catch(() => {
      $('egress-ip').textContent = 'unreachable';
    });
}

// ---------------------------------------------------------------- agents

function loadAgents() {
  return api<{ agents?: Agent[] }>('/v1/agents' + query({ limit: 500 })).then((answer) => {
    const target = $('agents-body');
    if (!answer.ok) {
      target.replaceChildren(el('tr', null, el('td', { colspan: 4 }, problemNode(answer))));
      return;
    }
    agents = bodyOf(answer).agents || [];
    target.replaceChildren(
      ...(agents.length
        ? agents.map((a) =>
            el(
              'tr',
              { 'data-agent': a.crmUserId },
              el('td', null, el('code', null, a.crmUserId)),
              el('td', null, a.extension),
              el('td', null, a.name || ''),
              el('td', null, a.email || ''),
            ),
          )
        : [el('tr', null, el('td', { colspan: 4, class: 'muted' }, 'No agents yet: PUT /v1/agents/{crmUserId} or c2c agent import.'))]),
    );
    fillAgentSelect(select('place-agent'), false);
    fillAgentSelect(select('filter-agent'), true);
  });
}

function fillAgentSelect(target: HTMLSelectElement, withAny: boolean) {
  const current = target.value;
  const options = withAny ? [el('option', { value: '' }, 'any agent')] : [];
  agents.forEach((a) => {
    options.push(el('option', { value: a.crmUserId }, a.crmUserId + ' (ext ' + a.extension + (a.name ? ', ' + a.name : '') + ')'));
  });
  target.replaceChildren(...options);
  if (current && agents.some((a) => a.crmUserId === current)) target.value = current;
}

// ---------------------------------------------------------------- calls

function loadCalls() {
  const mine = generation;
  const request = ++callsRequests;
  const asked = filters;
  return api<{ calls?: Call[] }>(
    '/v1/calls' + query({ limit: CALLS_LIMIT, leadId: asked.leadId, agent: asked.agent, state: asked.state }),
  ).then((answer) => {
    // A slower answer to an earlier request (other filters, perhaps) must not overwrite a newer one.
    if (mine !== generation || request !== callsRequests) return;
    const list = $('calls-list');
    if (!answer.ok) {
      callsSignature = '';
      list.replaceChildren(el('li', null, problemNode(answer)));
      return;
    }
    const calls = bodyOf(answer).calls || [];
    const signature = JSON.stringify([asked, placedCallIds, calls]);
    $('calls-updated').textContent = 'updated ' + clock(new Date().toISOString());
    if (signature === callsSignature) return;
    if (callsSignature) statsDueAt = Math.min(statsDueAt, Date.now() + STATS_AFTER_CHANGE_MS);
    callsSignature = signature;
    list.replaceChildren(
      ...(calls.length
        ? calls.map(callItem)
        : [el('li', { class: 'muted' }, anyFilter() ? 'No call matches these filters.' : 'No calls yet: place one.')]),
    );
    $('calls-count').textContent =
      (calls.length === CALLS_LIMIT ? 'the newest ' + calls.length : count(calls.length, 'call', 'calls')) +
      ', newest first' +
      (anyFilter() ? ', filtered' : '');
  });
}

function anyFilter() {
  return Boolean(filters.leadId || filters.agent || filters.state);
}

function callItem(call: Call) {
  const agent = call.agent || {};
  const outcome = call.outcome || {};
  const events = call.events || [];
  const first = events[0] ? new Date(events[0].at).getTime() : 0;
  const mine = placedCallIds.indexOf(call.callId) >= 0;
  return el(
    'li',
    {
      class: mine ? 'mine' : null,
      'data-call-id': call.callId,
      'data-state': call.state,
      'data-agent': agent.crmUserId || '',
      'data-lead': (call.lead && call.lead.id) || '',
    },
    el(
      'div',
      { class: 'call-head' },
      el('span', { class: 'badge state-' + call.state }, call.state),
      el('code', { class: 'call-id' }, call.callId),
      mine ? el('span', { class: 'muted' }, 'placed from this console') : null,
      el('span', { class: 'when', title: call.createdAt }, dateTime(call.createdAt)),
    ),
    el(
      'div',
      { class: 'call-meta' },
      el(
        'span',
        null,
        (agent.crmUserId || '?') + (agent.extension ? ' (ext ' + agent.extension + ')' : '') + ' \u2192 ',
        el('span', { class: 'mono' }, call.to || call.legB || ''),
      ),
      call.lead && call.lead.id ? el('span', null, 'lead ', el('code', null, call.lead.id)) : null,
      call.reason ? el('span', null, 'reason ', el('code', null, call.reason)) : null,
      outcome.billSec !== null && outcome.billSec !== undefined ? el('span', null, 'talk ' + duration(outcome.billSec)) : null,
      outcome.hangupCause ? el('span', { class: 'muted' }, outcome.hangupCause) : null,
      call.source && call.source !== 'api' ? el('span', { class: 'muted' }, 'via ' + call.source) : null,
    ),
    el(
      'ol',
      { class: 'timeline', 'aria-label': 'timeline' },
      events.map((event, i) => {
        const at = new Date(event.at).getTime();
        return el(
          'li',
          { class: 'state-' + event.state, 'data-state': event.state, title: event.at + (event.detail ? ' \u2014 ' + event.detail : '') },
          el(
            'span',
            { class: 'chip' },
            el('span', { class: 'chip-state' }, event.state),
            el('time', { datetime: event.at }, i === 0 ? clock(event.at) : '+' + seconds(at - first)),
          ),
        );
      }),
    ),
  );
}

function applyFilters(event?: Event) {
  if (event) event.preventDefault();
  filters = { leadId: input('filter-lead').value.trim(), agent: select('filter-agent').value, state: select('filter-state').value };
  return loadCalls();
}

function clearFilters() {
  input('filter-lead').value = '';
  select('filter-agent').value = '';
  select('filter-state').value = '';
  return applyFilters();
}

// ---------------------------------------------------------------- place a call

function newIdempotencyKey() {
  // randomUUID exists only in secure contexts (https, loopback): elsewhere, 16 random bytes in hex.
  if (typeof crypto.randomUUID === 'function') return 'console-' + crypto.randomUUID();
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return 'console-' + Array.from(bytes, (b) => pad(b.toString(16))).join('');
}

function placeCall(event: Event) {
  event.preventDefault();
  const body: { agent: { crmUserId: string }; to: string; lead?: { id: string } } = {
    agent: { crmUserId: select('place-agent').value },
    to: input('place-to').value.trim(),
  };
  const lead = input('place-lead').value.trim();
  if (lead) body.lead = { id: lead };
  const signature = JSON.stringify(body);
  // Same request again after no definite answer (network error, 5xx): same key, so the service never dials twice.
  const key = pendingAttempt && pendingAttempt.signature === signature ? pendingAttempt.key : newIdempotencyKey();
  pendingAttempt = { signature: signature, key: key };
  const button = $<HTMLButtonElement>('place-submit');
  const result = $('place-result');
  button.disabled = true;
  result.replaceChildren(el('span', { class: 'muted' }, 'Placing the call\u2026'));
  return api<Call>('/v1/calls', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body: signature,
  })
    .then(
      (answer) => {
        if (answer.status < 500) pendingAttempt = null;
        const call = answer.body;
        if (answer.ok && call && call.callId) {
          if (placedCallIds.indexOf(call.callId) < 0) placedCallIds.unshift(call.callId);
          const says =
            answer.status === 202
              ? 'Sent, but the PBX\u2019s answer was lost: state ' + call.state + '. It is reconciled, never re-sent.'
              : call.duplicate
                ? 'Already placed (same Idempotency-Key): state ' + call.state + '.'
                : 'The PBX accepted it: ' + call.state + '.';
          result.replaceChildren(
            el(
              'div',
              { 'data-call-id': call.callId },
              el('span', { class: 'ok' }, answer.status + ' '),
              says,
              el('br', null),
              el('code', null, call.callId),
            ),
          );
          void loadCalls();
        } else {
          result.replaceChildren(problemNode(answer));
        }
      },
      (error: unknown) => {
        result.replaceChildren(
          networkProblem(error),
          el('p', { class: 'muted' }, 'Press Call again: the same Idempotency-Key is sent, so it cannot dial twice.'),
        );
      },
    )
    .then(() => {
      button.disabled = false;
    });
}

// ---------------------------------------------------------------- per-agent daily figures

function statsRange() {
  const days: string[] = [];
  const today = new Date();
  for (let i = STATS_DAYS - 1; i >= 0; i--) days.push(localDate(new Date(today.getFullYear(), today.getMonth(), today.getDate() - i)));
  return days;
}

function timeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

function maybeLoadStats() {
  if (Date.now() < statsDueAt) return Promise.resolve();
  statsDueAt = Date.now() + STATS_EVERY_MS;
  const days = statsRange();
  const mine = generation;
  return api<StatsReport>('/v1/stats/agents' + query({ from: days[0], to: days[days.length - 1], tz: timeZone() })).then((answer) => {
    if (mine !== generation) return;
    const target = $('charts');
    if (!answer.ok) {
      target.replaceChildren(problemNode(answer));
      return;
    }
    const report = bodyOf(answer);
    $('stats-range').textContent = report.from + ' to ' + report.to + ' (' + report.tz + ')';
    const byAgent: Record<string, Record<string, AgentDay>> = {};
    (report.days || []).forEach((d) => {
      (byAgent[d.crmUserId] = byAgent[d.crmUserId] || {})[d.date] = d;
    });
    const totals = (report.agents || []).slice().sort((a, b) => a.crmUserId.localeCompare(b.crmUserId));
    target.replaceChildren(
      ...(totals.length
        ? totals.map((total) => agentChart(total, byAgent[total.crmUserId] || {}, days))
        : [el('p', { class: 'muted' }, 'No calls in the last ' + STATS_DAYS + ' days.')]),
    );
  });
}

/** Calls and answered per day as paired bars, the day's answer rate above them, totals below. */
function agentChart(total: AgentTotals, byDate: Record<string, DayFigures>, days: string[]) {
  const W = 360,
    H = 176,
    left = 26,
    right = 6,
    top = 22,
    bottom = 36;
  const plotH = H - top - bottom;
  const groupW = (W - left - right) / days.length;
  const barW = Math.min(16, groupW * 0.3);
  let max = 1;
  days.forEach((date) => {
    const d = byDate[date];
    if (d) max = Math.max(max, d.calls);
  });
  const y = (v: number) => top + plotH - (v / max) * plotH;
  const today = days[days.length - 1];
  const nodes: SVGElement[] = [
    svgEl('line', { class: 'grid', x1: left, x2: W - right, y1: y(max), y2: y(max) }),
    svgEl('text', { x: left - 4, y: y(max) + 3, 'text-anchor': 'end' }, String(max)),
    svgEl('line', { class: 'axis', x1: left, x2: W - right, y1: y(0), y2: y(0) }),
    svgEl('text', { x: left - 4, y: y(0) + 3, 'text-anchor': 'end' }, '0'),
  ];
  const agent = agents.filter((a) => a.crmUserId === total.crmUserId)[0];
  days.forEach((date, i) => {
    const d = byDate[date] || { calls: 0, answered: 0, answerRate: 0, talkTimeSec: 0, notPlaced: 0 };
    const x0 = left + i * groupW + groupW / 2;
    const label = new Date(date + 'T12:00:00').toLocaleDateString(undefined, { weekday: 'short' }) + ' ' + Number(date.slice(8));
    const tip =
      date +
      ' \u00b7 ' +
      total.crmUserId +
      ': ' +
      count(d.calls, 'call', 'calls') +
      ', ' +
      d.answered +
      ' answered (' +
      percent(d.answerRate) +
      '), talk ' +
      duration(d.talkTimeSec) +
      (d.notPlaced ? ', ' + d.notPlaced + ' not placed' : '');
    const bars: Array<[kind: string, value: number, x: number]> = [
      ['calls', d.calls, x0 - barW - 1],
      ['answered', d.answered, x0 + 1],
    ];
    bars.forEach(([kind, value, x]) => {
      const h = y(0) - y(value);
      nodes.push(
        svgEl(
          'rect',
          {
            class: 'bar bar-' + kind,
            'data-agent': total.crmUserId,
            'data-date': date,
            'data-kind': kind,
            'data-value': value,
            x: x.toFixed(1),
            y: y(value).toFixed(1),
            width: barW.toFixed(1),
            height: h.toFixed(1),
            rx: 2,
          },
          svgEl('title', null, tip),
        ),
      );
      if (value > 0)
        nodes.push(
          svgEl(
            'text',
            { class: 'value', x: (x + barW / 2).toFixed(1), y: (y(value) - 3).toFixed(1), 'text-anchor': 'middle' },
            String(value),
          ),
        );
    });
    if (d.calls > 0) nodes.push(svgEl('text', { class: 'rate', x: x0.toFixed(1), y: 12, 'text-anchor': 'middle' }, percent(d.answerRate)));
    nodes.push(
      svgEl(
        'text',
        { class: date === today ? 'today' : null, x: x0.toFixed(1), y: H - 19, 'text-anchor': 'middle' },
        date === today ? 'today' : label,
      ),
    );
    if (d.talkTimeSec > 0)
      nodes.push(svgEl('text', { class: 'talk', x: x0.toFixed(1), y: H - 4, 'text-anchor': 'middle' }, duration(d.talkTimeSec)));
  });
  return el(
    'figure',
    { class: 'agent-chart', 'data-agent': total.crmUserId },
    el(
      'h3',
      null,
      total.crmUserId + (agent && agent.name ? ' \u00b7 ' + agent.name : '') + (agent ? ' (ext ' + agent.extension + ')' : ''),
    ),
    svgEl(
      'svg',
      { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'Calls and answered calls per day for ' + total.crmUserId },
      nodes,
    ),
    el(
      'figcaption',
      null,
      count(total.calls, 'call', 'calls') +
        ' \u00b7 ' +
        total.answered +
        ' answered (' +
        percent(total.answerRate) +
        ') \u00b7 talk ' +
        duration(total.talkTimeSec) +
        (total.notPlaced ? ' \u00b7 ' + total.notPlaced + ' not placed' : ''),
    ),
  );
}

// ---------------------------------------------------------------- the PBX simulator (local stack only)

function loadSimulator() {
  return fetch(simulatorUrl + '/_sim/calls?limit=12', { cache: 'no-store', credentials: 'omit' })
    .then((res) => res.json() as Promise<{ calls?: SimCall[] }>)
    .then((answer) => {
      const list = $('sim-calls');
      const calls = answer.calls || [];
      $('sim-note').textContent = simulatorUrl + ' \u00b7 ' + clock(new Date().toISOString());
      list.replaceChildren(
        ...(calls.length ? calls.map(simItem) : [el('li', { class: 'muted' }, 'The simulator has placed no call yet.')]),
      );
    })
    .catch((error: unknown) => {
      $('sim-calls').replaceChildren(el('li', { class: 'muted' }, 'The simulator does not answer (' + errorText(error) + ').'));
    });
}

function simItem(call: SimCall) {
  const phaseText = call.phase === 'answered' ? 'talking' : call.phase;
  const placedAt = new Date(call.placedAt).getTime();
  const plan =
    call.outcome === 'answered'
      ? 'answered after ' + seconds(new Date(call.answerAt).getTime() - placedAt) + ', ' + call.billSec + ' s billed'
      : call.outcome.replace('_', ' ') + ' after ' + seconds(new Date(call.endAt).getTime() - placedAt);
  return el(
    'li',
    { 'data-call-id': call.callId || '', 'data-phase': call.phase, 'data-unique-id': call.uniqueId },
    el('span', null, el('span', { class: 'phase phase-' + call.phase }, phaseText)),
    el('span', null, 'ext ' + call.extension + ' \u2192 ', el('span', { class: 'mono' }, call.destination)),
    el('span', { class: 'sub' }, 'placed ' + clock(call.placedAt) + ' \u00b7 ' + plan + ' \u00b7 ' + call.hangupCause),
    el('span', { class: 'sub' }, call.callId ? el('code', null, call.callId) : 'no c2c_call_id'),
  );
}

// ---------------------------------------------------------------- connect

function connect(key: string) {
  generation++;
  session = { key: key, generation: generation };
  try {
    sessionStorage.setItem(KEY_STORAGE, key);
  } catch {
    /* storage off: the key lives in memory only */
  }
  input('api-key').value = '';
  $('key-form').hidden = true;
  $('disconnect').hidden = false;
  $('intro').hidden = true;
  $('app').hidden = false;
  setStatus('Connected \u00b7 calls refresh every ' + CALLS_EVERY_MS / 1000 + ' s');
  statsDueAt = 0;
  callsSignature = '';
  every(AGENTS_EVERY_MS, loadAgents);
  every(CALLS_EVERY_MS, loadCalls);
  every(STATS_AFTER_CHANGE_MS, maybeLoadStats);
  if (simulatorUrl) {
    $('simulator').hidden = false;
    every(SIM_EVERY_MS, loadSimulator);
  }
}

function disconnect(message?: string, isError?: boolean) {
  generation++;
  session = null;
  try {
    sessionStorage.removeItem(KEY_STORAGE);
  } catch {
    /* nothing stored */
  }
  ['calls-list', 'charts', 'agents-body', 'sim-calls', 'place-result'].forEach((id) => $(id).replaceChildren());
  agents = [];
  placedCallIds = [];
  $('app').hidden = true;
  $('intro').hidden = false;
  $('key-form').hidden = false;
  $('disconnect').hidden = true;
  setStatus(message || 'Key forgotten.', isError);
}

function init() {
  $('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const key = input('api-key').value.trim();
    if (key) connect(key);
  });
  $('disconnect').addEventListener('click', () => disconnect());
  // Listeners return nothing: each load handles its own answer and errors.
  $('place-form').addEventListener('submit', (event) => void placeCall(event));
  $('filters').addEventListener('submit', (event) => void applyFilters(event));
  $('filter-clear').addEventListener('click', () => void clearFilters());
  $('filter-agent').addEventListener('change', (event) => void applyFilters(event));
  $('filter-state').addEventListener('change', (event) => void applyFilters(event));
  select('filter-state').replaceChildren(el('option', { value: '' }, 'any state'), ...STATES.map((s) => el('option', { value: s }, s)));
  void loadHealth();
  setInterval(() => void loadHealth(), HEALTH_EVERY_MS);
  let saved: string | null = null;
  try {
    saved = sessionStorage.getItem(KEY_STORAGE);
  } catch {
    saved = null;
  }
  if (saved) connect(saved);
  else setStatus('Paste an API key (scopes calls:read, calls:write, agents:read). It stays in this tab only (sessionStorage).');
}

init();
