/**
 * The console's browser code. `npm run build:console` (scripts/build-console.ts) bundles it into one script,
 * lib/console/generated/script.ts, that lib/console/page.ts inlines in the page and allows by its hash in the
 * Content-Security-Policy. It runs under Trusted Types, so it never assigns HTML: every value from the API goes
 * into the page as text (`textContent`, text nodes, attributes).
 */
import { CALL_STATES, type CallState } from '../../model/call-states';

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

/** What an agent is doing now, as the team router sees it (docs/api.md, "Availability"). */
interface Availability {
  state: string;
  since?: string;
  until?: string;
  busyCallId?: string;
  idleSince?: string;
}

interface Agent {
  crmUserId: string;
  extension: string;
  name?: string;
  email?: string;
  teams?: string[];
  availability?: Availability;
}

/** One team of `GET /v1/teams`: its members counted by availability now. */
interface TeamSummary {
  team: string;
  members: number;
  available?: number;
  onCall?: number;
  away?: number;
  placingCall?: number;
}

/** How a team call chose its agent (or is still looking for one). */
interface Routing {
  team?: string;
  chosen?: string | null;
  decidedAt?: string | null;
  passedOver?: Array<{ crmUserId: string; reason: string }>;
  attempts?: number;
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
  team?: string | null;
  routing?: Routing | null;
  schedule?: { notBefore: string; reason: string } | null;
  queue?: { maxWaitSec: number; since: string | null; until: string | null } | null;
}

/** The body of `POST /v1/calls` the form sends: one agent, or any free agent of a team. */
interface PlaceBody {
  agent?: { crmUserId: string };
  team?: string;
  to: string;
  lead?: { id: string };
  maxWaitSec?: number;
  notBefore?: string;
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
// Agents and teams together: availability changes with every call, so the team view refreshes often (two reads).
const AGENTS_EVERY_MS = 5000;
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
let teams: TeamSummary[] = [];
let selectsSignature = '';
let agentsRequests = 0;
/** Calls with a DELETE under way, and the answer of each cancel: kept across redraws of the list. */
const cancelling = new Set<string>();
const cancelNotes = new Map<string, HTMLElement>();
let cancelVersion = 0;
const toggling = new Set<string>();
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
/** A time today as its clock, another day with its date too. */
function when(iso: string | null | undefined) {
  if (!iso) return '';
  const d = new Date(iso);
  if (isNaN(d.getTime())) return '';
  return localDate(d) === localDate(new Date()) ? clock(iso) : dateTime(iso);
}
/** The browser's offset from UTC at that moment, as RFC 3339 writes it (+01:00). */
function offsetOf(d: Date) {
  const minutes = -d.getTimezoneOffset();
  const abs = Math.abs(minutes);
  return (minutes < 0 ? '-' : '+') + pad(Math.floor(abs / 60)) + ':' + pad(abs % 60);
}
/** RFC 3339 in the browser's time zone with its offset, what `notBefore` and `until` take: 2026-03-02T14:30:00+01:00. */
function rfc3339Local(d: Date) {
  return localDate(d) + 'T' + pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()) + offsetOf(d);
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

// ---------------------------------------------------------------- agents and teams

const AVAILABILITY_TEXT: Record<string, string> = {
  available: 'free',
  placing_call: 'placing a call',
  on_call: 'on a call',
  away: 'away',
};
const availabilityText = (state: string) => AVAILABILITY_TEXT[state] || state;

function loadAgents() {
  const mine = generation;
  const request = ++agentsRequests;
  return Promise.all([api<{ agents?: Agent[] }>('/v1/agents' + query({ limit: 500 })), api<{ teams?: TeamSummary[] }>('/v1/teams')]).then(
    ([agentsAnswer, teamsAnswer]) => {
      // A toggle refreshes at once: an answer to a request sent before it must not draw the agent as it was.
      if (mine !== generation || request !== agentsRequests) return;
      const target = $('agents-body');
      if (!agentsAnswer.ok) {
        target.replaceChildren(el('tr', null, el('td', { colspan: 5 }, problemNode(agentsAnswer))));
        $('teams-list').replaceChildren(problemNode(agentsAnswer));
        return;
      }
      agents = bodyOf(agentsAnswer).agents || [];
      // Without the summaries (an older API, a failed read) the teams still follow from the agents' own `teams`.
      teams = teamsAnswer.ok ? bodyOf(teamsAnswer).teams || [] : [];
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
                el('td', null, (a.teams || []).join(', ')),
              ),
            )
          : [el('tr', null, el('td', { colspan: 5, class: 'muted' }, 'No agents yet: PUT /v1/agents/{crmUserId} or c2c agent import.'))]),
      );
      drawTeams(teamsAnswer);
      $('teams-updated').textContent = 'updated ' + clock(new Date().toISOString());
      // Refilled only when they change: redrawing a select every few seconds would close it under the operator's pointer.
      const names = teamNames();
      const signature = JSON.stringify([agents.map((a) => [a.crmUserId, a.extension, a.name]), names]);
      if (signature === selectsSignature) return;
      selectsSignature = signature;
      fillAgentSelect(select('place-agent'), false);
      fillAgentSelect(select('filter-agent'), true);
      fillTeamSelect(select('place-team'), names);
    },
  );
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

