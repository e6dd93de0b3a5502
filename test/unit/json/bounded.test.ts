import { describe, expect, it } from 'vitest';
import { jsonNestsDeeperThan, JsonTooDeepError, MAX_JSON_DEPTH, parseJsonBounded } from '../../../lib/json/bounded';

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('parseJsonBounded', () => {
  it('parses JSON up to the bound', () => {
    expect(parseJsonBounded('{"a":[1,{"b":"c"}]}')).toEqual({ a: [1, { b: 'c' }] });
    expect(() => parseJsonBounded(nested(MAX_JSON_DEPTH))).not.toThrow();
  });

  it('refuses one level past the bound, and 30,000 levels without touching the stack', () => {
    expect(() => parseJsonBounded(nested(MAX_JSON_DEPTH + 1))).toThrow(JsonTooDeepError);
    expect(() => parseJsonBounded(nested(30_000))).toThrow(JsonTooDeepError);
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ a: '['.repeat(100), b: '\\"[[[[', c: '"{{{{' });
    expect(jsonNestsDeeperThan(text, 1)).toBe(false);
    expect(parseJsonBounded(text, 1)).toMatchObject({ a: '['.repeat(100) });
  });

  it('counts objects and arrays alike', () => {
    expect(jsonNestsDeeperThan('{"a":[{"b":[]}]}', 3)).toBe(true);
    expect(jsonNestsDeeperThan('{"a":[{"b":[]}]}', 4)).toBe(false);
  });

  it('leaves syntax errors to JSON.parse', () => {
    expect(() => parseJsonBounded('{"a":')).toThrow(SyntaxError);
  });
});
