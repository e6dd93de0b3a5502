import { InvalidArgumentError } from 'commander';

/**
 * A commander option parser for a whole number from `min` to `max` (digits only: no sign, fraction or exponent), with
 * the bounds in its refusal; `of` names the unit (`milliseconds`) where the option's name does not.
 */
export function wholeNumber(min: number, max: number, of?: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || n < min || n > max)
      throw new InvalidArgumentError(`expected a whole number${of ? ` of ${of}` : ''} from ${min} to ${max}`);
    return n;
  };
}
