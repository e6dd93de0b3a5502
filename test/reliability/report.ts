import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';

export interface ReliabilityRow {
  check: string;
  expected: string;
  observed: string;
  holds: boolean;
}

/** The table of the reliability suite, as Markdown: printed by every run, written to RELIABILITY.md on request. */
export function renderTable(rows: ReliabilityRow[]): string {
  const escape = (s: string) => s.replace(/\|/g, '\\|');
  return [
    '| check | expected | observed | holds |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${escape(r.check)} | ${escape(r.expected)} | ${escape(r.observed)} | ${r.holds ? 'yes' : '**NO**'} |`),
  ].join('\n');
}

export function writeReport(file: string, rows: ReliabilityRow[], elapsedMs: number) {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const text = `# Reliability

Made by \`npm run test:reliability\` (the same suite runs inside \`npm test\`, without rewriting this file).
Every line is asserted by the suite: a line that does not hold fails the run.

- When: ${new Date().toISOString()}
- Machine: ${os.cpus().length} x ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}, Node.js ${process.version}
- Parts: the real handlers \`functions/calls-create\` and \`functions/calls-cancel\`, the real use cases and scheduler
  (\`lib/calls/dispatch-due.ts\`, on a clock the suite drives), AWS SDK v3 against dynalite over HTTP, real HTTP to
  the PBX simulator (which counts every request it receives).
- Suite wall time: ${(elapsedMs / 1000).toFixed(1)} s

${renderTable(rows)}

## How to read it

- "GETs" are requests the PBX simulator received: real dials.
- A retry is the same delivery again: same \`Idempotency-Key\`, same body.
- \`unknown\` and \`dispatching\` are never sent again: the GET may have reached the PBX. The reconciler settles them
  from the PBX's CDR search, or leaves them \`unknown\` and flagged for a human. \`not_sent\` (nothing left this host)
  is the only state a retry may dial from.
- A crash between the reservation and the GET therefore costs a call (flagged, never dialled) rather than risking
  a second ring: at most once, by design.
- A \`scheduled\` or \`queued\` call is dialled by the scheduler only after one conditional write moved it to
  \`dispatching\` (its claim). A second scheduler run, or a cancel, that comes later finds it claimed and sends
  nothing: the cancel answers 409 \`already_dispatched\`. A crash after the claim is settled as one after the reservation.
`;
  writeFileSync(file, text + keptSections(file));
}

/**
 * Another file of the suite (e.g. dynamodb-faults.test.ts) writes its own section of RELIABILITY.md, between
 * markers: each file rewrites only its section, so the files can run alone or in parallel workers.
 */
const sectionStart = (id: string) => `<!-- section:${id} -->`;
const sectionEnd = (id: string) => `<!-- /section:${id} -->`;
const SECTION = /<!-- section:([\w-]+) -->[\s\S]*?<!-- \/section:\1 -->\n?/g;

function keptSections(file: string): string {
  if (!existsSync(file)) return '';
  const sections = readFileSync(file, 'utf8').match(SECTION) ?? [];
  return sections.map((s) => `\n${s.trimEnd()}\n`).join('');
}

/** Replaces (or appends) the section `id` of the report with `markdown`, leaving everything else as it is. */
export function writeReportSection(file: string, id: string, markdown: string) {
  const block = `${sectionStart(id)}\n${markdown.trim()}\n${sectionEnd(id)}\n`;
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Reliability\n';
  const start = current.indexOf(sectionStart(id));
  const end = current.indexOf(sectionEnd(id));
  const next =
    start >= 0 && end > start
      ? current.slice(0, start) + block + current.slice(end + sectionEnd(id).length).replace(/^\n/, '')
      : `${current.trimEnd()}\n\n${block}`;
  writeFileSync(file, next);
}

/** One line about the machine and the run, for a section's header. */
export function machineLine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${os.cpus().length} x ${cpu}, Node.js ${process.version}`;
}