function fillTeamSelect(target: HTMLSelectElement, names: string[]) {
  const current = target.value;
  target.replaceChildren(...names.map((name) => el('option', { value: name }, name)));
  if (current && names.indexOf(current) >= 0) target.value = current;
}

/** Every team: those `GET /v1/teams` counts, and any an agent of the list names. */
function teamNames() {
  const names: string[] = teams.map((t) => t.team);
  agents.forEach((a) => (a.teams || []).forEach((t) => names.indexOf(t) < 0 && names.push(t)));
  return names.sort();
}

/** What more the availability says: until when, on which call, free since when. */
function availabilityDetail(a: Availability) {
  switch (a.state) {
    case 'away':
      return a.until ? 'until ' + when(a.until) : 'until set back';
    case 'on_call':
      // Its `until` is a safety net (when the call stops counting without a Call End), not when it ends: left out.
      return a.busyCallId ? a.busyCallId : '';
    case 'available':
      return a.until ? 'away from ' + when(a.until) : a.idleSince ? 'free since ' + when(a.idleSince) : '';
    default:
      return '';
  }
}

function drawTeams(teamsAnswer: Answer<{ teams?: TeamSummary[] }>) {
  const names = teamNames();
  const nodes: Node[] = [];
  if (!teamsAnswer.ok) nodes.push(problemNode(teamsAnswer));
  if (!names.length) nodes.push(el('p', { class: 'muted' }, 'No teams yet: give agents "teams" (PUT /v1/agents/{crmUserId}).'));
  names.forEach((name) => {
    const members = agents.filter((a) => (a.teams || []).indexOf(name) >= 0);
    nodes.push(teamBlock(name, members, teams.filter((t) => t.team === name)[0]));
  });
  // Agents in no team take no team call, but go away and come back like the others: the view shows them too.
  const loners = agents.filter((a) => !(a.teams || []).length);
  if (loners.length) nodes.push(teamBlock('', loners, undefined));
  $('teams-list').replaceChildren(...nodes);
}

