import { ZodError } from 'zod';
import { DomainError, invalidRequest, type FieldError } from '../model/domain-error';
import type { Tenant } from '../model/tenant';
import { checkOutboundUrl, type OutboundPolicy } from '../net/outbound';
import type { TenantRepository } from '../store/tenants';
import type { Clock } from '../time/clock';
import type { JsonObject, JsonValue } from './merge-patch';
import { patchTenant } from './settings';
import { tenantPatchSchema, tenantView, type TenantView } from './view';

/** Members of the tenant that the API shows but never changes, and why: the caller learns where to change them. */
const NOT_PATCHABLE: Record<string, string> = {
  tenantId: 'the tenant id never changes',
  status: 'suspended and resumed by the operator only',
  createdAt: 'set by the service',
  updatedAt: 'set by the service',
  'pbx.basicAuth': 'holds a secret: set it with c2c tenant update --pbx-user --pbx-password-env',
  'pbx.cdrApiKey': 'a secret: set it with c2c tenant update --cdr-key-env',
  'pbx.cdrApiKeySet': 'read only: set the key with c2c tenant update --cdr-key-env',
  callback: 'holds secrets: set it with c2c outcomes callback set',
  pbxEvents: 'holds secrets: issue tokens with c2c outcomes pbx-token issue',
  crm: 'holds secrets: connect a CRM with c2c crm connect',
};

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The members of a patch the API never changes, each with why (the patch's other members are checked by its schema). */
function notPatchable(patch: JsonObject): FieldError[] {
  return Object.entries(NOT_PATCHABLE).flatMap(([path, why]): FieldError[] => {
    const [head, member] = path.split('.') as [string, string | undefined];
    const holder: JsonValue | undefined = member === undefined ? patch : patch[head];
    return isObject(holder) && Object.hasOwn(holder, member ?? head) ? [{ path, message: why }] : [];
  });
}

/** The URLs a patch sets: credentials in them are refused (they would be stored unsealed and shown masked). */
function urlErrors(patch: JsonObject): FieldError[] {
  const pbx = isObject(patch.pbx) ? patch.pbx : {};
  return (['baseUrl', 'cdrApiUrl'] as const).flatMap((name): FieldError[] => {
    const value: JsonValue | undefined = pbx[name];
    if (typeof value !== 'string' || !URL.canParse(value)) return [];
    const url = new URL(value);
    return url.username || url.password
      ? [{ path: `pbx.${name}`, message: 'no credentials in the URL (set a PBX user with the CLI)' }]
      : [];
  });
}

/** Each field a ZodError names; an unknown member by its own path, so that a typo is seen at a glance. */
const fieldErrorsOf = (error: ZodError): FieldError[] =>
  error.issues.flatMap((issue) => {
    const pathOf = (path: PropertyKey[]) => path.map(String).join('.') || '(root)';
    return issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: pathOf([...issue.path, key]), message: 'unknown field' }))
      : [{ path: pathOf(issue.path), message: issue.message }];
  });

/**
 * A tenant's own settings over the API (`tenant:admin`): read them, and change them with a JSON Merge Patch.
 * A change is validated whole, as on create, before anything is written; a refused one changes nothing.
 */
export class TenantAdmin {
  constructor(private readonly deps: { tenants: TenantRepository; outbound: OutboundPolicy; clock: Clock }) {}

  async get(tenantId: string): Promise<TenantView> {
    const tenant = await this.deps.tenants.get(tenantId);
    if (!tenant) throw new DomainError('not_found', 'This tenant no longer exists.');
    return tenantView(tenant);
  }

  /** @throws {DomainError} `invalid_request` naming each field at fault; nothing was written */
  async patch(tenantId: string, patch: unknown): Promise<TenantView> {
    if (!isObject(patch)) {
      throw invalidRequest('The body must be a JSON object: a JSON Merge Patch of the tenant.', [
        { path: '(root)', message: 'expected an object' },
      ]);
    }
    const refused = notPatchable(patch);
    if (refused.length > 0) throw invalidRequest('The patch sets fields the API does not change.', refused);
    const shape = tenantPatchSchema.safeParse(patch);
    if (!shape.success) throw invalidRequest('The patch is not valid.', fieldErrorsOf(shape.error));
    const credentials = urlErrors(patch);
    if (credentials.length > 0) throw invalidRequest('The patch puts credentials in a URL.', credentials);
    let checked = false;
    const updated = await this.deps.tenants.update(tenantId, async (current) => {
      const next = this.apply(current, patch);
      if (!checked) {
        await this.checkUrls(current, next);
        checked = true;
      }
      return next;
    });
    if (!updated) throw new DomainError('not_found', 'This tenant no longer exists.');
    return tenantView(updated.after);
  }

  private apply(current: Tenant, patch: JsonObject): Tenant {
    try {
      return patchTenant(current, patch, this.deps.clock());
    } catch (error) {
      if (error instanceof ZodError) throw invalidRequest('The tenant would not be valid.', fieldErrorsOf(error));
      throw error;
    }
  }

  /** The URLs the service will send requests to, when the patch changes them: refused inside its network. */
  private async checkUrls(current: Tenant, next: Tenant): Promise<void> {
    const changed: Array<[string, string | undefined, string | undefined]> = [
      ['pbx.baseUrl', current.pbx.baseUrl, next.pbx.baseUrl],
      ['pbx.cdrApiUrl', current.pbx.cdrApiUrl, next.pbx.cdrApiUrl],
    ];
    const errors: FieldError[] = [];
    for (const [path, before, after] of changed) {
      if (after === undefined || after === before) continue;
      const check = await checkOutboundUrl(after, this.deps.outbound);
      if (!check.ok) errors.push({ path, message: check.error.message });
    }
    if (errors.length > 0) throw invalidRequest('The patch sets a URL the service may not send requests to.', errors);
  }
}
