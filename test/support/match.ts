import { expect } from 'vitest';

/**
 * vitest's asymmetric matchers, typed `unknown` rather than `any`. They stand in for a value inside an expected
 * object; as `any` they would make the object literal around them an unsafe assignment (typed lint, no-unsafe-*).
 * Where a plain `expect.any(...)` lints clean (directly in `toMatchObject`), it is fine as it is.
 */
export const anyOf = (type: unknown): unknown => expect.any(type);
export const containing = (text: string): unknown => expect.stringContaining(text);
export const matching = (pattern: string | RegExp): unknown => expect.stringMatching(pattern);
export const objectWith = (fields: object): unknown => expect.objectContaining(fields);
