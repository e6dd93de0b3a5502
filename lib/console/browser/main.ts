/**
 * The console's browser code: this module wires the panels (panels/) to the page and runs their refresh loops while a
 * key is connected. `npm run build:console` (scripts/build-console.ts) bundles it into one script,
 * lib/console/generated/script.ts, that lib/console/page.ts inlines in the page and allows by its hash in the
 * Content-Security-Policy. It runs under Trusted Types, so it never assigns HTML: every value from the API goes
 * into the page as text (dom.ts). The layout of the modules: docs/console.md, "The page's code".
 */
import { onUnauthorized } from './api';
import { $, input, setStatus } from './dom';
import { toggleAvailability } from './panels/away-toggle';
import { clearFilters, fillStateFilter, takeFilters } from './panels/calls';
import { cancelCall } from './panels/cancel';
import { loadHealth } from './panels/health';
import { placeCall, showPlaceBy, showPlaceTimeZone } from './panels/place-form';
import { refresh } from './panels/refresh';
import { loadSimulator, simulatorUrl } from './panels/simulator';
import { maybeLoadStats } from './panels/stats';
import { loadSubscriptions } from './panels/subscriptions';
import {
  AGENTS_EVERY_MS,
  CALLS_EVERY_MS,
  HEALTH_EVERY_MS,
  KEY_STORAGE,
  SIM_EVERY_MS,
  STATS_AFTER_CHANGE_MS,
  SUBSCRIPTIONS_EVERY_MS,
  state,
} from './state';

/** Runs fn now and again ms after each run ends, while this connection lasts; skips runs while the tab is hidden. */
function every(ms: number, fn: () => Promise<unknown>) {
  const mine = state.generation;
  function tick() {
    if (mine !== state.generation) return;
    const run = document.hidden ? Promise.resolve() : Promise.resolve().then(fn);
    void run
      .catch((error: unknown) => {
        console.warn('console refresh failed', error);
      })
      .then(() => {
        if (mine === state.generation) setTimeout(tick, ms);
      });
  }
  tick();
}

function connect(key: string) {
  state.generation++;
  state.session = { key: key, generation: state.generation };
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
    'Connected \u00b7 the calls and the team view refresh together every ' +
      CALLS_EVERY_MS / 1000 +
      ' s, the agents and teams read at most every ' +
      AGENTS_EVERY_MS / 1000 +
      ' s',
  );
  state.statsDueAt = 0;
  state.callsSignature = '';
  state.selectsSignature = '';
  state.teamsSignature = '';
  state.agentsReadAt = 0;
  // The list and the team view from one refresh: the calls every tick, the agents and teams every AGENTS_EVERY_MS.
  every(CALLS_EVERY_MS, () => refresh());
  every(STATS_AFTER_CHANGE_MS, maybeLoadStats);
  every(SUBSCRIPTIONS_EVERY_MS, loadSubscriptions);
  if (simulatorUrl) {
    $('simulator').hidden = false;
    every(SIM_EVERY_MS, loadSimulator);
  }
}

function disconnect(message?: string, isError?: boolean) {
  state.generation++;
  state.session = null;
  try {
    sessionStorage.removeItem(KEY_STORAGE);
  } catch {
    /* nothing stored */
  }
  ['calls-list', 'charts', 'agents-body', 'teams-list', 'teams-result', 'sim-calls', 'place-result', 'subscriptions-body'].forEach((id) =>
    $(id).replaceChildren(),
  );
  state.agents = [];
  state.teams = [];
  state.calls = [];
  state.agentsProblem = null;
  state.teamsProblem = null;
  state.placedCallIds = [];
  state.cancelNotes.clear();
  state.cancelling.clear();
  state.toggling.clear();
  $('app').hidden = true;
  $('intro').hidden = false;
  $('key-form').hidden = false;
  $('disconnect').hidden = true;
  setStatus(message || 'Key forgotten.', isError);
}

function init() {
  // A key the API refuses (401) is dropped, with the API's words.
  onUnauthorized((message) => disconnect(message, true));
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
  showPlaceTimeZone();
  // The rows are redrawn on every refresh: one listener on each list instead of one per button.
  $('calls-list').addEventListener('click', (event) => {
    const button = event.target instanceof Element ? event.target.closest('button[data-cancel]') : null;
    if (button) void cancelCall(button.getAttribute('data-cancel') || '');
  });
  $('teams-list').addEventListener('click', (event) => {
    const button = event.target instanceof Element ? event.target.closest('button[data-toggle]') : null;
    if (button) void toggleAvailability(button.getAttribute('data-toggle') || '', button.getAttribute('data-available') === 'true');
  });
  // A filter reads the list at once; the refresh keeps the team view in step with it.
  const applyFilters = (event?: Event) => {
    if (event) event.preventDefault();
    takeFilters();
    void refresh();
  };
  $('filters').addEventListener('submit', applyFilters);
  $('filter-clear').addEventListener('click', () => {
    clearFilters();
    void refresh();
  });
  $('filter-agent').addEventListener('change', applyFilters);
  $('filter-state').addEventListener('change', applyFilters);
  fillStateFilter();
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
