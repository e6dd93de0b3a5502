import * as z from 'zod';

export const crmUserIdSchema = z.string().regex(/^[^\s#/?%\\]{1,128}$/, 'non-empty, at most 128 characters, no spaces or # / ? % \\');
export const extensionSchema = z.string().regex(/^\d{1,12}$/, 'digits only, at most 12');

export const agentInputSchema = z.strictObject({
  extension: extensionSchema,
  email: z
    .email()
    .max(254)
    .transform((e) => e.toLowerCase())
    .optional(),
  name: z.string().trim().min(1).max(200).optional(),
});
export type AgentInput = z.input<typeof agentInputSchema>;

export const agentSchema = z.object({
  tenantId: z.string(),
  crmUserId: crmUserIdSchema,
  extension: extensionSchema,
  email: z.string().optional(),
  name: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Agent = z.infer<typeof agentSchema>;

/** How a call request names its agent: exactly one of these. */
export type AgentRef = { crmUserId: string } | { email: string } | { extension: string };
