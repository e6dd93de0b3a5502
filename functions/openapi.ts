import { openApiDocument } from '../lib/compose/openapi';
import { httpHandler, json } from '../lib/http/handler';

const document = openApiDocument();

/** GET /v1/openapi.json: the OpenAPI 3.1 document, generated from the schemas that validate requests. */
export const handler = httpHandler({}, () => Promise.resolve(json(200, document, { 'cache-control': 'public, max-age=300' })));
