import { httpHandler, json } from '../lib/http/handler';
import { buildOpenApiDocument } from '../lib/openapi/document';

// Built once per container: the schemas do not change while it lives.
const document = buildOpenApiDocument();

/** GET /v1/openapi.json: the OpenAPI 3.1 document, generated from the schemas that validate requests. */
export const handler = httpHandler({}, async () => json(200, document, { 'cache-control': 'public, max-age=300' }));
