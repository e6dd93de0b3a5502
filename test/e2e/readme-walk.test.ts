/**
 * The README's "Five minutes on the local stack", run as a reader runs it: the real `npm start` as a child process
 * (its own process group, free ports, its facts in a temporary C2C_STACK_FILE so a developer's running stack is left
 * alone), and each step's command taken from the README itself, its promised answer checked. A README edit that
 * breaks a promise, or a service change that breaks the README, fails here.
 *
 * To stay near a minute on 2 cores, what does not depend on the walk runs beside it: `npm run pbx-sim` alone during
 * the stack's start-up, the Operator CLI's examples (on their own tenant) during steps 2-6. The walk's stack is started
 * with `--data-dir`, so the same start also serves the `--data-dir` check (stop, start again, the call is still there).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as runCli } from '../../lib/cli/program';
import { signStandardWebhook } from '../../lib/crm/standard-webhooks';
import { PASS_REASONS } from '../../lib/model/call';
import { EnvelopeSealer, LocalKeyProvider } from '../../lib/secrets/seal';
import { createDocumentClient } from '../../lib/store/client';
import { TenantRepository } from '../../lib/store/tenants';
import { freePort } from '../../local/ports';

const ROOT = path.resolve(__dirname, '../..');
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const WEBHOOKS_DOC = readFileSync(path.join(ROOT, 'docs/webhooks.md'), 'utf8');

// ---- the README, read --------------------------------------------------------------------------------------------

/** The text of a `## title` section, up to the next `## `. */
function section(markdown: string, title: string): string {
  const start = markdown.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`no "## ${title}" section`);
  const rest = markdown.slice(start + title.length + 5);
  const end = rest.search(/\n## /);
  return end < 0 ? rest : rest.slice(0, end);
}

const WALK = section(README, 'Five minutes on the local stack');

/** Numbered step `n` of the walk, its lines joined with single spaces (fenced blocks kept apart by {@link fenced}). */
function step(n: number): string {
  const match = new RegExp(`(?:^|\\n)${n}\\. ([\\s\\S]*?)(?=\\n\\d+\\. |\\n\\n[^ ]|$)`).exec(WALK);
  if (!match) throw new Error(`the walk has no step ${n}`);
  return match[1]!.replace(/```[\s\S]*?```/g, ' ').replace(/\s+/g, ' ');
}

/** The inline code spans of a text, in order. */
const spans = (text: string) => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

/** The first span matching `pattern`, or a failure naming what the README stopped saying. */
function span(text: string, pattern: RegExp, what: string): string {
  const found = spans(text).find((s) => pattern.test(s));
  if (found === undefined) throw new Error(`the README no longer shows ${what} (${pattern})`);
  return found;
}

/** What the text says, by a pattern with one group: fails naming the promise when it no longer says it. */
function says(text: string, pattern: RegExp, what: string): string[] {
  const match = pattern.exec(text);
  if (!match) throw new Error(`the README no longer promises ${what} (${pattern})`);
  return match.slice(1);
}

/** The fenced blocks of a text with their language. */
const fenced = (text: string, lang: string) => [...text.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);

// ---- processes -----------------------------------------------------------------------------------------------------

interface Proc {
  child: ChildProcess;
  out: string[];
  exited: Promise<number | null>;
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
}

/**
 * The walk's transcript: what the reader's terminal shows (the banner with the demo key, the API's answers with their
 * numbers). It is not a log of the service, so it stays out of the log scan's folder; the service's own log lines of
 * this stack reach that folder through C2C_LOG_DIR, which the child inherits.
 */
const TRANSCRIPT_DIR = path.join(ROOT, 'test/artifacts/readme-walk');
mkdirSync(TRANSCRIPT_DIR, { recursive: true });
const logFile = () => path.join(TRANSCRIPT_DIR, `transcript-${process.pid}.log`);

