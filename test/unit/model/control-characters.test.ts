/**
 * The one set of control characters (lib/model/control-characters.ts): refused in identifiers and names by the
 * model, escaped visibly in everything the CLI prints. Each kind is a row: C0 (ESC, BEL, CR, BS, NUL, LF, TAB), DEL,
 * C1 (U+009B, a one-character CSI), and every bidirectional mark, embedding, override and isolate.
 */
import { describe, expect, it } from 'vitest';
import { callRequestSchema } from '../../../lib/calls/request';
import { escapingOutput, oneLine, renderFields, renderTable, terminalOf, writeJson } from '../../../lib/cli/io';
import { agentInputSchema, crmUserIdSchema } from '../../../lib/model/agent';
import { escapeControlCharacters, firstControlCharacter } from '../../../lib/model/control-characters';
import { tenantNameSchema } from '../../../lib/model/tenant';
import { apiKeyNameSchema } from '../../../lib/store/api-keys';
import { payloadPathSchema } from '../../../lib/store/webhook-sources';
import { CONTROL_KINDS } from '../../support/control-characters';

/** Text that is text: kept as it is, however far from ASCII. */
const ORDINARY = ['Zoë Ångström', 'Renée Müller-Łukasz', '山田太郎', '김민준', 'محمد', 'עברית', '👩🏽‍💻 sales 🚀', 'a\u00a0b', 'x\u2028y'];

describe('escapeControlCharacters', () => {
  it.each(CONTROL_KINDS)('escapes %s visibly, alone and between text', (_kind, char, escaped) => {
    expect(escapeControlCharacters(char)).toBe(escaped);
    expect(escapeControlCharacters(`ab${char}cd${char}`)).toBe(`ab${escaped}cd${escaped}`);
    expect(firstControlCharacter(`ab${char}`)).toBe(char);
  });

  it.each(ORDINARY)('keeps %s as it is', (text) => {
    expect(escapeControlCharacters(text)).toBe(text);
    expect(firstControlCharacter(text)).toBeUndefined();
  });

  it('keeps line breaks only when asked, and escapes everything else around them', () => {
    expect(escapeControlCharacters('a\nb\u001b[2J\r', { keepNewlines: true })).toBe('a\nb\\u001b[2J\\u000d');
    expect(escapeControlCharacters('a\nb', { keepNewlines: false })).toBe('a\\u000ab');
  });

  it('leaves JSON valid and meaning the same values', () => {
    const value = { name: `x${CONTROL_KINDS.map(([, c]) => c).join('')}y`, emoji: '👩🏽‍💻' };
    const escaped = escapeControlCharacters(JSON.stringify(value, null, 2), { keepNewlines: true });
    expect(firstControlCharacter(escaped.replace(/\n/g, ''))).toBeUndefined();
    expect(JSON.parse(escaped)).toEqual(value);
  });
});

describe("the CLI's printing paths", () => {
  const capture = () => {
    let text = '';
    return { out: { write: (t: string) => (text += t), isTTY: true }, text: () => text };
  };

  it.each(CONTROL_KINDS)('tables, fields, one-line messages, JSON and the streams carry no raw %s', (_kind, char, escaped) => {
    const stored = `evil${char}name`;
    expect(renderTable([{ v: stored }], [{ header: 'NAME', value: (r) => r.v }])).toBe(`NAME\nevil${escaped}name\n`);
    expect(renderFields([['name', stored]])).toBe(`name: evil${escaped}name\n`);
    expect(oneLine(stored)).toBe(`evil${escaped}name`);

    const json = capture();
    writeJson(json.out, { name: stored });
    expect(JSON.parse(json.text())).toEqual({ name: stored });
    // Its own line breaks only: the value's is escaped (JSON.stringify does C0, the escape C1, DEL and bidi).
    expect(json.text().split('\n')).toEqual(['{', expect.any(String), '}', '']);
    expect(firstControlCharacter(json.text().replace(/\n/g, ''))).toBeUndefined();

    const stream = capture();
    const escaping = escapingOutput(stream.out);
    escaping.write(`c2c: ${stored}\n`);
    expect(stream.text()).toBe(char === '\n' ? `c2c: evil\nname\n` : `c2c: evil${escaped}name\n`);
    expect(escaping.isTTY).toBe(true);
  });

  it('wraps a stream once, and gives the progress bar the stream beneath', () => {
    const stream = capture();
    const escaping = escapingOutput(stream.out);
    expect(escapingOutput(escaping)).toBe(escaping);
    expect(terminalOf(escaping)).toBe(stream.out);
    terminalOf(escaping).write('\u001b[2K\r');
    expect(stream.text()).toBe('\u001b[2K\r');
  });
});

describe('identifiers and names refuse control characters at the model', () => {
  const refusals: ReadonlyArray<
    [
      field: string,
      parse: (text: string) => { success: boolean; error?: { issues: Array<{ path: PropertyKey[]; message: string }> } },
      path: string,
    ]
  > = [
    ['crmUserId', (t) => crmUserIdSchema.safeParse(`u${t}1`), ''],
    ['agent name', (t) => agentInputSchema.safeParse({ extension: '100', name: `Bo${t}b` }), 'name'],
    ['agent email', (t) => agentInputSchema.safeParse({ extension: '100', email: `bo${t}b@example.com` }), 'email'],
    ['agent team', (t) => agentInputSchema.safeParse({ extension: '100', teams: [`sa${t}les`] }), 'teams.0'],
    ['tenant name', (t) => tenantNameSchema.safeParse(`Acme${t}Ltd`), ''],
    ['API key name', (t) => apiKeyNameSchema.safeParse(`HubSpot${t}flow`), ''],
    ['webhook payload path', (t) => payloadPathSchema.safeParse(`properties.ph${t}one`), ''],
    [
      'call agent crmUserId',
      (t) => callRequestSchema.safeParse({ agent: { crmUserId: `u${t}1` }, to: '+442071234567' }),
      'agent.crmUserId',
    ],
    ['call agent email', (t) => callRequestSchema.safeParse({ agent: { email: `a${t}@x.com` }, to: '+442071234567' }), 'agent.email'],
    ['call team', (t) => callRequestSchema.safeParse({ team: `s${t}`, to: '+442071234567' }), 'team'],
    [
      'call lead id',
      (t) => callRequestSchema.safeParse({ agent: { crmUserId: 'u1' }, to: '+442071234567', lead: { id: `L${t}1` } }),
      'lead.id',
    ],
  ];
  const cases = refusals.flatMap(([field, parse, path]) => CONTROL_KINDS.map(([kind, char]) => [field, kind, char, parse, path] as const));

  it.each(cases)('%s refuses %s, naming the field', (_field, _kind, char, parse, path) => {
    const parsed = parse(char);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join('.'))).toContain(path);
  });

  it.each(refusals)('%s accepts ordinary Unicode where its format allows it', (field, parse) => {
    // Team names, paths and emails are ASCII-only or space-free by format: only the free-text ones take any text.
    const text = ['agent name', 'tenant name', 'API key name'].includes(field) ? ' Zoë 山田 👩🏽‍💻' : 'x';
    expect(parse(text).success).toBe(true);
  });

  it('names the character by its code point, never by the character itself', () => {
    const parsed = crmUserIdSchema.safeParse('u\u001b1');
    expect(parsed.error?.issues[0]?.message).toContain('U+001B');
    expect(firstControlCharacter(parsed.error?.issues[0]?.message ?? '')).toBeUndefined();
  });
});
