/**
 * The CLI reads the stage's call-index mode as the operator states it (CALL_INDEXES): a stage half way through
 * docs/operations.md's migration lists its calls through the old indexes, so `c2c calls list`, the doctor and an
 * erasure must read the same indexes its functions read.
 */
import { describe, expect, it } from 'vitest';
import { callIndexModeOf } from '../../../lib/cli/context';
import { UsageError } from '../../../lib/cli/errors';

describe('callIndexModeOf', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['  ', undefined],
    ['narrow', 'narrow'],
    ['migrating', 'migrating'],
    [' switched ', 'switched'],
  ])('reads %j as %j', (value, mode) => {
    expect(callIndexModeOf(value === undefined ? {} : { CALL_INDEXES: value })).toBe(mode);
  });

  it.each(['legacy', 'NARROW', 'done', 'add-tenant'])('refuses %j, naming the variable and the modes', (value) => {
    expect(() => callIndexModeOf({ CALL_INDEXES: value })).toThrow(UsageError);
    expect(() => callIndexModeOf({ CALL_INDEXES: value })).toThrow('CALL_INDEXES: expected one of narrow, migrating, switched');
  });
});
