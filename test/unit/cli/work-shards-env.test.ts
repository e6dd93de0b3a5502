/**
 * The CLI writes calls (a cancel, a redrive, migrate-work-keys) with the shard count the operator states (WORK_SHARDS),
 * as the stage's functions do: 4 against a stage that has not had the first deploy of docs/operations.md's
 * "Work shards: from 4 to 8", whose readers read shards 0 to 3 only.
 */
import { describe, expect, it } from 'vitest';
import { workShardsOf } from '../../../lib/cli/context';
import { UsageError } from '../../../lib/cli/errors';

describe('workShardsOf', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['  ', undefined],
    ['4', 4],
    [' 8 ', 8],
  ])('reads %j as %j', (value, shards) => {
    expect(workShardsOf(value === undefined ? {} : { WORK_SHARDS: value })).toBe(shards);
  });

  it.each(['2', '16', 'eight', '4.0', '0'])('refuses %j, naming the variable and the counts', (value) => {
    expect(() => workShardsOf({ WORK_SHARDS: value })).toThrow(UsageError);
    expect(() => workShardsOf({ WORK_SHARDS: value })).toThrow('WORK_SHARDS: expected one of 4, 8');
  });
});
