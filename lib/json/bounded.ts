/**
 * JSON from strangers, parsed with a bound on its nesting.
 *
 * `JSON.parse` itself takes any depth, but what reads the result afterwards (`JSON.stringify`, zod,
 * the PBX event flattener, the logger) recurses, and a 30,000-deep array from a 64 KB body overflows
 * the stack there: a 500 that any anonymous sender could cause. So the depth is measured on the text
 * first, in one pass that allocates nothing, and a body past the bound is refused before it is parsed.
 */

/**
 * The deepest nesting accepted. Every payload this service reads (call requests, CRM webhooks,
 * PBX Stats events) is a handful of levels deep; 32 leaves room for any real sender.
 */
export const MAX_JSON_DEPTH = 32;

/** The text nests objects or arrays deeper than the bound. */
export class JsonTooDeepError extends Error {
  constructor(readonly maxDepth: number) {
    super(`The JSON nests deeper than ${maxDepth} levels.`);
    this.name = 'JsonTooDeepError';
  }
}

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Whether `text` nests objects or arrays deeper than `maxDepth` (brackets inside strings do not count). */
export function jsonNestsDeeperThan(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > maxDepth) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/**
 * `JSON.parse` with a bound on nesting.
 *
 * @throws {JsonTooDeepError} the text nests deeper than `maxDepth`
 * @throws {SyntaxError} the text is not JSON
 */
export function parseJsonBounded(text: string, maxDepth = MAX_JSON_DEPTH): unknown {
  if (jsonNestsDeeperThan(text, maxDepth)) throw new JsonTooDeepError(maxDepth);
  return JSON.parse(text);
}
