import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import yaml from 'js-yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { CALL_STATES } from '../../lib/model/call';
import { callResourceSchema } from '../../lib/model/call-resource';
import { callRequestSchema } from '../../lib/calls/request';
import { buildOpenApiDocument, ROUTES } from '../../lib/openapi/document';
import { GENERATED_OPENAPI_MODULE, generatedOpenApiModule } from '../../scripts/build-openapi';
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
  oneOf?: SchemaObject[];
  dependentRequired?: Record<string, string[]>;
  enum?: string[];
  minimum?: number;
  maximum?: number;
  $ref?: string;
}
interface Content {
  content: Record<string, { schema: SchemaObject; example?: unknown; examples?: Record<string, { summary: string; value: unknown }> }>;
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
    expect(body.schema.required).toEqual(['to']);
    expect(body.schema.additionalProperties).toBe(false);
    expect(body.schema.properties?.prefix?.pattern).toBe('^[0-9*#]{1,10}$');
    expect(body.schema.properties?.team?.pattern).toBe('^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$');
    expect(body.schema.properties?.maxWaitSec).toMatchObject({ type: 'integer', minimum: 1, maximum: 3600 });
    expect(body.schema.properties?.notBefore).toMatchObject({ type: 'string', format: 'date-time' });
    // The handler's refinement (exactly one of agent and team; maxWaitSec only with team), said in JSON Schema: every
    // combination of the three fields passes the document's oneOf and dependentRequired exactly when the handler's
    // schema accepts it.
    const { oneOf, dependentRequired } = body.schema;
    expect(oneOf).toHaveLength(2);
    for (const agent of [undefined, { crmUserId: 'u-17' }])
      for (const team of [undefined, 'sales'])
        for (const maxWaitSec of [undefined, 60]) {
          const request = Object.fromEntries(
            Object.entries({ to: '+44 7766 889900', agent, team, maxWaitSec }).filter(([, v]) => v !== undefined),
          );
          const has = (field: string) => field in request;
          const passesOneOf = oneOf!.filter((branch) => branch.required!.every(has)).length === 1;
          const passesDependent = Object.entries(dependentRequired!).every(([field, needs]) => !has(field) || needs.every(has));
          expect(passesOneOf && passesDependent, JSON.stringify(request)).toBe(callRequestSchema.safeParse(request).success);
        }
    // The examples are checked by the same schemas, so they cannot drift either.
    expect(Object.keys(body.examples!)).toEqual(['agent', 'team']);
    for (const [name, { value }] of Object.entries(body.examples!)) expect(callRequestSchema.safeParse(value).success, name).toBe(true);
    const { responses } = document.paths['/v1/calls']!.post!;
    expect(callResourceSchema.strict().safeParse(responses['201']!.content['application/json']!.example).success).toBe(true);
    const waiting = responses['202']!.content['application/json']!.examples!;
    for (const state of ['scheduled', 'queued']) {
      const parsed = callResourceSchema.strict().safeParse(waiting[state]?.value);
      expect(parsed.success, state).toBe(true);
      expect(parsed.data?.state).toBe(state);
    }
  });

  it('describes the cancel of a waiting call, with each answer docs/api.md gives it', () => {
    const cancel = document.paths['/v1/calls/{callId}']!.delete!;
    expect(cancel.security).toEqual([{ apiKey: ['calls:write'] }]);
    expect(Object.keys(cancel.responses).sort()).toEqual(['200', '401', '403', '404', '409']);
    expect(Object.keys(cancel.responses['409']!.content)).toEqual(['application/problem+json']);
    const cancelled = callResourceSchema.strict().safeParse(cancel.responses['200']!.content['application/json']!.example);
    expect(cancelled.success).toBe(true);
    expect(cancelled.data?.state).toBe('cancelled');
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

  it('describes the outcome notifications sent to the CRM as a webhook, one type per state', () => {
    const schema = document.webhooks.callState!.post!.requestBody.content['application/json']!.schema;
    const notification = document.components.schemas[schema.$ref!.replace('#/components/schemas/', '')]!;
    const types = notification.properties!.type!.enum!;
    expect(types).toEqual(expect.arrayContaining(['call.dialing', 'call.scheduled', 'call.queued', 'call.cancelled']));
    expect(types).toHaveLength(CALL_STATES.length);
  });

  it('is checked in as built: lib/openapi/generated/document.ts is not stale', () => {
    const checkedIn = readFileSync(GENERATED_OPENAPI_MODULE, 'utf8');
    expect(
      checkedIn === generatedOpenApiModule(document),
      'lib/openapi/generated/document.ts is stale: run `npm run build:openapi` and commit it',
    ).toBe(true);
    // The comparison sees a change of the document: one more path makes the checked-in module stale.
    expect(generatedOpenApiModule({ ...document, paths: { ...document.paths, '/v1/more': {} } })).not.toBe(checkedIn);
  });

  it('is served at GET /v1/openapi.json, byte for byte the document built from the schemas, cacheable', async () => {
    process.env.TABLE_NAME ??= 'unused';
    const { handler } = await import('../../functions/openapi');
    const res = await invoke(handler, { method: 'GET', route: '/v1/openapi.json' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    expect(res.headers['x-request-id']).toBeTruthy();
    expect(res.body).toEqual(JSON.parse(JSON.stringify(document)));
    // The bytes, not only the value: the body is the document as JSON.stringify writes it.
    const raw = (await handler(
      {
        version: '2.0',
        rawPath: '/v1/openapi.json',
        headers: {},
        requestContext: { http: { method: 'GET', path: '/v1/openapi.json' } },
      } as never,
      { awsRequestId: 'openapi-bytes' } as never,
    )) as { body: string };
    expect(raw.body).toBe(JSON.stringify(document));
  });
});
