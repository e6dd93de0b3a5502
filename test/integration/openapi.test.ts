import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import yaml from 'js-yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { callSchema } from '../../lib/model/call';
import { callRequestSchema } from '../../lib/calls/request';
import { buildOpenApiDocument, ROUTES } from '../../lib/openapi/document';
import { invoke } from '../support/env';

const ROOT = path.resolve(__dirname, '../..');

/** Every HTTP route serverless.yml deploys, as "METHOD /path". */
function deployedRoutes(): string[] {
  const config = yaml.load(readFileSync(path.join(ROOT, 'serverless.yml'), 'utf8')) as {
    functions: Record<string, { events?: Array<{ httpApi?: { method: string; path: string } }> }>;
  };
  return Object.values(config.functions)
    .flatMap((fn) => fn.events ?? [])
    .flatMap((event) => (event.httpApi ? [`${event.httpApi.method.toUpperCase()} ${event.httpApi.path}`] : []))
    .sort();
}

/** The parts of an OpenAPI 3.1 document the tests read (the validator above checks the whole). */
interface SchemaObject {
  type?: string;
  format?: string;
  description?: string;
  pattern?: string;
  required?: string[];
  additionalProperties?: unknown;
  properties?: Record<string, SchemaObject>;
}
interface Content {
  content: Record<string, { schema: SchemaObject; example?: unknown }>;
}
interface Operation {
  requestBody: Content;
  responses: Record<string, Content>;
  security?: unknown;
}
interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, SchemaObject> };
  webhooks: Record<string, Record<string, Operation>>;
}

let document: OpenApiDocument;

beforeAll(() => {
  document = buildOpenApiDocument() as unknown as OpenApiDocument;
});

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(document as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(document.openapi).toBe('3.1.0');
  });

  it('has no dangling $ref', () => {
    const refs = [...JSON.stringify(document).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      const name = ref.replace('#/components/schemas/', '');
      expect(document.components.schemas[name], ref).toBeDefined();
    }
  });

  it('documents exactly the routes serverless.yml deploys', () => {
    const documented = Object.entries(document.paths)
      .flatMap(([p, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${p}`))
      .sort();
    expect(documented).toEqual(deployedRoutes());
  });

  it('describes the call request with the schema the handler validates with', () => {
    const body = document.paths['/v1/calls']!.post!.requestBody.content['application/json']!;
    expect(body.schema.required).toEqual(expect.arrayContaining(['agent', 'to']));
    expect(body.schema.additionalProperties).toBe(false);
    expect(body.schema.properties?.prefix?.pattern).toBe('^[0-9*#]{1,10}$');
    // The examples are checked by the same schemas, so they cannot drift either.
    expect(callRequestSchema.safeParse(body.example).success).toBe(true);
    const created = document.paths['/v1/calls']!.post!.responses['201']!.content['application/json']!;
    expect(callSchema.safeParse(created.example).success).toBe(true);
  });

  it('names every documented status of POST /v1/calls from docs/api.md, problems as problem+json', () => {
    const responses = document.paths['/v1/calls']!.post!.responses;
    expect(Object.keys(responses).sort()).toEqual(['200', '201', '202', '400', '401', '403', '409', '422', '429', '503']);
    expect(Object.keys(responses['422']!.content)).toEqual(['application/problem+json']);
    expect(document.components.schemas.Problem!.required).toEqual(expect.arrayContaining(['type', 'title', 'status', 'code', 'detail']));
  });

  it("describes a problem's type as a reference into docs/api.md, not an absolute URL", () => {
    const { schemas } = document.components;
    const type = schemas.Problem!.properties!.type!;
    expect(type).toMatchObject({ type: 'string', format: 'uri-reference' });
    expect(type.description).toContain('/docs/api.md#problem-');
  });

  it('requires the documented scope on every API-key route', () => {
    for (const route of ROUTES.filter((r) => r.auth === 'apiKey')) {
      const op = document.paths[route.path]![route.method]!;
      expect(op.security, `${route.method} ${route.path}`).toEqual([{ apiKey: [route.scope] }]);
    }
  });

  it('describes the outcome notifications sent to the CRM as a webhook', () => {
    expect(document.webhooks.callState!.post!.requestBody.content['application/json']!.schema).toBeDefined();
  });

  it('is served at GET /v1/openapi.json', async () => {
    process.env.TABLE_NAME ??= 'unused';
    const { handler } = await import('../../functions/openapi');
    const res = await invoke(handler, { method: 'GET', route: '/v1/openapi.json' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.body).toEqual(JSON.parse(JSON.stringify(document)));
  });
});
