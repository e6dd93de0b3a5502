import { parsePhoneNumberFromString, type CountryCode, type NumberType, type PhoneNumber } from 'libphonenumber-js/core';
import { PHONE_METADATA } from './generated/phone-metadata';

export interface NormalizedNumber {
  /** E.164 with the '+': what the API shows. */
  e164: string;
  /** E.164 digits without the '+': what the PBX takes as leg_b. */
  digits: string;
  country: CountryCode | undefined;
  type: NumberType;
}

/**
 * What a human may type into a CRM's phone field: an optional leading '+', digits, and single separators
 * (space, '-', '.', parentheses). Doubled punctuation such as '..' or '+.' is not a way anyone writes a number.
 */
const HUMAN_FORMAT = /^\+?\(?\d[0-9 ()\-.]{2,38}\d$/;
const DOUBLED_PUNCTUATION = /[.\-]{2}|[.\-] ?[.\-]|\(\s*\)/;

/** libphonenumber's parse with one metadata (bench/phone-metadata.ts runs the policy's cases with several). */
export type ParsePhoneNumber = (text: string, options: { defaultCountry?: CountryCode; extract?: boolean }) => PhoneNumber | undefined;

/**
 * Parses a number as a person wrote it. Letters are refused outright: libphonenumber would turn
 * "1-800-FLOWERS" into digits, but a CRM field holding letters is a data error, not a vanity number.
 * Returns undefined for anything that is not a valid number for its country (by the full patterns of each number type).
 */
export function numberNormalizer(
  parse: ParsePhoneNumber,
): (raw: string, defaultCountry: string | undefined) => NormalizedNumber | undefined {
  return (raw, defaultCountry) => {
    const trimmed = raw.trim();
    if (!HUMAN_FORMAT.test(trimmed) || DOUBLED_PUNCTUATION.test(trimmed)) return undefined;
    const parsed = parse(trimmed, { defaultCountry: defaultCountry as CountryCode | undefined, extract: false });
    if (!parsed || !parsed.isValid()) return undefined;
    const e164 = parsed.number;
    return { e164, digits: e164.slice(1), country: parsed.country, type: parsed.getType() };
  };
}

/**
 * {@link numberNormalizer} with the metadata the policy reads numbers with: libphonenumber's full set (every number
 * type's pattern) without the formatting rules, which the policy never uses (lib/policy/generated/phone-metadata.ts).
 */
export const normalizeNumber = /* @__PURE__ */ numberNormalizer((text, options) =>
  parsePhoneNumberFromString(text, options, PHONE_METADATA),
);

/**
 * Masks a phone number for logs: the country code and the last three digits stay, enough to tell
 * calls apart on a night shift, not enough to call anyone.
 */
export function maskNumber(raw: string | null | undefined): string {
  if (!raw) return String(raw);
  const digits = raw.replace(/\D/g, '');
  if (digits.length <= 4) return '*'.repeat(digits.length);
  const head = raw.startsWith('+') ? `+${digits.slice(0, 2)}` : '';
  const tail = digits.slice(-3);
  return `${head}${'*'.repeat(Math.max(digits.length - tail.length - (head ? 2 : 0), 3))}${tail}`;
}
