import type { Bundle, ZObject } from 'zapier-platform-core';
import { apiUrl, baseUrlOf } from './api';

/**
 * An API key of the tenant (`c2c key issue`, docs/api.md "Keys and scopes") and the service's base URL. The test is
 * the cheapest authenticated read, `GET /v1/calls?limit=1` (scope `calls:read`, one read of the tenant's budget). The
 * key the app needs: `calls:read` (this test, samples, "Find Calls by Lead"), `calls:write` ("Place a Call", "Cancel a
 * Call") and `subscriptions:write` (the triggers' subscribe and unsubscribe).
 */

const KEY_TENANT = /^c2c_([a-z0-9][a-z0-9-]{1,39})_/;

const test = async (z: ZObject, bundle: Bundle) => {
  const response = await z.request({ url: apiUrl(z, bundle, '/v1/calls'), params: { limit: '1' } });
  return { ok: true, calls: (response.data as { calls: unknown[] }).calls.length };
};

/** "acme @ calls.example.com": the tenant the key belongs to (keys carry it in clear) and the service's host. */
const connectionLabel = (z: ZObject, bundle: Bundle) => {
  const tenant = KEY_TENANT.exec(String(bundle.authData.apiKey ?? ''))?.[1] ?? 'tenant';
  return `${tenant} @ ${new URL(baseUrlOf(z, bundle)).host}`;
};

export const authentication = {
  type: 'custom' as const,
  fields: [
    {
      key: 'baseUrl',
      label: 'Base URL',
      type: 'string' as const,
      required: true,
      helpText:
        "The service's address, e.g. `https://calls.example.com` (https; http only for `localhost`). Ask the operator who gave you the API key.",
    },
    {
      key: 'apiKey',
      label: 'API Key',
      type: 'password' as const,
      required: true,
      helpText:
        'An API key of your tenant (`c2c_<tenant>_...`, issued with `c2c key issue`) with the scopes `calls:read`, `calls:write` and `subscriptions:write`.',
    },
  ],
  test,
  connectionLabel,
};