/** A command in its own process group, as a terminal runs it, its output kept (and copied for the suite's log scan). */
function launch(command: string, args: string[], env: NodeJS.ProcessEnv): Proc {
  const child = spawn(command, args, { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  const waiters = new Set<() => void>();
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      out.push(...lines);
      if (lines.length) appendFileSync(logFile(), `${lines.join('\n')}\n`);
      for (const w of waiters) w();
    });
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    out,
    exited,
    waitFor: (pattern, timeoutMs) =>
      new Promise((resolve, reject) => {
        let gone = false;
        const check = () => {
          const match = pattern.exec(out.join('\n'));
          if (match) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(match);
          } else if (gone) {
            reject(new Error(`${command} ${args.join(' ')} exited before printing ${pattern}:\n${out.slice(-30).join('\n')}`));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${out.slice(-30).join('\n')}`));
        }, timeoutMs);
        waiters.add(check);
        void exited.then(() => {
          gone = true;
          check();
        });
        check();
      }),
  };
}

/** Whether any process of the group is left (the group's id is its leader's pid). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Ctrl-C: SIGINT to the whole foreground group (or `kill PID`: SIGTERM to npm alone). Resolves with how long until no
 * process of the group was left.
 */
async function ctrlC(proc: Proc, limitMs = 10_000, how: 'ctrl-c' | 'kill' = 'ctrl-c'): Promise<number> {
  const pgid = proc.child.pid!;
  const sent = performance.now();
  if (how === 'ctrl-c') process.kill(-pgid, 'SIGINT');
  else process.kill(pgid, 'SIGTERM');
  while (groupAlive(pgid) && performance.now() - sent < limitMs) await new Promise((r) => setTimeout(r, 25));
  const ms = performance.now() - sent;
  if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
  return ms;
}

/** Whether 127.0.0.1:port can be bound again. */
const bindable = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/** Runs a shell line as a reader pastes it. */
function sh(line: string, env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-c', line],
      { cwd: ROOT, env: { ...childEnv, ...env }, timeout: timeoutMs, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        appendFileSync(logFile(), `${stdout}\n${stderr}\n`);
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

/** What the walk's answers carry (a call, a problem, a list, the simulator's log): each step checks its part. */
interface Answer {
  callId: string;
  state: string;
  duplicate?: boolean;
  code?: string;
  mode?: string;
  pbx: { uniqueId: string };
  agent?: { crmUserId?: string };
  team?: string;
  routing?: { team: string; chosen: string | null; passedOver: Array<{ crmUserId: string; reason: string }> };
  events: Array<{ state: string }>;
  outcome: { billSec: number | null };
  logged?: Array<{ crm: string; state: string; remoteId: string | null }>;
  calls: Array<{ callId: string }>;
  requests: Array<{ query: Record<string, string> }>;
}

/** A curl line run with its HTTP status appended, as `-w` prints it. */
async function curl(line: string, env: NodeJS.ProcessEnv = {}): Promise<{ status: number; body: Answer }> {
  const { stdout, stderr, code } = await sh(`${line} -w '\\n%{http_code}'`, env);
  if (code !== 0) throw new Error(`${line} failed (${code}): ${stderr}`);
  const cut = stdout.lastIndexOf('\n');
  const text = stdout.slice(0, cut);
  let body = {} as Answer;
  try {
    body = JSON.parse(text) as Answer;
  } catch {
    // not JSON: the status is what the step checks
  }
  return { status: Number(stdout.slice(cut + 1)), body };
}

// ---- the walk ------------------------------------------------------------------------------------------------------

const work = mkdtempSync(path.join(tmpdir(), 'c2c-readme-walk-'));
const stackFile = path.join(work, 'stack.json');
const dataDir = path.join(work, 'data');
const childEnv: NodeJS.ProcessEnv = { ...process.env, C2C_STACK_FILE: stackFile, npm_config_update_notifier: 'false', FORCE_COLOR: '0' };
let ports: { api: number; pbx: number; dynamo: number };
let stack: Proc;
let banner: { apiKey: string; curlLine: string; crmUrl: string };
let firstCall: { callId: string; uniqueId: string };
let background: {
  pbxSim: Promise<void>;
  cli?: Promise<CliRun[]>;
  invoke?: Promise<{ code: number; stdout: string; stderr: string }>;
  /** Step 6's unknown call, once npm start printed that the reconciler flagged it. */
  flagged?: Promise<string>;
};
const startArgs = () => [
  'start',
  '--',
  '--port',
  String(ports.api),
  '--pbx-port',
  String(ports.pbx),
  '--dynamo-port',
  String(ports.dynamo),
  '--data-dir',
  dataDir,
];

/** The README's addresses, on this run's ports. */
const local = (text: string) =>
  text
    .replaceAll('http://127.0.0.1:3000', `http://127.0.0.1:${ports.api}`)
    .replaceAll('http://127.0.0.1:4010', `http://127.0.0.1:${ports.pbx}`);
const api = (p: string) => `http://127.0.0.1:${ports.api}${p}`;
const jsonOf = (res: Response) => res.json() as Promise<Answer>;
const health = () => fetch(api('/v1/health')).then((r) => r.status);

beforeAll(async () => {
  ports = { api: await freePort(), pbx: await freePort(), dynamo: await freePort() };
  background = { pbxSim: pbxSimAlone() };
  const started = performance.now();
  stack = launch('npm', startArgs(), childEnv);
  await stack.waitFor(/Ctrl-C stops everything/, 150_000);
  console.log(`npm start ready in ${Math.round(performance.now() - started)} ms`);
}, 180_000);

afterAll(async () => {
  for (const proc of [stack]) if (proc?.child.pid && groupAlive(proc.child.pid)) await ctrlC(proc);
  await Promise.allSettled([background?.pbxSim, background?.cli, background?.invoke, background?.flagged]);
  rmSync(work, { recursive: true, force: true });
});

/** `npm run pbx-sim` on its own: it listens, answers its control API, and Ctrl-C leaves nothing behind. */
async function pbxSimAlone(): Promise<void> {
  const port = await freePort();
  const sim = launch('npm', ['run', 'pbx-sim', '--', '--port', String(port)], childEnv);
  await sim.waitFor(new RegExp(`PBX simulator listening on http://127\\.0\\.0\\.1:${port}`), 60_000);
  const res = await fetch(`http://127.0.0.1:${port}/_sim/requests`);
  if (res.status !== 200) throw new Error(`pbx-sim alone: /_sim/requests answered ${res.status}`);
  const ms = await ctrlC(sim);
  if (ms > 5_000 || !(await bindable(port))) throw new Error(`pbx-sim alone: still there ${Math.round(ms)} ms after Ctrl-C`);
}

// Generous: the steps wait on real processes (serverless-offline's start-up, the CLI's), slow on a busy machine.
describe('README: Five minutes on the local stack, against the real npm start', { timeout: 180_000 }, () => {
  it('1. npm start prints the API, simulator, dynalite, demo tenant, key, agents and a curl line; the facts go to the stack file', () => {
    const text = stack.out.join('\n');
    const [apiUrl, simUrl, dynamo] = says(
      step(1),
      /the API \(`(http:\/\/[^`]+)`\), the PBX simulator \(`(http:\/\/[^`]+)`\) and dynalite \(`:(\d+)`\)/,
      'the three addresses',
    );
    expect(text).toContain(`API             ${local(apiUrl!)}`);
    expect(text).toContain(`PBX simulator   ${local(simUrl!)}`);
    expect(dynamo).toBe('8000');
    expect(text).toContain(`DynamoDB        http://127.0.0.1:${ports.dynamo}`);
    const [tenant] = says(step(1), /the demo tenant `(\w+)`/, 'the demo tenant');
    expect(text).toMatch(new RegExp(`Demo tenant +${tenant}\\n`));
    const agents = [...step(1).matchAll(/`(u-\d+)` on (?:extension )?(\d+)/g)].map((m) => `${m[1]} (ext ${m[2]})`);
    expect(agents.length).toBeGreaterThanOrEqual(2);
    expect(text).toContain(`Agents          ${agents.join(', ')}`);
    const apiKey = /Demo API key +(c2c_\S+)/.exec(text)?.[1];
    expect(apiKey).toBeDefined();
    const curlLine =
      /Place a call:\n((?:.+\n)+?)\n/
        .exec(`${text}\n`)?.[1]
        ?.replace(/\\\n\s*/g, '')
        .trim() ?? '';
    expect(curlLine).toMatch(/^curl /);
    expect(curlLine).toMatch(/Idempotency-Key: [\w-]+'/);
    const crmUrl = /stand-in CRM at (http:\/\/\S+\/c2c-callback)/.exec(text)?.[1] ?? '';
    banner = { apiKey: apiKey!, curlLine, crmUrl };
    // The file the README names, here at C2C_STACK_FILE: the CLI and scripts read the same facts.
    expect(step(1)).toContain('`.local/stack.json`');
    expect(step(1)).toContain('`C2C_STACK_FILE=path`');
    const facts: unknown = JSON.parse(readFileSync(stackFile, 'utf8'));
    expect(facts).toMatchObject({ apiUrl: api(''), demo: { tenantId: tenant, apiKey } });
    // Nothing in the CLI's examples depends on the walk's calls: they run beside it, on their own tenant.
    background.cli = cliExamples();
  });

  it('2. the printed curl line answers 201 with the call in state dialing, shaped as the README shows', async () => {
    const [status, state] = says(step(2), /The answer is `(\d{3})` with the call in state `(\w+)`/, 'the status and state');
    const shown = JSON.parse(fenced(WALK, 'json')[0]!.replace(/,\s*\.\.\./g, '')) as { callId: string; pbx: Record<string, string> };
    const res = await curl(banner.curlLine);
    expect(res.status).toBe(Number(status));
    expect(res.body.state).toBe(state);
    // Every field the README shows, with the ids in the same shape (they differ on each run).
    const shapeOf = (value: string) => new RegExp(`^${value.replace(/[A-Z0-9]/g, '[A-Z0-9]').replace(/\./g, '\\.')}$`);
    const idShapes: Record<string, unknown> = { callId: expect.stringMatching(shapeOf(shown.callId)) as unknown };
    const pbxShapes: Record<string, unknown> = { uniqueId: expect.stringMatching(/^\d+\.\d+$/) as unknown };
    expect(res.body).toMatchObject({ ...shown, ...idShapes, pbx: { ...shown.pbx, ...pbxShapes } });
    firstCall = { callId: res.body.callId, uniqueId: res.body.pbx.uniqueId };
  });

  it('3. the simulator’s request log shows exactly one GET, on the path the README shows', async () => {
    const line = span(step(3), /^curl .*\/_sim\/requests$/, 'the request log curl');
    const [shownPath, query] = span(step(3), /^\/call\//, 'the GET').split('?');
    expect(says(step(3), /shows exactly (one) GET/, 'one GET')).toEqual(['one']);
    const { status, body } = await curl(local(line));
    expect(status).toBe(200);
    expect(body.requests).toHaveLength(1);
    expect(body.requests[0]).toMatchObject({ method: 'GET', path: shownPath });
    const expected = Object.fromEntries(new URLSearchParams(query).entries());
    expect(body.requests[0]?.query).toEqual({ ...expected, c2c_call_id: firstCall.callId });
    expect(expected.c2c_call_id).toBe('c_...');
  });

  it('4. the same line again is a 200 duplicate, still one GET; another number with the key is 409', async () => {
    const [status, dup] = says(
      step(4),
      /again \(the same `Idempotency-Key`\): `(\d{3})`, `"duplicate": (true)`, and still one GET/,
      'the replay',
    );
    const again = await curl(banner.curlLine);
    expect(again.status).toBe(Number(status));
    expect(again.body).toMatchObject({ callId: firstCall.callId, duplicate: dup === 'true' });
    expect((await curl(local(span(step(3), /^curl .*\/_sim\/requests$/, 'the request log curl')))).body.requests).toHaveLength(1);

    const [conflict, code] = says(step(4), /Change the number but keep the key: `(\d{3}) (\w+)`/, 'the 409');
    const to = /"to":"([^"]+)"/.exec(banner.curlLine)![1]!;
    const changed = await curl(
      banner.curlLine.replace(
        to,
        to.replace(/\d$/, (d) => String((Number(d) + 1) % 10)),
      ),
    );
    expect(changed.status).toBe(Number(conflict));
    expect(changed.body.code).toBe(code);
  });

  it('5. reading calls back by lead lists the call; a call to the team goes to a member, routing naming the others', async () => {
    const line = span(step(5), /^curl .*\/v1\/calls\?leadId=/, 'the read-back curl');
    const { status, body } = await curl(local(line), { KEY: banner.apiKey });
    expect(status).toBe(200);
    expect(body.calls.map((c: { callId: string }) => c.callId)).toContain(firstCall.callId);

    const teamLine = span(step(5), /^curl .*"team":/, 'the team call curl');
    const [teamStatus] = says(step(5), /answers `(\d{3})` with the call on the free member/, 'the team call answer');
    const team = /"team":"([^"]+)"/.exec(teamLine)![1]!;
    const [stepTeam] = says(step(1), /three agents in the team `(\w+)`/, 'the demo team');
    expect(team).toBe(stepTeam);
    const members = [...step(1).matchAll(/`(u-\d+)` on (?:extension )?\d+/g)].map((m) => m[1]!);
    const called = await curl(local(teamLine), { KEY: banner.apiKey });
    expect(called.status, JSON.stringify(called.body)).toBe(Number(teamStatus));
    const chosen = called.body.agent?.crmUserId;
    expect(members).toContain(chosen);
    expect(called.body).toMatchObject({ team, routing: { team, chosen } });
    // Every other member is named, once, with why it was passed over.
    const passed = called.body.routing!.passedOver;
    expect(passed.map((p) => p.crmUserId).sort()).toEqual(members.filter((m) => m !== chosen).sort());
    for (const { reason } of passed) expect(PASS_REASONS).toContain(reason);
  });

  it('6. the fault switches: hang gives 202 unknown, not_found gives 422 pbx_not_allowlisted, DELETE puts things right', async () => {
    const text = step(6);
    const put = span(text, /^curl -X PUT .*\/_sim\/fault -d /, 'the fault switch');
    const withKey = (key: string) => banner.curlLine.replace(/Idempotency-Key: [\w-]+/, `Idempotency-Key: ${key}`);

    expect((await curl(local(put))).status).toBe(200);
    const [hangStatus, hangState] = says(text, /`(\d{3})`, state `(\w+)`/, 'the answer under the hang');
    const hung = await curl(withKey(`walk-hang-${Date.now()}`));
    expect(hung.status).toBe(Number(hangStatus));
    expect(hung.body.state).toBe(hangState);
    // What npm start prints once the reconciler gave up on it, "within a minute": awaited by step 8, whose doctor names it.
    const [flagLine] = says(text, /Within a minute `npm start` prints\s+`(\[reconcile\] c_\.\.\. flagged: [^`]+)`/, 'the flagged line');
    const flagged = new RegExp(`^${flagLine!.replace('c_...', hung.body.callId).replace(/[[\]().]/g, '\\$&')}`, 'm');
    background.flagged = stack.waitFor(flagged, 60_000 + 15_000).then(() => hung.body.callId);
    background.flagged.catch(() => undefined);

    const notFound = span(text, /^\{"mode":"not_found"\}$/, 'the not_found fault');
    expect((await curl(local(put.replace(/'\{.*\}'$/, `'${notFound}'`)))).status).toBe(200);
    const [refusedStatus, refusedCode] = says(text, /looks like \(`(\d{3}) (\w+)`\)/, 'the allowlist refusal');
    const refused = await curl(withKey(`walk-404-${Date.now()}`));
    expect(refused.status).toBe(Number(refusedStatus));
    expect(refused.body.code).toBe(refusedCode);

    const clear = span(text, /^curl -X DELETE .*\/_sim\/fault$/, 'the fault reset');
    expect((await curl(local(clear))).body).toMatchObject({ mode: 'none' });
  });

  it('7. the console page is served; the call plays out to completed and the stand-in CRM prints its signed notifications', async () => {
    const consoleUrl = span(step(7), /\/console$/, 'the console address');
    const page = await fetch(local(consoleUrl));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src/);

    const [ringSec, talkSec] = says(step(7), /answered after (\d+) s, then (\d+) s of talk/, 'the playout').map(Number);
    says(step(7), /so the call moves on to `(answered)` and `completed`/, 'answered and completed');
    const deadline = Date.now() + (ringSec! + talkSec!) * 1000 + 20_000;
    let call: Answer;
    do {
      call = await jsonOf(await fetch(api(`/v1/calls/${firstCall.callId}`), { headers: { authorization: `Bearer ${banner.apiKey}` } }));
      if (call.state === 'completed') break;
      await new Promise((r) => setTimeout(r, 500));
    } while (Date.now() < deadline);
    expect(call.state).toBe('completed');
    expect(call.events.map((e: { state: string }) => e.state)).toEqual(expect.arrayContaining(['dialing', 'answered', 'completed']));
    expect(call.outcome.billSec).toBe(talkSec);

    const printed = span(step(7), /^\[crm\] call\.completed \.\.\.$/, 'the [crm] line').replace(' ...', '');
    await stack.waitFor(
      new RegExp(
        `^${printed.replace(/[[\].]/g, '\\$&')} +${firstCall.callId} +webhook-id ${firstCall.callId}\\.\\d+ +\\(${talkSec} s talk\\)$`,
        'm',
      ),
      20_000,
    );
    for (const state of ['dialing', 'answered'])
      expect(stack.out.join('\n')).toMatch(new RegExp(`^\\[crm\\] call\\.${state} +${firstCall.callId}`, 'm'));

    // Logged once in the stand-in HubSpot, on the contact the call's lead names, and the call says where.
    const [leadId, status] = says(step(7), /`\[crm\] HubSpot: call \.\.\. logged on (\d+) \((\w+)\) for c_\.\.\.`/, 'the HubSpot line');
    expect(banner.curlLine).toContain(`"lead":{"id":"${leadId}"}`);
    const [, activityId] = await stack.waitFor(
      new RegExp(`^\\[crm\\] HubSpot: call (\\d+) logged on ${leadId} \\(${status}\\) for ${firstCall.callId}$`, 'm'),
      20_000,
    );
    let loggedIn: Answer['logged'];
    for (let i = 0; i < 20 && !loggedIn?.some((l) => l.state === 'logged'); i++) {
      loggedIn = (
        await jsonOf(await fetch(api(`/v1/calls/${firstCall.callId}`), { headers: { authorization: `Bearer ${banner.apiKey}` } }))
      ).logged;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(loggedIn).toEqual([expect.objectContaining({ crm: 'hubspot', state: 'logged', remoteId: activityId })]);
    expect(stack.out.filter((line) => line.startsWith('[crm] HubSpot:') && line.endsWith(` for ${firstCall.callId}`))).toHaveLength(1);
  });

  it('8. the doctor runs every check, prints its report, exits 0, the stand-in CRM prints the ping, and the stack still serves', async () => {
    const text = step(8);
    const line = span(text, /^npx c2c doctor --tenant \w+$/, 'the doctor command');
    const [verdict] = says(text, /it ends `([^`]+)`, exits 0/, 'the verdict');
    // Step 6's call is flagged by now (or the walk fails there): the one check that is not ✓.
    await background.flagged;
    const doctor = await sh(line);
    expect(doctor.code, doctor.stdout + doctor.stderr).toBe(0);
    const checks = doctor.stdout.split('\n').filter((l) => /^ {2}[✓!✗] /.test(l));
    expect(checks.length).toBeGreaterThanOrEqual(12);
    const [exception] = says(text, /Every check is `✓` but `! ([^`]+)`/, 'the one warning');
    expect(checks.filter((l) => !l.startsWith('  ✓')).map((l) => l.replace(/^( {2}\S \S.*?) {2,}.*$/, '$1'))).toEqual([`  ! ${exception}`]);
    expect(doctor.stdout).toContain(`${verdict}:`);
    expect(doctor.stdout).toMatch(/Callback URL +http:\/\/127\.0\.0\.1:\d+\/c2c-callback answered a signed ping with HTTP 204/);
    const ping = span(text, /^\[crm\] ping \.\.\.$/, 'the [crm] ping line').replace(' ...', '');
    await stack.waitFor(new RegExp(`^\\[crm\\] ${ping.slice(6)} +tenant demo {2}webhook-id ping_[0-9a-f]+`, 'm'), 10_000);
    expect(await health()).toBe(200);
    // From here on, beside the rest: `serverless invoke local` with a sample of events/ (its set-up adds the samples'
    // agents, which share the demo agents' extensions: the doctor would rightly say so, so it runs after the doctor).
    background.invoke = invokeLocal();
  });

  it('8. the stand-in CRM survives malformed deliveries, signed or not, and the API keeps answering', async () => {
    const facts = JSON.parse(readFileSync(stackFile, 'utf8')) as { dynamoEndpoint: string; tableName: string; sealKey: string };
    const table = { doc: createDocumentClient({ region: 'local', endpoint: facts.dynamoEndpoint }), name: facts.tableName };
    let secret: string;
    try {
      const tenant = await new TenantRepository(table, new EnvelopeSealer(new LocalKeyProvider(facts.sealKey))).get('demo');
      secret = tenant!.callback!.secrets[0]!.secret;
    } finally {
      table.doc.destroy();
    }
    const post = (body: string, id: string, sign = true) => {
      const ts = Math.floor(Date.now() / 1000);
      const signature = sign ? signStandardWebhook(secret, id, ts, body) : 'v1,Zm9yZ2Vk';
      return fetch(banner.crmUrl, {
        method: 'POST',
        headers: { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signature },
        body,
      });
    };
    // What ended the whole stack before: a signed body that is not JSON, a call type without a call.
    expect((await post('{"type":"call.completed","data":', 'junk_1')).status).toBe(400);
    expect((await post('{"type":"call.answered","data":{}}', 'junk_2')).status).toBe(204);
    expect((await post('{"type":"call.answered"}', 'junk_3', false)).status).toBe(401);
    await stack.waitFor(/^\[crm\] malformed .*webhook-id junk_1 +refused: HTTP 400 malformed_body$/m, 5_000);
    await stack.waitFor(/^\[crm\] call\.answered +webhook-id junk_2$/m, 5_000);
    const [forgery] = says(step(8), /a forgery: `(refused: HTTP 401) \.\.\.`/, 'the forgery line');
    await stack.waitFor(new RegExp(`^\\[crm\\] call\\.answered +webhook-id junk_3 +${forgery} signature_mismatch$`, 'm'), 5_000);
    expect(await health()).toBe(200);
    expect(stack.child.exitCode).toBeNull();
  });

  it('a tenant made with the CLI lives the same life: an agent on any extension rings, the call completes, the do-not-call list holds', async () => {
    const block = fenced(WALK, 'bash').find((b) => b.includes('npx c2c tenant create shop'))!;
    const lines = block
      .replace(/\\\n\s*/g, '')
      .split('\n')
      .map((l) => l.replace(/\s+#.*$/, '').trim())
      .filter(Boolean);
    let key = '';
    for (const line of lines.filter((l) => l.startsWith('npx c2c '))) {
      let stdout = '';
      let stderr = '';
      const code = await runCli(['node', 'c2c', ...words(local(line)).slice(2)], {
        stdout: { write: (text: string) => (stdout += text) },
        stderr: { write: (text: string) => (stderr += text) },
        env: childEnv,
        stackFile,
      });
      expect(code, `${line}\n${stdout}${stderr}`).toBe(0);
      key ||= /^ {2}(c2c_\S+)$/m.exec(stdout)?.[1] ?? '';
    }
    expect(key).toMatch(/^c2c_/);
    const curlLine = lines.find((l) => l.startsWith('curl '))!;
    const body = /-d '([^']+)'/.exec(curlLine)![1]!;
    const place = (json: string) =>
      fetch(api('/v1/calls'), {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: json,
      });
    const placed = await place(body);
    const call = await jsonOf(placed);
    expect(placed.status, JSON.stringify(call)).toBe(201);
    expect(call.state).toBe('dialing');
    const [ringSec, talkSec] = says(step(7), /answered after (\d+) s, then (\d+) s of talk/, 'the playout').map(Number);
    const deadline = Date.now() + (ringSec! + talkSec!) * 1000 + 30_000;
    let read: Answer;
    do {
      read = await jsonOf(await fetch(api(`/v1/calls/${call.callId}`), { headers: { authorization: `Bearer ${key}` } }));
      if (read.state === 'completed') break;
      await new Promise((r) => setTimeout(r, 500));
    } while (Date.now() < deadline);
    expect(read.state).toBe('completed');
    expect(read.events.map((e: { state: string }) => e.state)).toEqual(expect.arrayContaining(['dialing', 'answered', 'completed']));

    const [listed] = says(WALK, /the same request to `(\+\d+)` answers `422 do_not_call`/, 'the listed number refused');
    const refused = await place(body.replace('+44 7766 889901', listed!));
    expect(refused.status).toBe(422);
    expect((await jsonOf(refused)).code).toBe('do_not_call');
  });

  it('the Operator CLI examples that apply to the local stack run against it', async () => {
    const runs = await background.cli!;
    for (const run of runs) expect(run.code, `${run.line}\n${run.stdout}${run.stderr}`).toBe(run.expectCode);
    expect(runs.map((r) => r.line.split(' ').slice(0, 4).join(' '))).toEqual(
      expect.arrayContaining([
        'npx c2c tenant create',
        'npx c2c key issue',
        'npx c2c key revoke',
        'npx c2c agent import',
        'npx c2c calls erase',
        'npx c2c calls waiting',
        'npx c2c calls cancel',
        'npx c2c outcomes pbx-token',
      ]),
    );
    // The waiting call is listed, then cancelled: it will never dial.
    const waiting = runs.find((r) => r.line.startsWith('npx c2c calls waiting'))!;
    const cancel = runs.find((r) => r.line.startsWith('npx c2c calls cancel'))!;
    expect(waiting.stdout).toMatch(new RegExp(`^${waiting.waitingCallId} +scheduled +\\S+ +requested `, 'm'));
    expect(cancel.stdout).toContain(`Call ${cancel.waitingCallId} is cancelled`);
  });

  it('serverless invoke local runs the hooks function with a sample of events/, as docs/webhooks.md shows', async () => {
    const result = await background.invoke!;
    expect(result.code, result.stderr.slice(-2000)).toBe(0);
    const out = /\{\s*"statusCode": (\d+)[\s\S]*\}\s*$/.exec(result.stdout);
    expect(out?.[1], result.stdout.slice(-2000)).toBe('201');
  });

  it('--data-dir keeps the calls; Ctrl-C, and SIGTERM to npm, leave no process and no bound port', async () => {
    const crmPort = Number(new URL(banner.crmUrl).port);
    const stopMs = await ctrlC(stack);
    console.log(`Ctrl-C: every process of npm start gone in ${Math.round(stopMs)} ms`);
    expect(stopMs).toBeLessThan(5_000);
    for (const port of [ports.api, ports.pbx, ports.dynamo, crmPort]) expect(await bindable(port)).toBe(true);

    stack = launch('npm', startArgs(), childEnv);
    await stack.waitFor(/Ctrl-C stops everything/, 150_000);
    const apiKey = /Demo API key +(c2c_\S+)/.exec(stack.out.join('\n'))![1]!;
    const res = await fetch(api(`/v1/calls/${firstCall.callId}`), { headers: { authorization: `Bearer ${apiKey}` } });
    expect(res.status).toBe(200);
    expect(await jsonOf(res)).toMatchObject({ callId: firstCall.callId, state: 'completed', pbx: { uniqueId: firstCall.uniqueId } });
    expect(step(8)).toMatch(/Ctrl-C stops everything within (5) s/);
    // `kill <npm's pid>` this time: npm passes SIGTERM on, and package.json's `exec` makes it reach the stack.
    const killMs = await ctrlC(stack, 10_000, 'kill');
    console.log(`SIGTERM to npm: every process gone in ${Math.round(killMs)} ms`);
    expect(killMs).toBeLessThan(5_000);
    for (const port of [ports.api, ports.pbx, ports.dynamo]) expect(await bindable(port)).toBe(true);
  });

  it('npm run pbx-sim runs the simulator alone', async () => {
    expect(WALK).toContain('The simulator runs alone with `npm run pbx-sim`.');
    await background.pbxSim;
  });
});

// ---- beside the walk -----------------------------------------------------------------------------------------------

interface CliRun {
  line: string;
  code: number;
  expectCode: number;
  stdout: string;
  stderr: string;
  /** The scheduled call `calls waiting` and `calls cancel` ran on. */
  waitingCallId?: string;
}

/** A command line's words, as a shell splits them (double and single quotes; no expansion). */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

/**
 * The Operator CLI's examples (README "Operator CLI"), on the tenant they name, against this stack's table. They run
 * in this process through the CLI's own entry (`run`, what bin/c2c.ts calls) with the stack file and environment a
 * shell would give `npx c2c`: a dozen more processes would double the walk's time on 2 cores, and step 8 already runs
 * the real `npx c2c` binary against the same stack file. Left out:
 * the doctor (it would check the real CommPeak host; step 8 runs it on the demo tenant), and the callback URL and the
 * CRM connection (their hosts are checked by a DNS lookup, which a machine without internet may wait on). The CSV file named is the sample
 * of events/ (`agents-sample.csv`, `dnc-sample.csv`); `key revoke` gets the id `key list` shows; optional `[...]` parts are left out. `calls waiting` and
 * `calls cancel` run once a call waits: one scheduled for tomorrow through the API with the key `key issue` printed
 * (so nothing dials, and the tenant's real PBX host is never asked), whose id replaces the `c_X...` placeholder.
 */
async function cliExamples(): Promise<CliRun[]> {
  const block = fenced(section(README, 'Operator CLI'), 'bash')[0]!;
  const lines = block
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .flatMap((l) => l.replace(/#.*$/, '').split(' ; '))
    .map((l) => l.replace(/\s*\[[^\]]*\]/g, '').trim())
    // Skipped: the doctor (step 8 runs it), and what resolves a public host in DNS (a callback, a CRM, a subscription's
    // URL are checked against the outbound guard), which this machine cannot; lines naming a subscription by id follow `add`.
    .filter((l) => l.startsWith('npx c2c ') && !/ doctor | callback set | crm connect | subscriptions (?:add|test|log|remove) /.test(l));
  const env = { ...childEnv, HUBSPOT_APP_SECRET: 'hs-walk-test-secret-0000' };
  const run = async (line: string, expectCode = 0): Promise<CliRun> => {
    let stdout = '';
    let stderr = '';
    const argv = words(
      line
        .replace(' agents.csv', ` ${path.join(ROOT, 'events/agents-sample.csv')}`)
        .replace(' dnc.csv', ` ${path.join(ROOT, 'events/dnc-sample.csv')}`),
    ).slice(2);
    const code = await runCli(['node', 'c2c', ...argv], {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      env,
      stackFile,
    });
    return { line, expectCode, code, stdout, stderr };
  };
  const create = lines.find((l) => l.startsWith('npx c2c tenant create'))!;
  const results = [await run(create)];
  const waiting = lines.filter((l) => /^npx c2c calls (?:waiting|cancel) /.test(l));
  const rest = lines.filter((l) => l !== create && !l.startsWith('npx c2c key revoke') && !waiting.includes(l));
  for (const line of rest) results.push(await run(line));
  const issued = results.find((r) => r.line.startsWith('npx c2c key issue'))?.stdout ?? '';
  const key = /^ {2}(c2c_\S+)$/m.exec(issued)?.[1];
  if (waiting.length && key) {
    // `npx c2c agent put <tenant> <crmUserId> ...`: the agent the examples put, on their tenant.
    const [, , , , tenantId, crmUserId] = words(lines.find((l) => l.startsWith('npx c2c agent put'))!);
    const res = await fetch(api('/v1/calls'), {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        agent: { crmUserId },
        to: '+44 7766 889900',
        notBefore: new Date(Date.now() + 86_400_000).toISOString(),
      }),
    });
    const call = (await res.json()) as { callId?: string; state?: string };
    if (res.status === 202 && call.state === 'scheduled') {
      for (const line of waiting) results.push({ ...(await run(line.replace(/c_X+/, call.callId!))), waitingCallId: call.callId });
    } else {
      // Reported by the test as a failed run (a throw here would surface as an unhandled rejection of the background).
      results.push({
        line: `POST /v1/calls for ${tenantId}, scheduled: what calls waiting and calls cancel run on`,
        code: res.status,
        expectCode: 202,
        stdout: JSON.stringify(call),
        stderr: '',
      });
    }
  }
  const revoke = lines.find((l) => l.startsWith('npx c2c key revoke'));
  const keyId = /Issued key (k_[0-9A-Za-z_-]{8})/.exec(issued)?.[1];
  if (revoke && keyId) results.push(await run(revoke.replace(/k_X+/, keyId)));
  return results;
}

/** docs/webhooks.md "Trying it: the samples", with `.local/` in this test's folder (beside its stack file). */
async function invokeLocal(): Promise<{ code: number; stdout: string; stderr: string }> {
  const block = fenced(section(WEBHOOKS_DOC, 'Trying it: the samples'), 'sh')[0]!;
  const script = block.replace(/\.\/\.local\/|\.local\//g, `${work}/`);
  return sh(`set -e\n${script}`, {}, 120_000);
}
