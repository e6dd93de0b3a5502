import { getCountry } from 'countries-and-timezones';
import { newTenantSchema, type Tenant } from '../model/tenant';
import { applyMergePatch, type JsonObject } from './merge-patch';

/**
 * The rules every value set on a tenant passes, on create and on every change, from the CLI and from the API alike:
 * the stored shape (lib/model/tenant.ts), and what only an input must be. A stored item is read with the stored
 * schema only, so a tenant set before a rule existed still reads (and `c2c doctor` reports it).
 */

/** Whether `code` is an ISO 3166-1 alpha-2 country code: a made-up one ("XX") would refuse every call. */
export const isCountryCode = (code: string): boolean => /^[A-Z]{2}$/.test(code) && getCountry(code) !== null;

const notACountry = (code: string) => `${JSON.stringify(code)} is not an ISO 3166-1 alpha-2 country code (e.g. GB, US, FR)`;

/** A tenant as it may be set: the stored schema, with the countries real and the calling hours well formed. */
export const tenantSettingsSchema = newTenantSchema.superRefine((tenant, ctx) => {
  if (!isCountryCode(tenant.defaultCountry)) {
    ctx.addIssue({ code: 'custom', path: ['defaultCountry'], message: notACountry(tenant.defaultCountry) });
  }
  tenant.policy.allowedCountries.forEach((code, i) => {
    if (!isCountryCode(code)) ctx.addIssue({ code: 'custom', path: ['policy', 'allowedCountries', i], message: notACountry(code) });
  });
  const hours = tenant.policy.callingHours;
  if (hours?.windows.length === 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['policy', 'callingHours', 'windows'],
      message: 'at least one window (or no calling hours at all)',
    });
  }
  hours?.windows.forEach((window, i) => {
    if (window.days.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['policy', 'callingHours', 'windows', i, 'days'], message: 'at least one day' });
    }
    if (new Set(window.days).size !== window.days.length) {
      ctx.addIssue({ code: 'custom', path: ['policy', 'callingHours', 'windows', i, 'days'], message: 'each day once' });
    }
    if (window.start === window.end) {
      ctx.addIssue({
        code: 'custom',
        path: ['policy', 'callingHours', 'windows', i, 'end'],
        message: 'a window must not end when it starts',
      });
    }
  });
});

/** Validates a new tenant (as built from options or a request); throws the ZodError naming each field at fault. */
export function checkNewTenant(input: unknown): Tenant {
  return tenantSettingsSchema.parse(input);
}

/**
 * A tenant changed by a JSON Merge Patch (RFC 7396) and validated as a new one: `null` removes a member (a setting
 * with a default is back at its default), objects merge, arrays replace. Its id and creation time never change.
 * Throws the ZodError naming each field at fault; the caller has written nothing yet.
 */
export function patchTenant(current: Tenant, patch: JsonObject, now: Date): Tenant {
  const next = applyMergePatch(JSON.parse(JSON.stringify(current)) as JsonObject, patch) as JsonObject;
  return tenantSettingsSchema.parse({
    ...next,
    tenantId: current.tenantId,
    createdAt: current.createdAt,
    updatedAt: now.toISOString(),
  });
}