/** One team (with no name: the agents in none), its members counted by availability, each with the away toggle. */
function teamBlock(name: string, members: Agent[], summary: TeamSummary | undefined) {
  // The counts are of the members drawn, read together with them; the team may have more than the first 500 agents.
  const counts: Record<string, number> = {};
  members.forEach((m) => {
    const state = m.availability ? m.availability.state : 'unknown';
    counts[state] = (counts[state] || 0) + 1;
  });
  const total = summary ? Math.max(summary.members, members.length) : members.length;
  return el(
    'div',
    { class: name ? 'team' : 'team no-team', 'data-team': name, 'data-members': total },
    el(
      'h3',
      null,
      name || 'In no team',
      el(
        'span',
        { class: 'note' },
        [
          count(total, name ? 'member' : 'agent', name ? 'members' : 'agents') +
            (total > members.length ? ' (' + members.length + ' shown)' : ''),
          (counts.available || 0) + ' free',
          counts.placing_call ? counts.placing_call + ' placing a call' : '',
          (counts.on_call || 0) + ' on a call',
          (counts.away || 0) + ' away',
        ]
          .filter(Boolean)
          .join(' \u00b7 '),
      ),
    ),
    el(
      'table',
      { class: 'members' },
      el(
        'tbody',
        null,
        members.map((m) => memberRow(name, m)),
      ),
    ),
  );
}

function memberRow(team: string, agent: Agent) {
  const availability = agent.availability || { state: 'unknown' };
  const away = availability.state === 'away';
  const detail = availabilityDetail(availability);
  return el(
    'tr',
    { 'data-team': team, 'data-agent': agent.crmUserId, 'data-availability': availability.state },
    el('td', { class: 'who' }, el('code', null, agent.crmUserId), agent.name ? el('div', { class: 'detail' }, agent.name) : null),
    el(
      'td',
      { class: 'now' },
      el('span', { class: 'avail avail-' + availability.state }, availabilityText(availability.state)),
      detail ? el('div', { class: 'detail' }, detail) : null,
    ),
    el(
      'td',
      { class: 'actions' },
      el(
        'button',
        {
          type: 'button',
          class: 'secondary small',
          'data-toggle': agent.crmUserId,
          'data-available': away ? 'true' : 'false',
          disabled: toggling.has(agent.crmUserId),
        },
        away ? 'Set available' : 'Set away',
      ),
    ),
  );
}

