import { HookDeliveryRepository } from '../store/hook-deliveries';
import { perRoot } from './root';
import { table } from './shared';

// What functions/hook-deliveries.ts reads besides the repository: its query's schema.
export { hookDeliveriesQuerySchema } from '../model/hook-delivery';

/** GET /v1/hooks/deliveries: the delivery log of a tenant's source. A module of its own: its bundle places no call. */
export const hookDeliveries = perRoot((r) => new HookDeliveryRepository(table(r), r.clock));
