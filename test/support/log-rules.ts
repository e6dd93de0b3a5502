import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

const SECRET_PATTERNS: Array<[string, RegExp]> = [
  ['API key', /c2c_[a-z0-9][a-z0-9-]{1,39}_[A-Za-z0-9_-]{32,64}/],
  ['webhook secret', /whsec_[A-Za-z0-9+/=]{16,}/],
  ['credential header', /\b(?:Bearer|Basic)\s+[A-Za-z0-9+/=_.-]{12,}/],
];

/** Runs of digits (with the separators people type) that are valid phone numbers once read as E.164. */
export function phoneNumbersIn(line: string): string[] {
  const found: string[] = [];
  // Request ids are UUIDs, whose last group is all digits now and then; hex ids glue digits to letters.
  const text = line.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<uuid>');
  for (const match of text.matchAll(/(?<![A-Za-z0-9])\+?\d[\d ().-]{7,22}\d(?![A-Za-z0-9])/g)) {
    const digits = match[0].replace(/\D/g, '');
    if (digits.length < 10 || digits.length > 15) continue;
    if (parsePhoneNumberFromString(`+${digits}`)?.isValid()) found.push(match[0]);
  }
  return found;
}

/** What a log line must never carry: each finding named. */
export function leaksIn(line: string): string[] {
  return [
    ...SECRET_PATTERNS.filter(([, pattern]) => pattern.test(line)).map(([what]) => what),
    ...phoneNumbersIn(line).map((n) => `phone number ${n}`),
  ];
}