/** The away toggle: away from now (for the chosen time, or until set back), or available again. */
function toggleAvailability(crmUserId: string, available: boolean) {
  if (toggling.has(crmUserId)) return Promise.resolve();
  const mine = generation;
  const body: { available: boolean; until?: string } = { available: available };
  const forSec = Number(select('away-for').value);
  if (!available && forSec > 0) body.until = rfc3339Local(new Date(Date.now() + forSec * 1000));
  toggling.add(crmUserId);
  const result = $('teams-result');
  $('teams-list')
    .querySelectorAll('button[data-toggle="' + CSS.escape(crmUserId) + '"]')
    .forEach((b) => ((b as HTMLButtonElement).disabled = true));
  return api<Agent>('/v1/agents/' + encodeURIComponent(crmUserId) + '/availability', {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
    .then(
      (answer) => {
        if (mine !== generation) return;
        const agent = answer.body;
        if (answer.ok && agent && agent.availability) {
          const detail = availabilityDetail(agent.availability);
          result.replaceChildren(
            el(
              'div',
              { 'data-agent': crmUserId, 'data-status': answer.status },
              el('span', { class: 'ok' }, answer.status + ' '),
              el('code', null, crmUserId),
              ' is ' + availabilityText(agent.availability.state) + (detail ? ' ' + detail : '') + '.',
            ),
          );
        } else {
          result.replaceChildren(problemNode(answer));
        }
      },
      (error: unknown) => {
        if (mine === generation) result.replaceChildren(networkProblem(error));
      },
    )
    .then(() => {
      toggling.delete(crmUserId);
      if (mine === generation) return loadAgents();
    });
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
    const signature = JSON.stringify([asked, placedCallIds, calls, cancelVersion]);
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

/** The states a call waits in for the scheduler, the only ones a cancel stops (lib/model/call.ts, WAITING_STATES). */
const WAITING: readonly CallState[] = ['scheduled', 'queued'];
const isWaiting = (state: string) => WAITING.some((s) => s === state);

const PASS_REASON_TEXT: Record<string, string> = {
  placing_call: 'placing a call',
  on_call: 'on a call',
  away: 'away',
  rate_limited: 'over its per-minute cap',
  incomplete: 'its record unusable',
  shorter_idle: 'idle for less time',
};

function callItem(call: Call) {
  const agent = call.agent || {};
  const outcome = call.outcome || {};
  const events = call.events || [];
  const first = events[0] ? new Date(events[0].at).getTime() : 0;
  const mine = placedCallIds.indexOf(call.callId) >= 0;
  const waiting = isWaiting(call.state);
  const note = cancelNotes.get(call.callId);
  return el(
    'li',
    {
      class: mine ? 'mine' : null,
      'data-call-id': call.callId,
      'data-state': call.state,
      'data-agent': agent.crmUserId || '',
      'data-team': call.team || '',
      'data-lead': (call.lead && call.lead.id) || '',
    },
    el(
      'div',
      { class: 'call-head' },
      el('span', { class: 'badge state-' + call.state }, call.state),
      el('code', { class: 'call-id' }, call.callId),
      mine ? el('span', { class: 'muted' }, 'placed from this console') : null,
      waiting
        ? el(
            'button',
            { type: 'button', class: 'small cancel', 'data-cancel': call.callId, disabled: cancelling.has(call.callId) },
            cancelling.has(call.callId) ? 'Cancelling\u2026' : 'Cancel',
          )
        : null,
      el('span', { class: 'when', title: call.createdAt }, dateTime(call.createdAt)),
    ),
    el(
      'div',
      { class: 'call-meta' },
      el(
        'span',
        null,
        agent.crmUserId
          ? agent.crmUserId + (agent.extension ? ' (ext ' + agent.extension + ')' : '')
          : call.team
            ? 'an agent of ' + call.team
            : '?',
        call.team && agent.crmUserId ? el('span', { class: 'muted' }, ' of ' + call.team) : null,
        ' \u2192 ',
        el('span', { class: 'mono' }, call.to || call.legB || ''),
      ),
      call.lead && call.lead.id ? el('span', null, 'lead ', el('code', null, call.lead.id)) : null,
      call.reason ? el('span', null, 'reason ', el('code', null, call.reason)) : null,
      outcome.billSec !== null && outcome.billSec !== undefined ? el('span', null, 'talk ' + duration(outcome.billSec)) : null,
      outcome.hangupCause ? el('span', { class: 'muted' }, outcome.hangupCause) : null,
      call.source && call.source !== 'api' ? el('span', { class: 'muted' }, 'via ' + call.source) : null,
    ),
    waitLine(call),
    routingLine(call),
    el('div', { class: 'call-result', 'aria-live': 'polite' }, note || null),
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

/** When a scheduled call is due, until when a queued call waits; what it was, once it no longer waits. */
function waitLine(call: Call) {
  const schedule = call.schedule;
  const queue = call.queue;
  const parts: Child[] = [];
  if (schedule && schedule.notBefore) {
    const why = schedule.reason === 'calling_hours' ? 'the next opening of the lead\u2019s calling hours' : 'as requested';
    parts.push(
      el(
        'span',
        { class: call.state === 'scheduled' ? 'due' : null, title: schedule.notBefore },
        call.state === 'scheduled' ? 'dials at ' : 'was scheduled for ',
        el('time', { datetime: schedule.notBefore }, when(schedule.notBefore)),
        ' (' + why + ')',
      ),
    );
  }
  if (queue) {
    if (call.state === 'queued' && queue.until) {
      parts.push(
        el(
          'span',
          { class: 'due', title: queue.until },
          'waits for a free agent until ',
          el('time', { datetime: queue.until }, when(queue.until)),
          ' (at most ' + queue.maxWaitSec + ' s)',
        ),
      );
    } else if (queue.since) {
      parts.push(el('span', { class: 'muted' }, 'waited for an agent from ' + when(queue.since)));
    } else if (call.state === 'scheduled') {
      parts.push(el('span', { class: 'muted' }, 'then waits up to ' + queue.maxWaitSec + ' s for a free agent'));
    }
  }
  return parts.length ? el('div', { class: 'call-wait' }, parts) : null;
}

/** A team call: which member it went to, and why each one before was passed over. */
function routingLine(call: Call) {
  const routing = call.routing;
  if (!routing) return null;
  const passed = routing.passedOver || [];
  return el(
    'div',
    { class: 'call-route', 'data-chosen': routing.chosen || '' },
    'team ',
    el('code', null, routing.team || call.team || ''),
    routing.chosen
      ? [': chose ', el('code', null, routing.chosen), routing.decidedAt ? ' at ' + when(routing.decidedAt) : '']
      : ': no agent free yet',
    routing.attempts && routing.attempts > 1 ? ' after ' + routing.attempts + ' tries' : '',
    passed.length
      ? [
          routing.chosen ? '; passed over ' : ' (',
          passed.map((p, i) => [
            i ? ', ' : '',
            el(
              'span',
              { class: 'passed', 'data-agent': p.crmUserId, 'data-reason': p.reason },
              el('code', null, p.crmUserId),
              ' ' + (PASS_REASON_TEXT[p.reason] || p.reason),
            ),
          ]),
          routing.chosen ? '' : ')',
        ]
      : '',
  );
}

/** Cancels a scheduled or queued call: the answer (the cancelled call, or a 409 problem) stays under the call. */
function cancelCall(callId: string) {
  if (cancelling.has(callId)) return Promise.resolve();
  const mine = generation;
  cancelling.add(callId);
  // `final`: the call no longer waits (cancelled, or gone to the PBX): its button goes; otherwise it may be pressed again.
  const show = (node: HTMLElement, final: boolean) => {
    cancelNotes.set(callId, node);
    cancelVersion++;
    // At once, not at the next refresh of the list: that one may be slow.
    const row = $('calls-list').querySelector('li[data-call-id="' + CSS.escape(callId) + '"]');
    if (!row) return;
    const box = row.querySelector('.call-result');
    if (box) box.replaceChildren(node);
    const button = row.querySelector<HTMLButtonElement>('button[data-cancel]');
    if (button && final) button.remove();
    else if (button) {
      button.disabled = false;
      button.textContent = 'Cancel';
    }
  };
  const row = $('calls-list').querySelector('li[data-call-id="' + CSS.escape(callId) + '"]');
  const button = row && row.querySelector<HTMLButtonElement>('button[data-cancel]');
  if (button) {
    button.disabled = true;
    button.textContent = 'Cancelling\u2026';
  }
  return api<Call>('/v1/calls/' + encodeURIComponent(callId), { method: 'DELETE' })
    .then(
      (answer) => {
        if (mine !== generation) return;
        const call = answer.body;
        if (answer.ok && call) {
          show(
            el(
              'p',
              { class: 'cancel-note', 'data-status': answer.status },
              el('span', { class: 'ok' }, answer.status + ' '),
              'Cancelled: state ' + call.state + ', it will not be dialled.',
            ),
            true,
          );
        } else {
          show(problemNode(answer), answer.status === 409 || answer.status === 404);
        }
      },
      (error: unknown) => {
        if (mine === generation) show(networkProblem(error), false);
      },
    )
    .then(() => {
      cancelling.delete(callId);
      if (mine === generation) return loadCalls();
    });
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

function placingTeam() {
  return select('place-by').value === 'team';
}

/** Agent or team: the other's fields are hidden and disabled, so the form neither sends nor validates them. */
function showPlaceBy() {
  const team = placingTeam();
  $('place-agent-field').hidden = team;
  select('place-agent').disabled = team;
  $('place-team-field').hidden = !team;
  select('place-team').disabled = !team;
  $('place-wait-field').hidden = !team;
  input('place-wait').disabled = !team;
}

/** What the accepted request became, in words. */
function placedText(status: number, call: Call) {
  if (call.duplicate) return 'Already placed (same Idempotency-Key): state ' + call.state + '.';
  if (call.state === 'scheduled') {
    const due = call.schedule ? when(call.schedule.notBefore) : '';
    const why = call.schedule && call.schedule.reason === 'calling_hours' ? ', when the lead\u2019s calling hours open' : '';
    return 'Scheduled: it dials at ' + due + why + '. Until then it can be cancelled in the list.';
  }
  if (call.state === 'queued') {
    return (
      'Queued: no agent of ' +
      (call.team || 'the team') +
      ' is free; it waits for one until ' +
      when(call.queue && call.queue.until) +
      ', then ends not_sent.'
    );
  }
  if (status === 202) return 'Sent, but the PBX\u2019s answer was lost: state ' + call.state + '. It is reconciled, never re-sent.';
  const chosen = call.routing && call.routing.chosen;
  return 'The PBX accepted it: ' + call.state + (chosen ? ', for ' + chosen + ' of ' + (call.team || 'the team') : '') + '.';
}

function placeCall(event: Event) {
  event.preventDefault();
  const body: PlaceBody = placingTeam()
    ? { team: select('place-team').value, to: input('place-to').value.trim() }
    : { agent: { crmUserId: select('place-agent').value }, to: input('place-to').value.trim() };
  const lead = input('place-lead').value.trim();
  if (lead) body.lead = { id: lead };
  const wait = input('place-wait').value.trim();
  if (placingTeam() && wait) body.maxWaitSec = Number(wait);
  // datetime-local is wall-clock time without a zone: read as the browser's local time and sent with its offset.
  const notBefore = input('place-not-before').value;
  if (notBefore) {
    const at = new Date(notBefore);
    // A browser without datetime-local shows a text box: what it cannot read goes as typed, and the API names the field.
    body.notBefore = isNaN(at.getTime()) ? notBefore : rfc3339Local(at);
  }
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
          result.replaceChildren(
            el(
              'div',
              { 'data-call-id': call.callId, 'data-state': call.state },
              el('span', { class: 'ok' }, answer.status + ' '),
              placedText(answer.status, call),
              el('br', null),
              el('code', null, call.callId),
            ),
          );
          void loadCalls();
          // The agent is now placing a call, or on one: the team view shows it without waiting for its next refresh.
          void loadAgents();
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
  setStatus(
    'Connected \u00b7 calls refresh every ' + CALLS_EVERY_MS / 1000 + ' s, agents and teams every ' + AGENTS_EVERY_MS / 1000 + ' s',
  );
  statsDueAt = 0;
  callsSignature = '';
  selectsSignature = '';
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
  ['calls-list', 'charts', 'agents-body', 'teams-list', 'teams-result', 'sim-calls', 'place-result'].forEach((id) =>
    $(id).replaceChildren(),
  );
  agents = [];
  teams = [];
  placedCallIds = [];
  cancelNotes.clear();
  cancelling.clear();
  toggling.clear();
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
  $('place-by').addEventListener('change', showPlaceBy);
  showPlaceBy();
  const now = new Date();
  $('place-tz').textContent = ' your time: ' + timeZone() + ' (UTC' + offsetOf(now) + '); empty: now';
  // The rows are redrawn on every refresh: one listener on each list instead of one per button.
  $('calls-list').addEventListener('click', (event) => {
    const button = event.target instanceof Element ? event.target.closest('button[data-cancel]') : null;
    if (button) void cancelCall(button.getAttribute('data-cancel') || '');
  });
  $('teams-list').addEventListener('click', (event) => {
    const button = event.target instanceof Element ? event.target.closest('button[data-toggle]') : null;
    if (button) void toggleAvailability(button.getAttribute('data-toggle') || '', button.getAttribute('data-available') === 'true');
  });
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
  else
    setStatus(
      'Paste an API key (scopes calls:read, calls:write, agents:read; agents:write to set agents away). It stays in this tab only (sessionStorage).',
    );
}

init();
