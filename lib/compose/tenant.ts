import { TenantAdmin } from '../tenants/admin';
import { perRoot } from './root';
import { outbound } from './readers';
import { tenants } from './secrets';

/** A tenant's own settings over the API (GET and PATCH /v1/tenant). */
export const tenantAdminUseCase = perRoot((r) => new TenantAdmin({ tenants: tenants(r), outbound: outbound(r), clock: r.clock }));
