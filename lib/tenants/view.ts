import * as z from 'zod';
import { callingWindowSchema, callPolicySchema } from '../model/call-policy';
import {
  CRM_NAMES,
  CRM_SECRET_FIELDS,
  DEFAULT_LOGGED_STATES,
  hubspotConnectionSchema,
  LOGGABLE_STATES,
  pipedriveConnectionSchema,
  salesforceConnectionSchema,
  type CrmSettings,
} from '../model/crm-connection';
import { pbxSettingsSchema, tenantSchema, type Tenant } from '../model/tenant';
import { integer } from '../model/integer';

/** What stands for a password embedded in a URL: never the password itself. */
export const URL_PASSWORD_MASK = '********';

/** The CRM connections as they may be shown: each without its secret (CRM_SECRET_FIELDS: the token, the client secret). */
const crmViewSchema = z.object({
  hubspot: hubspotConnectionSchema.omit({ token: true }).optional(),
  pipedrive: pipedriveConnectionSchema.omit({ token: true }).optional(),
  salesforce: salesforceConnectionSchema.omit({ clientSecret: true }).optional(),
  logStates: z.array(z.enum(LOGGABLE_STATES)).meta({ description: 'The final states a call is logged in (the default when not set).' }),
});

/**
 * A tenant as the API shows it (GET and PATCH /v1/tenant): every setting, the policy with its defaults filled in, and
 * no secret. Secrets are left out, not masked: what a secret field holds cannot be sent back by mistake. Their
 * non-secret parts stay (the PBX user, the ids and dates of callback secrets and PBX events tokens), and
 * `pbx.cdrApiKeySet` says whether a CDR API key is set.
 */
export const tenantViewSchema = tenantSchema
  .omit({ callback: true, pbxEvents: true, pbx: true, policy: true, crm: true })
  .extend({
    pbx: pbxSettingsSchema.omit({ basicAuth: true, cdrApiKey: true }).extend({
      basicAuth: z
        .object({ username: z.string() })
        .optional()
        .meta({ description: 'HTTP Basic user of the PBX; its password is never shown.' }),
      cdrApiKeySet: z.boolean().meta({ description: 'Whether a PBX Stats CDR API key is set (it is never shown).' }),
    }),
    policy: callPolicySchema,
    callback: z
      .object({ url: z.string(), secrets: z.array(z.object({ id: z.string(), createdAt: z.string() })) })
      .optional()
      .meta({ description: 'Where outcome notifications go; the signing secrets by id only.' }),
    pbxEvents: z
      .object({
        tokens: z.array(z.object({ id: z.string(), createdAt: z.string(), revokedAt: z.string().optional() })),
        timeZone: z.string().optional(),
      })
      .optional()
      .meta({ description: 'PBX Stats webhook tokens, by id only.' }),
    crm: crmViewSchema.optional().meta({ description: 'The CRMs calls are logged in (docs/crm-logging.md), without their secrets.' }),
  })
  .meta({ id: 'Tenant' });
export type TenantView = z.infer<typeof tenantViewSchema>;

/** The tenant without its secrets ({@link tenantViewSchema}). */
export function tenantView(tenant: Tenant): TenantView {
  const { basicAuth, cdrApiKey: _key, ...pbx } = tenant.pbx;
  return {
    tenantId: tenant.tenantId,
    name: tenant.name,
    crmId: tenant.crmId,
    clientId: tenant.clientId,
    defaultCountry: tenant.defaultCountry,
    status: tenant.status,
    pbx: {
      ...pbx,
      baseUrl: withoutUrlPassword(pbx.baseUrl),
      ...(pbx.cdrApiUrl !== undefined ? { cdrApiUrl: withoutUrlPassword(pbx.cdrApiUrl) } : {}),
      ...(basicAuth ? { basicAuth: { username: basicAuth.username } } : {}),
      cdrApiKeySet: tenant.pbx.cdrApiKey !== undefined,
    },
    policy: tenant.policy,
    ...(tenant.callback
      ? { callback: { url: tenant.callback.url, secrets: tenant.callback.secrets.map(({ id, createdAt }) => ({ id, createdAt })) } }
      : {}),
    ...(tenant.pbxEvents
      ? {
          pbxEvents: {
            tokens: tenant.pbxEvents.tokens.map(({ id, createdAt, revokedAt }) => ({ id, createdAt, ...(revokedAt ? { revokedAt } : {}) })),
            ...(tenant.pbxEvents.timeZone ? { timeZone: tenant.pbxEvents.timeZone } : {}),
          },
        }
      : {}),
    ...(tenant.crm ? { crm: crmView(tenant.crm) } : {}),
    createdAt: tenant.createdAt,
    updatedAt: tenant.updatedAt,
  };
}

/** The tenant's CRM settings without a secret: each connection's secret field left out, the logged states filled in. */
export function crmView(crm: CrmSettings): z.infer<typeof crmViewSchema> {
  const shown: Record<string, unknown> = { logStates: crm.logStates ?? [...DEFAULT_LOGGED_STATES] };
  for (const name of CRM_NAMES) {
    const connection = crm[name];
    if (!connection) continue;
    const { [CRM_SECRET_FIELDS[name]]: _secret, ...rest } = connection as unknown as Record<string, unknown>;
    shown[name] = rest;
  }
  return shown as z.infer<typeof crmViewSchema>;
}

/** A URL with its embedded password (if any) masked. */
export function withoutUrlPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password) return url;
    parsed.password = URL_PASSWORD_MASK;
    return parsed.toString();
  } catch {
    return url;
  }
}

const nullable = <T extends z.ZodType>(schema: T) => schema.nullable().optional();

/**
 * The body of PATCH /v1/tenant as the contract shows it: a JSON Merge Patch of the members the API may change, each
 * optional, `null` to remove one. The patch is checked member by member (lib/tenants/admin.ts), then the tenant it
 * makes is validated whole.
 */
export const tenantPatchSchema = z
  .strictObject({
    name: z.string().optional(),
    crmId: z.string().optional(),
    clientId: z.string().optional(),
    defaultCountry: z.string().optional().meta({ description: 'ISO 3166-1 alpha-2 code.' }),
    pbx: z
      .strictObject({
        urlShape: pbxSettingsSchema.shape.urlShape.optional(),
        baseUrl: z.url().optional(),
        timeoutMs: nullable(integer()),
        cdrApiUrl: nullable(z.url()),
        cdrApiKeyHeader: nullable(z.string()),
      })
      .optional(),
    policy: nullable(
      z.strictObject({
        allowedCountries: nullable(z.array(z.string())),
        allowPremiumRate: nullable(z.boolean()),
        allowSharedCost: nullable(z.boolean()),
        allowUnknownType: nullable(z.boolean()),
        denyPrefixes: nullable(z.array(z.string())),
        callingHours: nullable(z.strictObject({ windows: z.array(callingWindowSchema) })),
        legalCallingHours: nullable(z.boolean()),
        outsideCallingHours: nullable(z.enum(['refuse', 'defer'])),
        caps: nullable(
          z.strictObject({
            perDestination: nullable(z.strictObject({ max: nullable(integer()), windowSec: nullable(integer()) })),
            perAgentPerMinute: nullable(integer()),
            perTenantPerSecond: nullable(integer()),
          }),
        ),
        readsPerSecond: nullable(integer()),
        maxWaitingCalls: nullable(integer()),
        dedupeWindowSec: nullable(integer()),
        retentionDays: nullable(integer()),
        refusedRetentionDays: nullable(integer()),
      }),
    ),
  })
  .meta({ id: 'TenantPatch' });
