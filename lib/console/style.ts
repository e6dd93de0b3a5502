/**
 * The console's stylesheet, inlined in the page and allowed by its hash in the Content-Security-Policy
 * (lib/console/page.ts). No `style` attributes anywhere: the policy would refuse them.
 */
export const CONSOLE_STYLE = String.raw`
:root {
  --bg: #f3f5f8; --panel: #fff; --ink: #1b2130; --muted: #5d6679; --line: #dfe3ea; --head: #151b28;
  --accent: #2557d6; --ok: #1e7f47; --warn: #a86300; --bad: #c0362c; --odd: #6b46c1;
  --bar-calls: #8aa5ea; --bar-answered: #1e7f47;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  color: var(--ink); background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; }
code, .mono { font-family: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, monospace; font-size: 12.5px; }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 10px 28px; padding: 12px 20px; background: var(--head); color: #fff; }
header h1 { margin: 0; font-size: 18px; font-weight: 650; letter-spacing: .2px; }
header h1 small { font-weight: 400; color: #aab4c8; margin-left: 6px; font-size: 13px; }
header .fact { color: #c9d1e0; }
header .fact code { color: #fff; background: #2a3347; padding: 2px 6px; border-radius: 4px; font-size: 13px; }
#key-form { display: flex; gap: 8px; margin-left: auto; align-items: center; }
#key-form input { width: 300px; }
#status { flex-basis: 100%; color: #c9d1e0; font-size: 12.5px; min-height: 1.2em; }
#status.error { color: #ffb4ab; }
input, select, button { font: inherit; padding: 6px 9px; border: 1px solid var(--line); border-radius: 6px; background: #fff; color: var(--ink); }
input:focus, select:focus { outline: 2px solid #9db5f5; outline-offset: 0; }
button { background: var(--accent); border-color: var(--accent); color: #fff; cursor: pointer; font-weight: 600; }
button.secondary { background: #fff; color: var(--ink); border-color: var(--line); font-weight: 500; }
header button.secondary { background: transparent; color: #fff; border-color: #55607a; }
button:disabled { opacity: .55; cursor: progress; }
main { display: grid; grid-template-columns: minmax(0, 1fr) 430px; gap: 16px; padding: 16px 20px 32px; align-items: start; }
main[hidden], [hidden] { display: none !important; }
.column { display: grid; gap: 16px; min-width: 0; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; min-width: 0; }
.panel h2 { margin: 0 0 10px; font-size: 15px; font-weight: 650; display: flex; align-items: baseline; gap: 10px; }
.panel h2 .note { font-weight: 400; color: var(--muted); font-size: 12.5px; }
.muted { color: var(--muted); }
.intro { max-width: 720px; margin: 24px auto; }
form.stack { display: grid; gap: 8px; }
form.stack label { display: grid; gap: 3px; font-size: 12.5px; color: var(--muted); }
form.row { display: flex; flex-wrap: wrap; gap: 8px; align-items: end; margin-bottom: 10px; }
form.row label { display: grid; gap: 3px; font-size: 12.5px; color: var(--muted); }
form.row input { width: 150px; }
.result { margin-top: 10px; font-size: 13px; }
.result .ok { color: var(--ok); font-weight: 600; }
.problem { border-left: 3px solid var(--bad); background: #fdf1f0; padding: 8px 10px; border-radius: 4px; margin-top: 8px; }
.problem strong { color: var(--bad); }
.problem ul { margin: 4px 0 0; padding-left: 18px; }
.problem p { margin: 3px 0 0; }
ol.calls { list-style: none; margin: 0; padding: 0; }
ol.calls > li { border-top: 1px solid var(--line); padding: 9px 4px; }
ol.calls > li:first-child { border-top: 0; }
ol.calls > li.mine { background: #f1f5ff; border-radius: 6px; box-shadow: inset 3px 0 0 var(--accent); padding-left: 10px; }
.call-head { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 12px; }
.call-head .when { margin-left: auto; color: var(--muted); font-size: 12.5px; }
.call-meta { display: flex; flex-wrap: wrap; gap: 4px 16px; margin: 3px 0 6px; font-size: 13px; }
.call-wait, .call-route { display: flex; flex-wrap: wrap; gap: 2px 16px; margin: -2px 0 6px; font-size: 12.5px; }
.call-wait .due { font-weight: 600; }
.call-route { display: block; color: var(--muted); }
.call-route code { color: var(--ink); }
.call-logged { list-style: none; margin: -2px 0 6px; padding: 0; font-size: 12.5px; color: var(--muted); }
.call-logged [data-logged='logged'] { color: var(--ink); }
.call-logged [data-logged='held'], .call-logged [data-logged='dead'] { color: var(--bad); }
.call-result:empty { display: none; }
.call-result { font-size: 13px; margin-top: 6px; }
.call-result .ok { color: var(--ok); font-weight: 600; }
.cancel-note { margin: 0; }
button.small { padding: 2px 9px; font-size: 12px; border-radius: 5px; }
button.cancel { background: #fff; color: var(--bad); border-color: #e3b2ac; }
button.cancel:hover:not(:disabled) { background: #fdf1f0; }
form.stack .hint { font-size: 11.5px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 650; color: #fff; background: #6b7385; }
ol.timeline { list-style: none; display: flex; flex-wrap: wrap; gap: 4px 0; margin: 0; padding: 0; }
ol.timeline li { display: inline-flex; align-items: center; font-size: 12px; }
ol.timeline li + li::before { content: "\2192"; color: var(--muted); margin: 0 5px; }
ol.timeline .chip { display: inline-flex; align-items: baseline; gap: 5px; padding: 2px 8px; border-radius: 12px; background: #eef1f6; border: 1px solid #d9deea; }
ol.timeline .chip-state { font-weight: 650; }
ol.timeline time { color: var(--muted); font-variant-numeric: tabular-nums; }
.state-accepted, .state-dispatching { --c: #6b7385; }
.state-dialing { --c: var(--accent); }
.state-answered { --c: #0f7a8a; }
.state-completed { --c: var(--ok); }
.state-no_answer, .state-busy { --c: var(--warn); }
.state-failed, .state-rejected, .state-not_sent { --c: var(--bad); }
.state-unknown { --c: var(--odd); }
.state-scheduled { --c: #5b6bbf; }
.state-queued { --c: #b4582a; }
.state-cancelled { --c: #8a93a5; }
.badge[class*="state-"] { background: var(--c); }
ol.timeline li[class*="state-"] .chip-state { color: var(--c); }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr)); gap: 12px 20px; }
figure.agent-chart { margin: 0; }
figure.agent-chart h3 { margin: 0 0 2px; font-size: 13.5px; }
figure.agent-chart svg { width: 100%; height: auto; display: block; }
figure.agent-chart figcaption { font-size: 12.5px; color: var(--muted); }
svg .bar-calls { fill: var(--bar-calls); }
svg .bar-answered { fill: var(--bar-answered); }
svg .grid { stroke: #e6e9ef; stroke-width: 1; }
svg .axis { stroke: #b9c0cc; stroke-width: 1; }
svg text { font-size: 10.5px; fill: var(--muted); }
svg text.value { fill: var(--ink); font-size: 10px; }
svg text.rate { fill: var(--ok); font-weight: 650; }
svg text.today { fill: var(--ink); font-weight: 700; }
svg text.talk { font-size: 9.5px; }
.legend { display: flex; gap: 14px; font-size: 12.5px; color: var(--muted); }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
.legend .calls { background: var(--bar-calls); }
.legend .answered { background: var(--bar-answered); }
table { width: 100%; border-collapse: collapse; font-size: 13px; }
th, td { text-align: left; padding: 5px 6px; border-bottom: 1px solid var(--line); }
th { font-size: 12px; color: var(--muted); font-weight: 600; }
tr:last-child td { border-bottom: 0; }
.teams-tools { display: flex; justify-content: flex-end; margin: -4px 0 6px; }
.teams-tools label { font-size: 12.5px; color: var(--muted); display: flex; align-items: center; gap: 6px; }
.teams-tools select { padding: 3px 6px; font-size: 12.5px; }
.team + .team { margin-top: 14px; }
.team h3 { margin: 0 0 4px; font-size: 13.5px; display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 10px; }
.team h3 .note { font-weight: 400; color: var(--muted); font-size: 12px; }
table.members td { vertical-align: middle; }
table.members td.who { white-space: nowrap; width: 1%; }
table.members td.now { width: 100%; }
#agents th, #agents td code { white-space: nowrap; }
table.members td.actions { text-align: right; white-space: nowrap; }
table.members .detail { color: var(--muted); font-size: 12px; overflow-wrap: anywhere; }
td.deliveries ol.attempts { margin: 0; padding-left: 16px; font-size: 12px; }
td.deliveries li[data-status="failed"], td.deliveries li[data-status="dead"] { color: var(--bad); }
.avail { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 650; color: #fff; background: var(--a, #6b7385); white-space: nowrap; }
.avail-available { --a: var(--ok); }
.avail-placing_call { --a: var(--accent); }
.avail-on_call { --a: #0f7a8a; }
.avail-away { --a: #8a93a5; }
ol.sim { list-style: none; margin: 0; padding: 0; font-size: 13px; }
ol.sim li { display: grid; grid-template-columns: 92px 1fr; gap: 1px 10px; padding: 6px 2px; border-top: 1px solid var(--line); }
ol.sim li:first-child { border-top: 0; }
ol.sim .sub { grid-column: 2; color: var(--muted); font-size: 12px; }
.phase { display: inline-block; text-align: center; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 650; color: #fff; background: #6b7385; }
.phase-ringing { background: var(--warn); animation: ring 0.9s ease-in-out infinite; }
.phase-answered { background: #0f7a8a; }
.phase-ended { background: #8a93a5; }
@keyframes ring { 0%, 100% { transform: rotate(0); } 20% { transform: rotate(-4deg); } 40% { transform: rotate(4deg); } 60% { transform: rotate(-2deg); } 80% { transform: rotate(2deg); } }
@media (prefers-reduced-motion: reduce) { .phase-ringing { animation: none; } }
@media (max-width: 1000px) { main { grid-template-columns: minmax(0, 1fr); } #key-form { margin-left: 0; } }
`;
