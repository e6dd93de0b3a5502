import { openApiJson } from '../lib/compose/openapi';
import { httpHandler } from '../lib/http/handler';

const body = openApiJson();
const headers = { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' };

/** GET /v1/openapi.json: the OpenAPI 3.1 document, generated from the schemas that validate requests, sent as built. */
export const handler = httpHandler({}, () => Promise.resolve({ status: 200, text: body, headers }));
