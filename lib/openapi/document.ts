/**
 * The OpenAPI 3.1 document of the service. Request parts are the very zod schemas the handlers
 * validate with (converted by zod's own JSON Schema output), so the document cannot drift from
 * what the service accepts; responses are zod schemas too.
 */
import * as z from 'zod';
import { SCOPES } from '../model/scope';
import type { Auth, JsonSchema } from './route';
import { ROUTES } from './routes';
import { notificationSchema } from './schemas';

export { ROUTES };

const SECURITY: Record<Auth, Array<Record<string, string[]>>> = {
  apiKey: [],
  webhook: [],
  pathToken: [],
  none: [],
};

/** JSON Schema (2020-12, what OpenAPI 3.1 uses) of a zod schema; named schemas become $refs into components. */
function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output', components: Record<string, JsonSchema>): JsonSchema {
  const out = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  // Schemas named with .meta({ id }) come out as $defs: they become shared components.
  const text = JSON.stringify(out).replaceAll('"#/$defs/', '"#/components/schemas/');
  const { $schema: _s, $defs, ...rest } = JSON.parse(text) as JsonSchema & { $defs?: Record<string, JsonSchema> };
  for (const [id, def] of Object.entries($defs ?? {})) components[id] = def;
  const { id: _id, ...schemaOnly } = rest;
  // A schema that is itself named is referenced, not inlined.
  if (typeof _id === 'string') {
    components[_id] = schemaOnly;
    return { $ref: `#/components/schemas/${_id}` };
  }
  return rest;
}

/** `rules` over a generated schema: its keywords added, and each of its `properties` merged into the property's own. */
function withRules(schema: JsonSchema, rules: JsonSchema): JsonSchema {
  const { properties: ruleProperties, ...keywords } = rules as JsonSchema & { properties?: Record<string, JsonSchema> };
  const properties = { ...(schema.properties as Record<string, JsonSchema> | undefined) };
  for (const [name, extra] of Object.entries(ruleProperties ?? {})) {
    if (!properties[name]) throw new Error(`OpenAPI rules describe ${name}, which the schema does not have`);
    properties[name] = { ...properties[name], ...extra };
  }
  return { ...schema, ...keywords, properties };
}

export interface OpenApiOptions {
  serverUrl?: string;
}

/** Builds the document: at build time (scripts/build-openapi.ts writes lib/openapi/generated/document.ts, which is served) and in tests. */
export function buildOpenApiDocument(options: OpenApiOptions = {}): Record<string, unknown> {
  const components: Record<string, JsonSchema> = {};
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    const parameters: unknown[] = [];
    for (const [name, p] of Object.entries(route.pathParams ?? {})) {
      parameters.push({
        name,
        in: 'path',
        required: true,
        description: p.description,
        schema: jsonSchemaOf(p.schema ?? z.string(), 'input', components),
      });
    }
    for (const [name, field] of Object.entries(route.query?.shape ?? {})) {
      const schema = field as z.ZodType;
      parameters.push({
        name,
        in: 'query',
        required: !schema.safeParse(undefined).success,
        schema: jsonSchemaOf(schema, 'input', components),
      });
    }
    for (const [name, h] of Object.entries(route.headers ?? {})) {
      parameters.push({
        name,
        in: 'header',
        required: h.required ?? false,
        description: h.description,
        schema: jsonSchemaOf(h.schema, 'input', components),
      });
    }
    const operation: Record<string, unknown> = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: route.tags,
      ...(parameters.length ? { parameters } : {}),
      security: route.auth === 'apiKey' ? [{ apiKey: route.scope ? [route.scope] : [] }] : SECURITY[route.auth],
      ...(route.scope ? { 'x-required-scope': route.scope } : {}),
    };
    if (route.body) {
      const schema = jsonSchemaOf(route.body.schema, 'input', components);
      operation.requestBody = {
        required: true,
        content: Object.fromEntries(
          (route.body.contentTypes ?? ['application/json']).map((type) => [
            type,
            {
              schema: route.body!.rules ? withRules(schema, route.body!.rules) : schema,
              ...(route.body!.example ? { example: route.body!.example } : {}),
              ...(route.body!.examples ? { examples: route.body!.examples } : {}),
            },
          ]),
        ),
      };
    }
    operation.responses = Object.fromEntries(
      Object.entries(route.responses).map(([status, r]) => [
        status,
        {
          description: r.description,
          ...(r.schema
            ? {
                content: {
                  [r.contentType ?? 'application/json']: {
                    schema: jsonSchemaOf(r.schema, 'output', components),
                    ...(r.example ? { example: r.example } : {}),
                    ...(r.examples ? { examples: r.examples } : {}),
                  },
                },
              }
            : {}),
        },
      ]),
    );
    (paths[route.path] ??= {})[route.method] = operation;
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'c2c: click-to-call for CRMs through CommPeak',
      version: '1.0.0',
      description:
        "Places calls through the customer's CommPeak PBX at most once per request, and reports their outcomes. Errors are RFC 9457 problem details whose type points at the code's section of docs/api.md, the full contract. See docs/webhooks.md and docs/outcomes.md for webhooks and outcome notifications.",
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    tags: [
      { name: 'calls', description: 'Place and read calls.' },
      { name: 'agents', description: 'Agents, their PBX extensions, teams and availability.' },
      { name: 'tenant', description: "The tenant's own settings (scope tenant:admin)." },
      { name: 'webhooks', description: 'CRM and automation webhooks that place calls.' },
      {
        name: 'subscriptions',
        description: 'Webhook subscriptions: endpoints that receive call events, each with its own filter and secret.',
      },
      { name: 'pbx', description: 'Webhooks from PBX Stats (outcomes).' },
      { name: 'operations', description: 'Health and this document.' },
    ],
    paths,
    webhooks: {
      callState: {
        post: {
          summary: "A state change of a call, sent to the tenant's callback URL",
          description:
            'One per state change, `type` `call.<state>` (also `call.scheduled`, `call.queued` and `call.cancelled` for waiting calls). Standard Webhooks-signed (webhook-id `<callId>.<sequence>`, webhook-timestamp, webhook-signature `v1,<base64 HMAC-SHA256>`), at least once, in order per call. Dedupe on webhook-id. Answer 2xx. See docs/outcomes.md.',
          requestBody: { content: { 'application/json': { schema: jsonSchemaOf(notificationSchema, 'output', components) } } },
          responses: { '200': { description: 'Received.' } },
        },
      },
    },
    components: {
      schemas: components,
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description: `A tenant API key: Authorization: Bearer c2c_<tenant>_<secret>. Scopes: ${SCOPES.join(', ')}.`,
        },
      },
    },
  };
}
