import { OPENAPI_JSON } from '../openapi/generated/document';

/**
 * GET /v1/openapi.json: the document built from the request schemas at build time (`npm run build:openapi`,
 * scripts/build-openapi.ts), already serialised: a cold start neither converts a schema nor parses the document.
 */
export const openApiJson = (): string => OPENAPI_JSON;
