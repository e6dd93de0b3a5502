/**
 * lib/model/integer.ts builds the models' integer schemas as one schema each instead of a chain of them: the same
 * checks in the same order as `z.number().int().min().max()`, so the same answers, messages and JSON Schema.
 */
import * as z from 'zod';
import { describe, expect, it } from 'vitest';
import { coercedInteger, integer } from '../../../lib/model/integer';

const INPUTS: unknown[] = [
  0,
  1,
  6,
  7,
  -1,
  1.5,
  -0.5,
  1e17,
  -1e17,
  Number.NaN,
  Infinity,
  '3',
  '',
  '2.5',
  'x',
  null,
  undefined,
  3_650,
  3_651,
];

const answers = (schema: z.ZodType) =>
  INPUTS.map((input) => {
    const parsed = schema.safeParse(input);
    return parsed.success
      ? { data: parsed.data }
      : { issues: parsed.error.issues.map(({ code, message, path }) => ({ code, message, path })) };
  });

describe('integer', () => {
  it.each([
    [{}, z.number().int()],
    [{ min: 1 }, z.number().int().min(1)],
    [{ max: 6 }, z.number().int().max(6)],
    [{ min: 0, max: 6 }, z.number().int().min(0).max(6)],
    [{ min: 1, max: 3_650 }, z.number().int().min(1).max(3_650)],
  ] as const)('%j answers as the chain does, with its messages and its JSON Schema', (bounds, chain) => {
    expect(answers(integer(bounds))).toEqual(answers(chain));
    expect(z.toJSONSchema(integer(bounds))).toEqual(z.toJSONSchema(chain));
    expect(answers(integer(bounds).default(3).optional())).toEqual(answers(chain.default(3).optional()));
  });

  it.each([
    [{ min: 1, max: 100 }, z.coerce.number().int().min(1).max(100)],
    [{ min: 1, max: 500 }, z.coerce.number().int().min(1).max(500)],
  ] as const)('%j coerced answers as the coerced chain does (a query parameter)', (bounds, chain) => {
    expect(answers(coercedInteger(bounds).default(20))).toEqual(answers(chain.default(20)));
    expect(z.toJSONSchema(coercedInteger(bounds), { io: 'input' })).toEqual(z.toJSONSchema(chain, { io: 'input' }));
  });

  it('keeps each schema its own bounds though they share the integer check', () => {
    const small = integer({ max: 6 });
    const large = integer({ min: 100 });
    expect(small.safeParse(7).success).toBe(false);
    expect(large.safeParse(7).success).toBe(false);
    expect(small.safeParse(6).success && large.safeParse(100).success).toBe(true);
    expect(z.toJSONSchema(small)).toMatchObject({ type: 'integer', maximum: 6 });
    expect(z.toJSONSchema(large)).toMatchObject({ type: 'integer', minimum: 100 });
  });
});
