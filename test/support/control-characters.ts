import { expect } from 'vitest';
import { escapeControlCharacters, firstControlCharacter } from '../../lib/model/control-characters';

/**
 * Each kind of control character with the visible form the CLI prints it as: C0 (ESC, BEL, CR, BS, NUL, LF, TAB
 * among them), DEL, C1 (U+009B is a one-character CSI), and every bidirectional mark, embedding, override and isolate.
 */
export const CONTROL_KINDS: ReadonlyArray<[kind: string, char: string, escaped: string]> = [
  ['NUL', '\u0000', '\\u0000'],
  ['BEL', '\u0007', '\\u0007'],
  ['BS', '\u0008', '\\u0008'],
  ['TAB', '\u0009', '\\u0009'],
  ['LF', '\u000a', '\\u000a'],
  ['CR', '\u000d', '\\u000d'],
  ['ESC', '\u001b', '\\u001b'],
  ['US', '\u001f', '\\u001f'],
  ['DEL', '\u007f', '\\u007f'],
  ['C1 PAD', '\u0080', '\\u0080'],
  ['C1 NEL', '\u0085', '\\u0085'],
  ['C1 CSI', '\u009b', '\\u009b'],
  ['C1 APC', '\u009f', '\\u009f'],
  ['ALM', '\u061c', '\\u061c'],
  ['LRM', '\u200e', '\\u200e'],
  ['RLM', '\u200f', '\\u200f'],
  ['LRE', '\u202a', '\\u202a'],
  ['RLE', '\u202b', '\\u202b'],
  ['PDF', '\u202c', '\\u202c'],
  ['LRO', '\u202d', '\\u202d'],
  ['RLO', '\u202e', '\\u202e'],
  ['LRI', '\u2066', '\\u2066'],
  ['RLI', '\u2067', '\\u2067'],
  ['FSI', '\u2068', '\\u2068'],
  ['PDI', '\u2069', '\\u2069'],
];

/** Every kind in one string, between letters: `a<NUL>b<BEL>c...`. */
export const ALL_KINDS = CONTROL_KINDS.map(([, char], i) => `${String.fromCharCode(97 + (i % 26))}${char}`).join('');

/** The kinds a stored crmUserId could always hold: its format never allowed white space (TAB, LF, CR). */
export const CRM_USER_ID_KINDS = CONTROL_KINDS.filter(([, char]) => !/\s/.test(char));

/**
 * What a terminal would receive holds no control character but the output's own line breaks, and shows each planted
 * value in its escaped form (so the value was printed, not dropped).
 */
export function expectEscaped(output: string, planted: readonly string[]): void {
  const raw = firstControlCharacter(output.replace(/\n/g, ''));
  expect(raw, `raw U+${raw?.codePointAt(0)?.toString(16)} in:\n${escapeControlCharacters(output, { keepNewlines: true })}`).toBeUndefined();
  for (const value of planted) expect(output).toContain(escapeControlCharacters(value));
}
