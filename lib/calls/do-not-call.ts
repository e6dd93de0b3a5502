import { invalidRequest } from '../model/domain-error';
import type { DoNotCallView } from '../model/do-not-call';
import type { Tenant } from '../model/tenant';
import { normalizeNumber } from '../policy/phone';
import type { DoNotCallEntry, DoNotCallRepository } from '../store/do-not-call';

export type { DoNotCallView } from '../model/do-not-call';

const view = (number: string, entry: DoNotCallEntry | undefined): DoNotCallView =>
  entry ? { number, listed: true, id: entry.id, addedAt: entry.addedAt, by: entry.by } : { number, listed: false };

/**
 * The tenant's do-not-call list as the API and the CLI use it (docs/api.md, "Do-not-call list"): a number is read as
 * a call's `to` is (E.164, national numbers in the tenant's default country), so a number listed in one spelling is
 * refused in every other.
 */
export class DoNotCallList {
  constructor(private readonly repository: DoNotCallRepository) {}

  /**
   * The number in E.164.
   *
   * @throws {DomainError} `invalid_request` naming `field` when it is not a valid phone number
   */
  static e164Of(raw: string, tenant: Pick<Tenant, 'defaultCountry'>, field = 'path.number'): string {
    const number = normalizeNumber(raw, tenant.defaultCountry);
    if (!number) throw invalidRequest('Not a valid phone number for its country.', [{ path: field, message: 'not a valid phone number' }]);
    return number.e164;
  }

  async add(tenant: Tenant, raw: string, by: string): Promise<{ view: DoNotCallView; created: boolean }> {
    const e164 = DoNotCallList.e164Of(raw, tenant);
    const { entry, created } = await this.repository.add(tenant.tenantId, e164, by);
    return { view: view(e164, entry), created };
  }

  async remove(tenant: Tenant, raw: string): Promise<boolean> {
    return this.repository.remove(tenant.tenantId, DoNotCallList.e164Of(raw, tenant));
  }

  async lookup(tenant: Tenant, raw: string, field = 'path.number'): Promise<DoNotCallView> {
    const e164 = DoNotCallList.e164Of(raw, tenant, field);
    return view(e164, await this.repository.get(tenant.tenantId, e164));
  }
}
