import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { wholeNumber } from '../../../lib/cli/numbers';

describe('wholeNumber', () => {
  it.each([
    ['1', 1],
    ['100', 100],
    [' 42 ', 42],
    ['007', 7],
  ])('reads %j within 1-100 as %d', (value, n) => {
    expect(wholeNumber(1, 100)(value)).toBe(n);
  });

  it.each(['0', '101', '-1', '+5', '1.5', '5.0', '1e1', '0x10', '', ' ', 'ten', 'Infinity'])('refuses %j, naming the bounds', (value) => {
    const parse = wholeNumber(1, 100);
    expect(() => parse(value)).toThrow(InvalidArgumentError);
    expect(() => parse(value)).toThrow('expected a whole number from 1 to 100');
  });

  it('names the unit when given one', () => {
    expect(() => wholeNumber(100, 30_000, 'milliseconds')('50')).toThrow('expected a whole number of milliseconds from 100 to 30000');
    expect(wholeNumber(0, 10)('0')).toBe(0);
  });
});
