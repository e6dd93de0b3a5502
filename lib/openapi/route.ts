import type * as z from 'zod';
import type { SCOPES } from '../model/scope';

/** A JSON Schema document, as the builder writes it. */
export type JsonSchema = Record<string, unknown>;

export type Auth = 'apiKey' | 'webhook' | 'pathToken' | 'none';

export interface Route {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  auth: Auth;
  scope?: (typeof SCOPES)[number];
  tags: string[];
  query?: z.ZodObject;
  pathParams?: Record<string, { description: string; schema?: z.ZodType }>;
  headers?: Record<string, { description: string; schema: z.ZodType; required?: boolean }>;
  body?: {
    schema: z.ZodType;
    /** One example, or several by name (OpenAPI allows one of the two). */
    example?: unknown;
    examples?: Record<string, { summary: string; value: unknown }>;
    contentTypes?: string[];
    /** JSON Schema merged over the generated one: what a refinement checks in code, which zod cannot express. */
    rules?: JsonSchema;
  };
  responses: Record<
    string,
    {
      description: string;
      schema?: z.ZodType;
      contentType?: string;
      example?: unknown;
      examples?: Record<string, { summary: string; value: unknown }>;
    }
  >;
}
