import * as z from 'zod';
import { crmUserIdSchema } from './agent';
import { CALL_STATES } from './call';
import { coercedInteger } from './integer';

const isoInstant = z.iso.datetime({ offset: true }).transform((s) => new Date(s).toISOString());

/** Query string of GET /v1/calls. */
export const listCallsQuerySchema = z
  .strictObject({
    leadId: z.string().min(1).max(128).optional(),
    agent: crmUserIdSchema.optional(),
    state: z.enum(CALL_STATES).optional(),
    from: isoInstant.optional(),
    to: isoInstant.optional(),
    limit: coercedInteger({ min: 1, max: 200 }).default(50),
    // Any length: one that is not a cursor of this listing is the listing's own 400 `invalid_cursor`.
    cursor: z.string().optional(),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: '"from" must not be after "to"', path: ['from'] });
export type ListCallsQuery = z.infer<typeof listCallsQuerySchema>;
