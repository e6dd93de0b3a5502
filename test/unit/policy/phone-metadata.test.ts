/**
 * The phone-number metadata the call policy reads numbers with (lib/policy/generated/phone-metadata.ts): libphonenumber's
 * full set without the formatting rules. It must read every number as the full set does, and match the installed library.
 */
import { readFileSync } from 'node:fs';
import { parsePhoneNumberFromString } from 'libphonenumber-js/core';
import examples from 'libphonenumber-js/examples.mobile.json';
import maxMetadata from 'libphonenumber-js/metadata.max.json';
import { describe, expect, it } from 'vitest';
import { PHONE_METADATA } from '../../../lib/policy/generated/phone-metadata';
import { numberNormalizer } from '../../../lib/policy/phone';
import { POLICY_NUMBER_CASES } from '../../../bench/phone-metadata';
import { GENERATED_PHONE_METADATA_MODULE, generatedPhoneMetadataModule } from '../../../scripts/build-phone-metadata';

const full = numberNormalizer((text, options) => parsePhoneNumberFromString(text, options, maxMetadata));
const cut = numberNormalizer((text, options) => parsePhoneNumberFromString(text, options, PHONE_METADATA));

describe('the phone-number metadata of the call policy', () => {
  it('is the installed libphonenumber-js full set without its formatting rules (`npm run build:phone-metadata` when not)', () => {
    expect(readFileSync(GENERATED_PHONE_METADATA_MODULE, 'utf8')).toBe(generatedPhoneMetadataModule());
    expect(JSON.stringify(PHONE_METADATA).length).toBeLessThan(JSON.stringify(maxMetadata).length * 0.75);
  });

  it("reads the policy's cases as the full set does: valid for the country, country, number type", () => {
    for (const { raw, defaultCountry } of POLICY_NUMBER_CASES) expect(cut(raw, defaultCountry), raw).toEqual(full(raw, defaultCountry));
    // The cases tell the checks apart: a premium-rate, a shared-cost and a number of a possible length no plan has.
    expect(cut('+449098790000', undefined)?.type).toBe('PREMIUM_RATE');
    expect(cut('+49180212345', undefined)?.type).toBe('SHARED_COST');
    expect(cut('+49 10 1234567', undefined)).toBeUndefined();
  });

  it('reads the example number of every country as the full set does, in international and national form', () => {
    const entries = Object.entries(examples as Record<string, string>);
    expect(entries.length).toBeGreaterThan(200);
    for (const [country, national] of entries) {
      expect(cut(national, country), `${country} ${national}`).toEqual(full(national, country));
      const international = full(national, country)?.e164;
      if (international) expect(cut(international, undefined), international).toEqual(full(international, undefined));
    }
  });
});
