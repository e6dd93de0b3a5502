/**
 * The console's browser code: vanilla JS, inlined in the page and allowed by its hash in the
 * Content-Security-Policy (lib/console/page.ts). It runs under Trusted Types, so it never assigns HTML:
 * every value from the API goes into the page as text (`textContent`, text nodes, attributes).
 *
 * Written without template literals (this file is one: a backtick or a dollar-brace inside would end or
 * interpolate it); test/unit/console/page.test.ts compiles it to catch a syntax error.
 */
export const CONSOLE_SCRIPT = String.raw`
(function () {
  'use strict';

  var KEY_STORAGE = 'c2c.console.apiKey';
  var STATES = ['accepted', 'dispatching', 'dialing', 'answered', 'completed', 'no_answer', 'busy', 'failed', 'rejected', 'unknown', 'not_sent'];
  var CALLS_EVERY_MS = 2000;
  var SIM_EVERY_MS = 1000;
  var STATS_EVERY_MS = 15000;
  var STATS_AFTER_CHANGE_MS = 1000;
  var AGENTS_EVERY_MS = 30000;
  var HEALTH_EVERY_MS = 60000;
  var CALLS_LIMIT = 25;
  var STATS_DAYS = 7;
  var SVG_NS = 'http://www.w3.org/2000/svg';

  // The API lives beside the console: /console -> /v1/... (keeps working under a custom domain's base path).
  var base = location.pathname.replace(/\/console\/?$/, '');
  var simulatorUrl = document.body.getAttribute('data-simulator-url') || '';

  var session = null; // { key, generation } while connected
  var generation = 0;
  var agents = [];
  var filters = { leadId: '', agent: '', state: '' };
  var placedCallIds = [];
  var callsSignature = '';
  var callsRequests = 0;
  var statsDueAt = 0;
  var pendingAttempt = null; // the last call request without a definite answer: a retry reuses its key

  function $(id) { return document.getElementById(id); }

  /** An element with attributes (class, data-*, ...; never style or on*) and children (nodes or text). */
  function el(tag, attrs) {
    var node = document.createElement(tag);
    setAttrs(node, attrs);
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }
  function svgEl(tag, attrs) {
    var node = document.createElementNS(SVG_NS, tag);
    setAttrs(node, attrs);
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }
  function setAttrs(node, attrs) {
    if (!attrs) return;
    Object.keys(attrs).forEach(function (name) {
      var value = attrs[name];
      if (value === undefined || value === null || value === false) return;
      node.setAttribute(name, String(value));
    });
  }
  function append(node, child) {
    if (child === undefined || child === null || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { append(node, c); }); return; }
    node.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }

  function pad(n, width) { return String(n).padStart(width || 2, '0'); }
  function clock(iso) {
    var d = new Date(iso);
    return isNaN(d.getTime()) ? '' : pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  }
  function dateTime(iso) {
    var d = new Date(iso);
    return isNaN(d.getTime()) ? '' : localDate(d) + ' ' + clock(iso);
  }
  function localDate(d) { return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()); }
  function seconds(ms) { return (ms / 1000).toFixed(ms < 10000 ? 2 : 1).replace(/\.?0+$/, '') + ' s'; }
  function duration(sec) {
    sec = Math.round(sec || 0);
    if (sec < 60) return sec + ' s';
    var h = Math.floor(sec / 3600), m = Math.floor((sec % 3600) / 60), s = sec % 60;
    return (h ? h + 'h ' : '') + m + 'm ' + pad(s) + 's';
  }
  function percent(rate) { return Math.round((rate || 0) * 100) + '%'; }
  function count(n, one, many) { return n + ' ' + (n === 1 ? one : many); }

  function setStatus(text, isError) {
    var status = $('status');
    status.textContent = text;
    status.className = isError ? 'error' : '';
  }

  // ---------------------------------------------------------------- API

  function api(path, init) {
    init = init || {};
    var headers = Object.assign({ accept: 'application/json' }, init.headers || {});
    if (session) headers.authorization = 'Bearer ' + session.key;
    var mine = generation;
    return fetch(base + path, Object.assign({}, init, { headers: headers, cache: 'no-store', credentials: 'omit' })).then(function (res) {
      return res.text().then(function (text) {
        var body = null;
        try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
        var answer = { status: res.status, ok: res.ok, body: body, headers: res.headers };
        if (res.status === 401 && session && mine === generation) disconnect(problemText(answer), true);
        return answer;
      });
    });
  }

  function query(params) {
    var parts = [];
    Object.keys(params).forEach(function (name) {
      if (params[name] !== '' && params[name] !== undefined && params[name] !== null) parts.push(encodeURIComponent(name) + '=' + encodeURIComponent(params[name]));
    });
    return parts.length ? '?' + parts.join('&') : '';
  }

  function problemText(answer) {
    var p = answer.body || {};
    return (p.title || 'HTTP ' + answer.status) + (p.detail ? ': ' + p.detail : '');
  }

  /** A problem+json answer, readable: title and status, detail, each field error, the rejected call, Retry-After. */
  function problemNode(answer) {
    var p = answer.body && typeof answer.body === 'object' ? answer.body : {};
    var retryAfter = answer.headers && answer.headers.get('retry-after');
    return el('div', { class: 'problem', 'data-code': p.code || '', role: 'alert' },
      el('strong', null, (p.title || 'Request failed') + ' (' + answer.status + (p.code ? ', ' + p.code : '') + ')'),
      p.detail ? el('p', null, p.detail) : null,
      Array.isArray(p.errors) && p.errors.length ? el('ul', null, p.errors.map(function (e) { return el('li', null, el('code', null, e.path), ': ' + e.message); })) : null,
      p.call && p.call.callId ? el('p', null, 'Recorded as ', el('code', null, p.call.callId), ', state ' + p.call.state + (p.call.reason ? ' (' + p.call.reason + ')' : '') + '.') : null,
      retryAfter ? el('p', null, 'Retry after ' + retryAfter + ' s.') : null,
      p.requestId ? el('p', { class: 'muted' }, 'Request id ' + p.requestId) : null);
  }

  function networkProblem(error) {
    return el('div', { class: 'problem', role: 'alert' }, el('strong', null, 'No answer from the API'), el('p', null, String(error && error.message || error)));
  }

  // ---------------------------------------------------------------- loops

  /** Runs fn now and again ms after each run ends, while this connection lasts; skips runs while the tab is hidden. */
  function every(ms, fn) {
    var mine = generation;
    function tick() {
      if (mine !== generation) return;
      var run = document.hidden ? Promise.resolve() : Promise.resolve().then(fn);
      run.catch(function (error) { console.warn('console refresh failed', error); }).then(function () {
        if (mine === generation) setTimeout(tick, ms);
      });
    }
    tick();
  }

  // ---------------------------------------------------------------- health (no key needed)

  function loadHealth() {
    return fetch(base + '/v1/health', { cache: 'no-store', credentials: 'omit' }).then(function (res) { return res.json(); }).then(function (health) {
      $('egress-ip').textContent = health.egressIp || 'not known';
      $('stage').textContent = health.stage || '';
    }).catch(function () {
      $('egress-ip').textContent = 'unreachable';
    });
  }

  // ---------------------------------------------------------------- agents

  function loadAgents() {
    return api('/v1/agents' + query({ limit: 500 })).then(function (answer) {
      var target = $('agents-body');
      if (!answer.ok) { target.replaceChildren(el('tr', null, el('td', { colspan: 4 }, problemNode(answer)))); return; }
      agents = answer.body.agents || [];
      target.replaceChildren.apply(target, agents.length ? agents.map(function (a) {
        return el('tr', { 'data-agent': a.crmUserId }, el('td', null, el('code', null, a.crmUserId)), el('td', null, a.extension), el('td', null, a.name || ''), el('td', null, a.email || ''));
      }) : [el('tr', null, el('td', { colspan: 4, class: 'muted' }, 'No agents yet: PUT /v1/agents/{crmUserId} or c2c agent import.'))]);
      fillAgentSelect($('place-agent'), false);
      fillAgentSelect($('filter-agent'), true);
    });
  }

  function fillAgentSelect(select, withAny) {
    var current = select.value;
    var options = withAny ? [el('option', { value: '' }, 'any agent')] : [];
    agents.forEach(function (a) {
      options.push(el('option', { value: a.crmUserId }, a.crmUserId + ' (ext ' + a.extension + (a.name ? ', ' + a.name : '') + ')'));
    });
    select.replaceChildren.apply(select, options);
    if (current && agents.some(function (a) { return a.crmUserId === current; })) select.value = current;
  }

  // ---------------------------------------------------------------- calls

  function loadCalls() {
    var mine = generation;
    var request = ++callsRequests;
    var asked = filters;
    return api('/v1/calls' + query({ limit: CALLS_LIMIT, leadId: asked.leadId, agent: asked.agent, state: asked.state })).then(function (answer) {
      // A slower answer to an earlier request (other filters, perhaps) must not overwrite a newer one.
      if (mine !== generation || request !== callsRequests) return;
      var list = $('calls-list');
      if (!answer.ok) {
        callsSignature = '';
        list.replaceChildren(el('li', null, problemNode(answer)));
        return;
      }
      var calls = answer.body.calls || [];
      var signature = JSON.stringify([asked, placedCallIds, calls]);
      $('calls-updated').textContent = 'updated ' + clock(new Date().toISOString());
      if (signature === callsSignature) return;
      if (callsSignature) statsDueAt = Math.min(statsDueAt, Date.now() + STATS_AFTER_CHANGE_MS);
      callsSignature = signature;
      list.replaceChildren.apply(list, calls.length ? calls.map(callItem) : [el('li', { class: 'muted' }, anyFilter() ? 'No call matches these filters.' : 'No calls yet: place one.')]);
      $('calls-count').textContent = (calls.length === CALLS_LIMIT ? 'the newest ' + calls.length : count(calls.length, 'call', 'calls')) + ', newest first' + (anyFilter() ? ', filtered' : '');
    });
  }

  function anyFilter() { return Boolean(filters.leadId || filters.agent || filters.state); }

  function callItem(call) {
    var agent = call.agent || {};
    var outcome = call.outcome || {};
    var events = call.events || [];
    var first = events.length ? new Date(events[0].at).getTime() : 0;
    var mine = placedCallIds.indexOf(call.callId) >= 0;
    return el('li', { class: mine ? 'mine' : null, 'data-call-id': call.callId, 'data-state': call.state, 'data-agent': agent.crmUserId || '', 'data-lead': call.lead && call.lead.id || '' },
      el('div', { class: 'call-head' },
        el('span', { class: 'badge state-' + call.state }, call.state),
        el('code', { class: 'call-id' }, call.callId),
        mine ? el('span', { class: 'muted' }, 'placed from this console') : null,
        el('span', { class: 'when', title: call.createdAt }, dateTime(call.createdAt))),
      el('div', { class: 'call-meta' },
        el('span', null, (agent.crmUserId || '?') + (agent.extension ? ' (ext ' + agent.extension + ')' : '') + ' \u2192 ', el('span', { class: 'mono' }, call.to || call.legB || '')),
        call.lead && call.lead.id ? el('span', null, 'lead ', el('code', null, call.lead.id)) : null,
        call.reason ? el('span', null, 'reason ', el('code', null, call.reason)) : null,
        outcome.billSec !== null && outcome.billSec !== undefined ? el('span', null, 'talk ' + duration(outcome.billSec)) : null,
        outcome.hangupCause ? el('span', { class: 'muted' }, outcome.hangupCause) : null,
        call.source && call.source !== 'api' ? el('span', { class: 'muted' }, 'via ' + call.source) : null),
      el('ol', { class: 'timeline', 'aria-label': 'timeline' }, events.map(function (event, i) {
        var at = new Date(event.at).getTime();
        return el('li', { class: 'state-' + event.state, 'data-state': event.state, title: event.at + (event.detail ? ' \u2014 ' + event.detail : '') },
          el('span', { class: 'chip' },
            el('span', { class: 'chip-state' }, event.state),
            el('time', { datetime: event.at }, i === 0 ? clock(event.at) : '+' + seconds(at - first))));
      })));
  }

  function applyFilters(event) {
    if (event) event.preventDefault();
    filters = { leadId: $('filter-lead').value.trim(), agent: $('filter-agent').value, state: $('filter-state').value };
    return loadCalls();
  }

  function clearFilters() {
    $('filter-lead').value = '';
    $('filter-agent').value = '';
    $('filter-state').value = '';
    return applyFilters();
  }

  // ---------------------------------------------------------------- place a call

  function newIdempotencyKey() {
    if (window.crypto && crypto.randomUUID) return 'console-' + crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return 'console-' + Array.prototype.map.call(bytes, function (b) { return pad(b.toString(16)); }).join('');
  }

  function placeCall(event) {
    event.preventDefault();
    var body = { agent: { crmUserId: $('place-agent').value }, to: $('place-to').value.trim() };
    var lead = $('place-lead').value.trim();
    if (lead) body.lead = { id: lead };
    var signature = JSON.stringify(body);
    // Same request again after no definite answer (network error, 5xx): same key, so the service never dials twice.
    var key = pendingAttempt && pendingAttempt.signature === signature ? pendingAttempt.key : newIdempotencyKey();
    pendingAttempt = { signature: signature, key: key };
    var button = $('place-submit');
    var result = $('place-result');
    button.disabled = true;
    result.replaceChildren(el('span', { class: 'muted' }, 'Placing the call\u2026'));
    return api('/v1/calls', { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': key }, body: signature }).then(function (answer) {
      if (answer.status < 500) pendingAttempt = null;
      var call = answer.body || {};
      if (answer.ok && call.callId) {
        if (placedCallIds.indexOf(call.callId) < 0) placedCallIds.unshift(call.callId);
        var says = answer.status === 202
          ? 'Sent, but the PBX\u2019s answer was lost: state ' + call.state + '. It is reconciled, never re-sent.'
          : call.duplicate ? 'Already placed (same Idempotency-Key): state ' + call.state + '.' : 'The PBX accepted it: ' + call.state + '.';
        result.replaceChildren(el('div', { 'data-call-id': call.callId }, el('span', { class: 'ok' }, answer.status + ' '), says, el('br'), el('code', null, call.callId)));
        loadCalls();
      } else {
        result.replaceChildren(problemNode(answer));
      }
    }, function (error) {
      result.replaceChildren(networkProblem(error), el('p', { class: 'muted' }, 'Press Call again: the same Idempotency-Key is sent, so it cannot dial twice.'));
    }).then(function () { button.disabled = false; });
  }

  // ---------------------------------------------------------------- per-agent daily figures

  function statsRange() {
    var days = [];
    var today = new Date();
    for (var i = STATS_DAYS - 1; i >= 0; i--) days.push(localDate(new Date(today.getFullYear(), today.getMonth(), today.getDate() - i)));
    return days;
  }

  function timeZone() {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'; } catch (e) { return 'UTC'; }
  }

  function maybeLoadStats() {
    if (Date.now() < statsDueAt) return Promise.resolve();
    statsDueAt = Date.now() + STATS_EVERY_MS;
    var days = statsRange();
    var mine = generation;
    return api('/v1/stats/agents' + query({ from: days[0], to: days[days.length - 1], tz: timeZone() })).then(function (answer) {
      if (mine !== generation) return;
      var target = $('charts');
      if (!answer.ok) { target.replaceChildren(problemNode(answer)); return; }
      var report = answer.body;
      $('stats-range').textContent = report.from + ' to ' + report.to + ' (' + report.tz + ')';
      var byAgent = {};
      (report.days || []).forEach(function (d) { (byAgent[d.crmUserId] = byAgent[d.crmUserId] || {})[d.date] = d; });
      var totals = (report.agents || []).slice().sort(function (a, b) { return a.crmUserId.localeCompare(b.crmUserId); });
      target.replaceChildren.apply(target, totals.length ? totals.map(function (total) { return agentChart(total, byAgent[total.crmUserId] || {}, days); })
        : [el('p', { class: 'muted' }, 'No calls in the last ' + STATS_DAYS + ' days.')]);
    });
  }

  /** Calls and answered per day as paired bars, the day's answer rate above them, totals below. */
  function agentChart(total, byDate, days) {
    var W = 360, H = 176, left = 26, right = 6, top = 22, bottom = 36;
    var plotH = H - top - bottom;
    var groupW = (W - left - right) / days.length;
    var barW = Math.min(16, groupW * 0.3);
    var max = 1;
    days.forEach(function (date) { if (byDate[date]) max = Math.max(max, byDate[date].calls); });
    var y = function (v) { return top + plotH - (v / max) * plotH; };
    var today = days[days.length - 1];
    var nodes = [
      svgEl('line', { class: 'grid', x1: left, x2: W - right, y1: y(max), y2: y(max) }),
      svgEl('text', { x: left - 4, y: y(max) + 3, 'text-anchor': 'end' }, String(max)),
      svgEl('line', { class: 'axis', x1: left, x2: W - right, y1: y(0), y2: y(0) }),
      svgEl('text', { x: left - 4, y: y(0) + 3, 'text-anchor': 'end' }, '0'),
    ];
    var agent = agents.filter(function (a) { return a.crmUserId === total.crmUserId; })[0];
    days.forEach(function (date, i) {
      var d = byDate[date] || { calls: 0, answered: 0, answerRate: 0, talkTimeSec: 0, notPlaced: 0 };
      var x0 = left + i * groupW + groupW / 2;
      var label = new Date(date + 'T12:00:00').toLocaleDateString(undefined, { weekday: 'short' }) + ' ' + Number(date.slice(8));
      var tip = date + ' \u00b7 ' + total.crmUserId + ': ' + count(d.calls, 'call', 'calls') + ', ' + d.answered + ' answered (' + percent(d.answerRate) + '), talk ' + duration(d.talkTimeSec) + (d.notPlaced ? ', ' + d.notPlaced + ' not placed' : '');
      [['calls', d.calls, x0 - barW - 1], ['answered', d.answered, x0 + 1]].forEach(function (bar) {
        var h = y(0) - y(bar[1]);
        nodes.push(svgEl('rect', { class: 'bar bar-' + bar[0], 'data-agent': total.crmUserId, 'data-date': date, 'data-kind': bar[0], 'data-value': bar[1], x: bar[2].toFixed(1), y: y(bar[1]).toFixed(1), width: barW.toFixed(1), height: h.toFixed(1), rx: 2 }, svgEl('title', null, tip)));
        if (bar[1] > 0) nodes.push(svgEl('text', { class: 'value', x: (bar[2] + barW / 2).toFixed(1), y: (y(bar[1]) - 3).toFixed(1), 'text-anchor': 'middle' }, String(bar[1])));
      });
      if (d.calls > 0) nodes.push(svgEl('text', { class: 'rate', x: x0.toFixed(1), y: 12, 'text-anchor': 'middle' }, percent(d.answerRate)));
      nodes.push(svgEl('text', { class: date === today ? 'today' : null, x: x0.toFixed(1), y: H - 19, 'text-anchor': 'middle' }, date === today ? 'today' : label));
      if (d.talkTimeSec > 0) nodes.push(svgEl('text', { class: 'talk', x: x0.toFixed(1), y: H - 4, 'text-anchor': 'middle' }, duration(d.talkTimeSec)));
    });
    return el('figure', { class: 'agent-chart', 'data-agent': total.crmUserId },
      el('h3', null, total.crmUserId + (agent && agent.name ? ' \u00b7 ' + agent.name : '') + (agent ? ' (ext ' + agent.extension + ')' : '')),
      svgEl('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'Calls and answered calls per day for ' + total.crmUserId }, nodes),
      el('figcaption', null, count(total.calls, 'call', 'calls') + ' \u00b7 ' + total.answered + ' answered (' + percent(total.answerRate) + ') \u00b7 talk ' + duration(total.talkTimeSec) + (total.notPlaced ? ' \u00b7 ' + total.notPlaced + ' not placed' : '')));
  }

  // ---------------------------------------------------------------- the PBX simulator (local stack only)

  function loadSimulator() {
    return fetch(simulatorUrl + '/_sim/calls?limit=12', { cache: 'no-store', credentials: 'omit' }).then(function (res) { return res.json(); }).then(function (answer) {
      var list = $('sim-calls');
      var calls = answer.calls || [];
      $('sim-note').textContent = simulatorUrl + ' \u00b7 ' + clock(new Date().toISOString());
      list.replaceChildren.apply(list, calls.length ? calls.map(simItem) : [el('li', { class: 'muted' }, 'The simulator has placed no call yet.')]);
    }).catch(function (error) {
      $('sim-calls').replaceChildren(el('li', { class: 'muted' }, 'The simulator does not answer (' + String(error && error.message || error) + ').'));
    });
  }

  function simItem(call) {
    var phaseText = call.phase === 'answered' ? 'talking' : call.phase;
    var plan = call.outcome === 'answered'
      ? 'answered after ' + seconds(new Date(call.answerAt) - new Date(call.placedAt)) + ', ' + call.billSec + ' s billed'
      : call.outcome.replace('_', ' ') + ' after ' + seconds(new Date(call.endAt) - new Date(call.placedAt));
    return el('li', { 'data-call-id': call.callId || '', 'data-phase': call.phase, 'data-unique-id': call.uniqueId },
      el('span', null, el('span', { class: 'phase phase-' + call.phase }, phaseText)),
      el('span', null, 'ext ' + call.extension + ' \u2192 ', el('span', { class: 'mono' }, call.destination)),
      el('span', { class: 'sub' }, 'placed ' + clock(call.placedAt) + ' \u00b7 ' + plan + ' \u00b7 ' + call.hangupCause),
      el('span', { class: 'sub' }, call.callId ? el('code', null, call.callId) : 'no c2c_call_id'));
  }

  // ---------------------------------------------------------------- connect

  function connect(key) {
    generation++;
    session = { key: key, generation: generation };
    try { sessionStorage.setItem(KEY_STORAGE, key); } catch (e) { /* storage off: the key lives in memory only */ }
    $('api-key').value = '';
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

  function disconnect(message, isError) {
    generation++;
    session = null;
    try { sessionStorage.removeItem(KEY_STORAGE); } catch (e) { /* nothing stored */ }
    ['calls-list', 'charts', 'agents-body', 'sim-calls', 'place-result'].forEach(function (id) { $(id).replaceChildren(); });
    agents = [];
    placedCallIds = [];
    $('app').hidden = true;
    $('intro').hidden = false;
    $('key-form').hidden = false;
    $('disconnect').hidden = true;
    setStatus(message || 'Key forgotten.', isError);
  }

  function init() {
    $('key-form').addEventListener('submit', function (event) {
      event.preventDefault();
      var key = $('api-key').value.trim();
      if (key) connect(key);
    });
    $('disconnect').addEventListener('click', function () { disconnect(); });
    $('place-form').addEventListener('submit', placeCall);
    $('filters').addEventListener('submit', applyFilters);
    $('filter-clear').addEventListener('click', clearFilters);
    $('filter-agent').addEventListener('change', applyFilters);
    $('filter-state').addEventListener('change', applyFilters);
    var stateSelect = $('filter-state');
    stateSelect.replaceChildren.apply(stateSelect, [el('option', { value: '' }, 'any state')].concat(STATES.map(function (s) { return el('option', { value: s }, s); })));
    loadHealth();
    setInterval(loadHealth, HEALTH_EVERY_MS);
    var saved = null;
    try { saved = sessionStorage.getItem(KEY_STORAGE); } catch (e) { saved = null; }
    if (saved) connect(saved);
    else setStatus('Paste an API key (scopes calls:read, calls:write, agents:read). It stays in this tab only (sessionStorage).');
  }

  init();
})();
`;
