import { WEBHOOK_SOURCES } from '../crm/sources';
import { hookDeliveriesQuerySchemaOf } from '../model/hook-delivery';
import { HookDeliveryRepository } from '../store/hook-deliveries';
import { perRoot } from './root';
import { table } from './readers';

// What functions/hook-deliveries.ts reads besides the repository: its query's schema, over the registry's sources.
export const hookDeliveriesQuerySchema = hookDeliveriesQuerySchemaOf(WEBHOOK_SOURCES);

/** GET /v1/hooks/deliveries: the delivery log of a tenant's source. A module of its own: its bundle places no call. */
export const hookDeliveries = perRoot((r) => new HookDeliveryRepository(table(r), r.clock));
