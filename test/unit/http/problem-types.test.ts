import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REJECTION_REASONS } from '../../../lib/model/call';
import { PROBLEM_KINDS } from '../../../lib/model/domain-error';
import { PROBLEM_TYPE_BASE, UnprocessableError } from '../../../lib/http/errors';
import { httpHandler } from '../../../lib/http/handler';
import { invoke } from '../../support/env';

const ROOT = path.resolve(__dirname, '../../..');
const API_DOC = readFileSync(path.join(ROOT, 'docs/api.md'), 'utf8');

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(rel);
    return entry.name.endsWith('.ts') ? [rel] : [];
  });
}

const SOURCES = [...sourceFiles('lib'), ...sourceFiles('functions')].map((file) => ({
  file,
  text: readFileSync(path.join(ROOT, file), 'utf8'),
}));
const CODE = `'([a-z][a-z0-9_]*)'`;

/** The object literal around `index`: from the nearest unclosed `{` before it to its matching `}`. */
function enclosingObject(text: string, index: number): string {
  let depth = 0;
  let start = index;
  for (; start > 0; start--) {
    if (text[start] === '}') depth++;
    if (text[start] === '{' && depth-- === 0) break;
  }
  depth = 0;
  for (let end = start; end < text.length; end++) {
    if (text[end] === '{') depth++;
    if (text[end] === '}' && --depth === 0) return text.slice(start, end + 1);
  }
  return text.slice(start);
}

/**
 * Every problem `code` the code base can answer with, read from the source itself, so a new code cannot
 * ship without its section in docs/api.md:
 * - the literal code given to an HttpProblem class (or a subclass, found by `extends`) by `new` or `super`;
 * - the literal codes of the call outcomes that become problems (`kind: 'refused'` with a `detail`; the PBX's own
 *   `refused` answers carry a `message`), the refusal codes of the call policy (lib/policy), the rejection reasons,
 *   and the reasons the ledger and the scheduler write on a call (`rejected`, `not_sent`), which a replay of the same
 *   key answers with.
 * A `reason` inside a schedule (`{notBefore, reason}`: `requested`, `calling_hours`) says why a call waits: it is
 * never written as the call's reason nor answered as a code, so it is left out.
 */
function problemCodesInSource(): Set<string> {
  // Every code a DomainError can carry (the type allows no other), and the rejection reasons a replay answers with.
  const codes = new Set<string>([...REJECTION_REASONS, ...Object.keys(PROBLEM_KINDS)]);
  const family = new Set(['HttpProblem', 'DomainError']);
  const extensions = SOURCES.flatMap(({ text }) => [...text.matchAll(/class (\w+) extends (\w+)/g)].map((m) => [m[1]!, m[2]!] as const));
  for (let grown = true; grown;) {
    grown = false;
    for (const [child, parent] of extensions) {
      if (family.has(parent) && !family.has(child)) {
        family.add(child);
        grown = true;
      }
    }
  }
  const classNames = [...family].join('|');
  for (const { file, text } of SOURCES) {
    for (const m of text.matchAll(new RegExp(`new (?:${classNames})\\(\\s*(?:\\d{3}\\s*,\\s*)?${CODE}`, 'g'))) codes.add(m[1]!);
    // `super(...)` inside a class of the family: each class's body runs up to the next class.
    for (const chunk of text.split(/(?=\bclass \w+ extends )/)) {
      const parent = /^class \w+ extends (\w+)/.exec(chunk)?.[1];
      if (parent && family.has(parent))
        for (const m of chunk.matchAll(new RegExp(`super\\(\\s*(?:\\d{3}\\s*,\\s*)?${CODE}`, 'g'))) codes.add(m[1]!);
    }
    for (const at of [...text.matchAll(/kind: 'refused'/g)].map((m) => m.index)) {
      const outcome = enclosingObject(text, at);
      if (!/\bdetail\b/.test(outcome)) continue; // a PBX answer (lib/pbx), not a call outcome
      for (const m of outcome.matchAll(new RegExp(`(?:code: |\\?\\? )${CODE}`, 'g'))) codes.add(m[1]!);
    }
    if (file.startsWith(path.join('lib', 'policy'))) for (const m of text.matchAll(new RegExp(`code: ${CODE}`, 'g'))) codes.add(m[1]!);
    if (file === path.join('lib', 'calls', 'place-call.ts') || file.startsWith(path.join('lib', 'calls', 'place') + path.sep))
      for (const m of text.matchAll(new RegExp(`reason: ${CODE}`, 'g')))
        if (!/\bnotBefore\b/.test(enclosingObject(text, m.index))) codes.add(m[1]!);
    if (file === path.join('lib', 'calls', 'dispatch-due.ts'))
      for (const m of text.matchAll(new RegExp(`this\\.end\\(call, '(?:rejected|not_sent)', ${CODE}`, 'g'))) codes.add(m[1]!);
  }
  return codes;
}

const documentedCodes = () => [...API_DOC.matchAll(/<a id="problem-([a-z0-9_]+)"><\/a>/g)].map((m) => m[1]!);

describe('problem types', () => {
  it('finds the codes of every kind of source (the scan itself works)', () => {
    const codes = problemCodesInSource();
    for (const code of [
      'invalid_request',
      'unauthorized',
      'insufficient_scope',
      'unknown_source',
      'mapping_failed',
      'idempotency_key_reused',
      'agent_not_found',
      'pbx_unreachable',
      'store_unavailable',
      'agent_busy',
      'destination_rate_limited',
      'probe_rate_limited',
      'range_too_large',
      'internal_error',
      'team_not_found',
      'no_agent_available',
      'already_dispatched',
      'not_cancellable',
      'tenant_inactive',
    ]) {
      expect(codes, code).toContain(code);
    }
    // Why a scheduled call waits, not a code: the scan must not take it for one.
    for (const notACode of ['requested', 'calling_hours']) expect(codes, notACode).not.toContain(notACode);
  });

  it('documents every code the code base can answer with in docs/api.md, each under its own anchor, and no other', () => {
    const documented = documentedCodes();
    expect(new Set(documented).size, 'an anchor is repeated').toBe(documented.length);
    expect([...problemCodesInSource()].sort()).toEqual([...documented].sort());
  });

  it('gives each code a heading right under its anchor', () => {
    for (const code of documentedCodes()) {
      expect(API_DOC, code).toMatch(new RegExp(`<a id="problem-${code}"></a>\\n#+ \`${code}\``));
    }
  });

  it('answers with a type that is a reference into docs/api.md, the same from every route', async () => {
    const refusing = httpHandler({}, () =>
      Promise.reject(new UnprocessableError('agent_not_found', 'No agent of this tenant matches the request.')),
    );
    const res = await invoke(refusing, {
      method: 'POST',
      route: '/v1/hooks/{source}/{tenantId}',
      path: { source: 'token', tenantId: 'acme' },
      body: {},
    });
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.body).toMatchObject({ type: '/docs/api.md#problem-agent_not_found', code: 'agent_not_found', status: 422 });
    const { type } = res.body as { type: string };
    expect(type).toBe(`${PROBLEM_TYPE_BASE}agent_not_found`);
    // Resolved against any route of a deployment (RFC 3986 §5), it lands on the same page and anchor.
    for (const route of ['https://api.acme.example/v1/calls', 'https://api.acme.example/v1/hooks/token/acme']) {
      const resolved = new URL(type, route);
      expect(resolved.href).toBe('https://api.acme.example/docs/api.md#problem-agent_not_found');
    }
    expect(documentedCodes()).toContain(new URL(type, 'https://x.example/').hash.slice('#problem-'.length));
  });
});
