import * as z from 'zod';

/** The check `z.number().int()` adds, built once: every schema of {@link integer} shares it. */
const INTEGER = z.int();

/**
 * `z.number().int().min(min).max(max)` (either bound optional): the same checks in the same order, so the same
 * messages and the same JSON Schema, built as one schema. The chain builds a schema at every call (`.int()` two), and
 * the models' schemas are built at every cold start of every function that imports them.
 */
export function integer(bounds: Bounds = {}): z.ZodNumber {
  return z.number().check(...checksOf(bounds));
}

/** {@link integer} of `z.coerce.number()`: a query parameter's `z.coerce.number().int().min(min).max(max)`. */
export function coercedInteger(bounds: Bounds = {}): z.ZodCoercedNumber {
  return z.coerce.number().check(...checksOf(bounds));
}

interface Bounds {
  min?: number;
  max?: number;
}

function checksOf(bounds: Bounds): z.core.$ZodCheck<number>[] {
  const checks: z.core.$ZodCheck<number>[] = [INTEGER];
  if (bounds.min !== undefined) checks.push(z.gte(bounds.min));
  if (bounds.max !== undefined) checks.push(z.lte(bounds.max));
  return checks;
}
