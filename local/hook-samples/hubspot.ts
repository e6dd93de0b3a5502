import { signHubSpotV3 } from '../../lib/crm/sources/hubspot';
import { editSampleJson, type SourceSamples } from './source-samples';

/** A contact enrolled in a workflow with a "Send a webhook" action. */
export const hubspot: SourceSamples = {
  secret: 'hs-sample-client-secret-0f3c9a7e',
  forgedSecret: 'hs-forged-client-secret-11111111',
  rotatedSecret: 'hs-rotated-client-secret-22222222',
  otherTenantSecret: 'hs-other-tenant-client-secret-333',
  userAgent: 'HubSpot Connect 2.0 (http://dev.hubspot.com/) - WorkflowsWebhooksAppActionExecutor',
  payload(complete) {
    // The record's properties, each as {value, timestamp, source...}.
    const property = (value: string) => ({ value, timestamp: 1773309540000, source: 'CRM_UI', sourceId: 'userId:52550153' });
    return {
      objectId: 1051,
      objectType: 'CONTACT',
      portalId: 62515,
      properties: {
        firstname: property('Jane'),
        lastname: property('Doe'),
        email: property('jane.doe@example.org'),
        ...(complete ? { phone: property('+44 7766 889901') } : {}),
        hubspot_owner_id: property('52550153'),
        lifecyclestage: property('lead'),
        hs_object_id: property('1051'),
      },
    };
  },
  numberPath: 'properties.phone',
  signsBody: true,
  signsTimestamp: true,
  sign: ({ url, body }, secret, atMs) => ({
    'x-hubspot-request-timestamp': String(atMs),
    'x-hubspot-signature-v3': signHubSpotV3(secret, 'POST', url, body, atMs),
    'x-hubspot-signature-version': 'v3',
  }),
  // No delivery id: another record is another delivery.
  variant: (event, n) =>
    editSampleJson(event, (b: { objectId: string }) => {
      b.objectId = `9${n.replace(/\D/g, '')}${Math.floor(Math.random() * 1e6)}`;
    }),
  unknownAgent(b: { properties: { hubspot_owner_id: { value: string } } }) {
    b.properties.hubspot_owner_id.value = '99999999';
  },
};
