import { basicAuthorization } from '../../lib/crm/sources/pipedrive';
import { editSampleJson, type SourceSamples } from './source-samples';

/** Webhooks v2, a person added: `meta.id` is the delivery's own id. Secrets are the webhook's `user:password`. */
export const pipedrive: SourceSamples = {
  secret: 'c2c-samples:pipedrive-sample-password',
  forgedSecret: 'c2c-samples:a-guessed-password-000',
  rotatedSecret: 'c2c-samples:rotated-sample-password',
  otherTenantSecret: 'c2c-other:other-tenant-password-0',
  userAgent: 'Pipedrive Webhooks',
  payload: (complete) => ({
    data: {
      add_time: '2026-03-12T09:59:57Z',
      custom_fields: {},
      emails: [{ label: 'work', primary: true, value: 'sam.lee@example.org' }],
      first_name: 'Sam',
      id: 4242,
      label_ids: [],
      last_name: 'Lee',
      name: 'Sam Lee',
      org_id: 310,
      owner_id: 23865811,
      phones: complete ? [{ label: 'mobile', primary: true, value: '+44 7766 889902' }] : [],
      update_time: '2026-03-12T09:59:57Z',
      visible_to: '3',
    },
    previous: null,
    meta: {
      action: 'create',
      attempt: 1,
      change_source: 'app',
      company_id: 13279851,
      correlation_id: complete ? '5d7c1f0e-8a51-4f0b-9a8e-3c2b1d4e5f60' : '6e8d2a1f-9b62-4a1c-8b9f-4d3c2e5f6a71',
      entity_id: '4242',
      entity: 'person',
      host: 'samples.pipedrive.com',
      id: complete ? 'b4c1e2d3-7f6a-4e5d-8c9b-0a1f2e3d4c5b' : 'c5d2f3e4-8a7b-4f6e-9dac-1b2a3f4e5d6c',
      is_bulk_edit: false,
      timestamp: '2026-03-12T09:59:57.884Z',
      type: 'general',
      user_id: 23865811,
      version: '2.0',
      webhook_id: '881201',
      webhook_owner_id: 23865811,
    },
  }),
  numberPath: 'data.phones.0.value',
  // HTTP Basic credentials: no timestamp, no signature over the body.
  signsBody: false,
  signsTimestamp: false,
  sign(_request, secret) {
    const colon = secret.indexOf(':');
    return { authorization: basicAuthorization(secret.slice(0, colon), secret.slice(colon + 1)) };
  },
  variant: (event, n) =>
    editSampleJson(event, (b: { meta: { id: string | number }; data: { id: string } }) => {
      b.meta.id = `${b.meta.id}-${n}`;
      b.data.id = `4242${n}`;
    }),
  unknownAgent(b: { data: { owner_id: number } }) {
    b.data.owner_id = 99999999;
  },
};
