import { buildOpenApiDocument } from '../openapi/document';
import { once } from './root';

/** GET /v1/openapi.json: built once per container, the schemas do not change while it lives. */
export const openApiDocument = once(() => buildOpenApiDocument());
