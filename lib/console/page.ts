import { createHash } from 'node:crypto';
import { CONSOLE_SCRIPT } from './generated/script';
import { CONSOLE_STYLE } from './style';

/**
 * The operator console: one static HTML page with its CSS and JS inline. It holds no data: the operator pastes
 * an API key, kept in the tab's sessionStorage only, and the page reads the API with it (same origin).
 * A browser navigation cannot carry a Bearer key, so the page itself is public; everything in it comes
 * through the API and its scopes.
 */
export interface ConsolePage {
  html: string;
  headers: Record<string, string>;
}

export interface ConsolePageOptions {
  /**
   * The PBX simulator's origin on the local stack (`http://127.0.0.1:4010`): the page shows its calls and
   * may connect to it. Absent in AWS.
   */
  simulatorOrigin?: string;
}

const LOOPBACK_HTTP = /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d{1,5})?$/;

/**
 * The simulator origin to show, from `PBX_SIMULATOR_URL`: only a loopback `http` origin counts, so that a
 * variable set by mistake in a deployed stack cannot make the page talk to any other host.
 */
export function simulatorOriginOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  let origin: string;
  try {
    origin = new URL(value).origin;
  } catch {
    return undefined;
  }
  return LOOPBACK_HTTP.test(origin) ? origin : undefined;
}

const hashSource = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** The policy: nothing but this page's own script and style (by hash), and requests to the API (and the simulator). */
export function contentSecurityPolicy(options: ConsolePageOptions = {}): string {
  return [
    "default-src 'none'",
    `script-src ${hashSource(CONSOLE_SCRIPT)}`,
    `style-src ${hashSource(CONSOLE_STYLE)}`,
    `connect-src 'self'${options.simulatorOrigin ? ` ${options.simulatorOrigin}` : ''}`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
  ].join('; ');
}

/** The page and the headers it must be served with. */
export function renderConsolePage(options: ConsolePageOptions = {}): ConsolePage {
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex, nofollow">
<title>c2c console</title>
<link rel="icon" href="data:,">
<style>${CONSOLE_STYLE}</style>
</head>
<body data-simulator-url="${escapeAttribute(options.simulatorOrigin ?? '')}">
${BODY}
<script>${CONSOLE_SCRIPT}</script>
</body>
</html>
`;
  return {
    html,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': contentSecurityPolicy(options),
      'cache-control': 'no-store',
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
      'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
      'strict-transport-security': 'max-age=31536000',
    },
  };
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const BODY = `<header>
  <h1>c2c console <small id="stage"></small></h1>
  <span class="fact">Egress IP to allowlist at the PBX: <code id="egress-ip">\u2026</code></span>
  <form id="key-form" autocomplete="off">
    <label for="api-key" class="fact">API key</label>
    <input id="api-key" name="api-key" type="password" autocomplete="off" spellcheck="false" placeholder="c2c_\u2026" required>
    <button id="connect" type="submit">Connect</button>
  </form>
  <button id="disconnect" type="button" class="secondary" hidden>Forget key</button>
  <div id="status" role="status" aria-live="polite"></div>
</header>

<section id="intro" class="panel intro">
  <h2>Operator console</h2>
  <p>Recent calls with their timelines, scheduled and queued calls, per-agent daily figures, the teams with who is free,
  on a call or away, and a form to place a call to an agent or a team. The page holds no data of its own: paste an API
  key of your tenant above (scopes <code>calls:read</code>, <code>calls:write</code>, <code>agents:read</code>; with
  <code>agents:write</code>, the team view can also set an agent away; with <code>subscriptions:read</code>, the webhook
  subscriptions and their recent deliveries). The key stays in this tab (sessionStorage) and
  goes only to this service's API.</p>
</section>

<main id="app" hidden>
  <div class="column">
    <section id="stats" class="panel">
      <h2>Per-agent daily figures <span class="note" id="stats-range"></span></h2>
      <div class="legend"><span><i class="calls"></i>calls</span><span><i class="answered"></i>answered</span><span>% answer rate above each day, talk time below</span></div>
      <div id="charts" class="charts"></div>
    </section>
    <section id="calls" class="panel">
      <h2>Recent calls <span class="note" id="calls-count"></span> <span class="note" id="calls-updated"></span></h2>
      <form id="filters" class="row">
        <label>Lead <input id="filter-lead" name="leadId" placeholder="lead id" autocomplete="off"></label>
        <label>Agent <select id="filter-agent" name="agent"><option value="">any agent</option></select></label>
        <label>State <select id="filter-state" name="state"></select></label>
        <button type="submit" id="filter-apply">Filter</button>
        <button type="button" id="filter-clear" class="secondary">Clear</button>
      </form>
      <ol id="calls-list" class="calls"></ol>
    </section>
  </div>
  <div class="column">
    <section id="place" class="panel">
      <h2>Place a call</h2>
      <form id="place-form" class="stack" autocomplete="off">
        <label>Call for <select id="place-by" name="by"><option value="agent">an agent</option><option value="team">any free agent of a team</option></select></label>
        <label id="place-agent-field">Agent <select id="place-agent" name="agent" required></select></label>
        <label id="place-team-field" hidden>Team <select id="place-team" name="team" required disabled></select></label>
        <label>Number <input id="place-to" name="to" required placeholder="+44 7766 889900"></label>
        <label>Lead id <input id="place-lead" name="lead" placeholder="optional"></label>
        <label id="place-wait-field" hidden>Wait up to (s) for a free agent <input id="place-wait" name="maxWaitSec" type="number" min="1" max="3600" step="1" placeholder="optional: none free is a 429" disabled></label>
        <label>Not before <input id="place-not-before" name="notBefore" type="datetime-local" placeholder="optional"><span class="hint" id="place-tz"></span></label>
        <button id="place-submit" type="submit">Call</button>
      </form>
      <div id="place-result" class="result" aria-live="polite"></div>
    </section>
    <section id="simulator" class="panel" hidden>
      <h2>PBX simulator <span class="note" id="sim-note"></span></h2>
      <ol id="sim-calls" class="sim"></ol>
    </section>
    <section id="teams" class="panel">
      <h2>Teams <span class="note" id="teams-updated"></span></h2>
      <div class="row teams-tools">
        <label>Set away <select id="away-for"><option value="">until set back</option><option value="900">for 15 minutes</option><option value="3600">for an hour</option><option value="14400">for 4 hours</option></select></label>
      </div>
      <div id="teams-list" class="teams"></div>
      <div id="teams-result" class="result" aria-live="polite"></div>
    </section>
    <section id="agents" class="panel">
      <h2>Agents</h2>
      <table><thead><tr><th>CRM user</th><th>Extension</th><th>Name</th><th>Email</th><th>Teams</th></tr></thead><tbody id="agents-body"></tbody></table>
    </section>
    <section id="subscriptions" class="panel">
      <h2>Webhook subscriptions <span class="note" id="subscriptions-updated"></span></h2>
      <table><thead><tr><th>Id</th><th>Status</th><th>URL and events</th><th>Recent deliveries</th></tr></thead><tbody id="subscriptions-body"></tbody></table>
    </section>
  </div>
</main>`;
