import type * as z from 'zod';

/**
 * Characters that steer a terminal or the order text is shown in rather than being text: C0 (U+0000-U+001F, ESC and
 * BEL among them), DEL, C1 (U+0080-U+009F, with U+009B, a one-character CSI), and the bidirectional marks, embeddings,
 * overrides and isolates (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069), which make a line read other than
 * it is stored. Identifiers and names refuse them ({@link noControlCharacters}); everything the CLI prints escapes them
 * ({@link escapeControlCharacters}): one set for both, so the rule and the escape never disagree.
 */
const CONTROL_CLASS = '\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069';
const CONTROL_CHARACTER = new RegExp(`[${CONTROL_CLASS}]`);
const EVERY_CONTROL_CHARACTER = new RegExp(`[${CONTROL_CLASS}]`, 'g');
const EVERY_CONTROL_CHARACTER_BUT_NEWLINE = new RegExp(
  `[${CONTROL_CLASS.replace('\\u0000-\\u001f', '\\u0000-\\u0009\\u000b-\\u001f')}]`,
  'g',
);

/** `U+001B`: how a message names a character without printing it. */
export const codePointOf = (char: string): string => `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

/** The first control character of `text`, or undefined when there is none. */
export function firstControlCharacter(text: string): string | undefined {
  return CONTROL_CHARACTER.exec(text)?.[0];
}

/** Why a value was refused, naming the character by its code point (never the character itself). */
export function controlCharacterMessage(char: string): string {
  return `control characters (C0, DEL, C1) and bidirectional marks are not allowed: found ${codePointOf(char)}`;
}

/**
 * The refinement every identifier and name schema carries: `z.string().check(noControlCharacters)`. Placed first,
 * it sees the value as sent (before a trim drops a leading tab). Not aborting: a union (the agent reference of a call)
 * then names the field itself, not the union.
 */
export const noControlCharacters: z.core.CheckFn<string> = (ctx) => {
  const char = firstControlCharacter(ctx.value);
  if (char !== undefined) ctx.issues.push({ code: 'custom', message: controlCharacterMessage(char), input: ctx.value, continue: true });
};

const escapeOne = (char: string): string => `\\u${(char.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`;

/**
 * Every control character of `text` as a visible `\uXXXX` (ESC as `\u001b`, a right-to-left override as `\u202e`);
 * everything else, accents, CJK and emoji included, as it is. The form is JSON's own escape, so escaping JSON text
 * leaves it valid JSON meaning the same values. `keepNewlines` keeps U+000A: the line breaks of the CLI's own output.
 */
export function escapeControlCharacters(text: string, options: { keepNewlines?: boolean } = {}): string {
  return text.replace(options.keepNewlines ? EVERY_CONTROL_CHARACTER_BUT_NEWLINE : EVERY_CONTROL_CHARACTER, escapeOne);
}
