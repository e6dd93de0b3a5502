import { signStandardWebhook } from '../../lib/crm/standard-webhooks';
import { editSampleJson, type SourceSamples } from './source-samples';

/** A Svix-style sender: the spec's recommended `{type, timestamp, data}` envelope. The secret is the spec's own example. */
export const standard: SourceSamples = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  forgedSecret: 'whsec_Zm9yZ2VkLWtleS1mb3ItdGhlLXNhbXBsZXMtMDAw',
  rotatedSecret: 'whsec_cm90YXRlZC1zZWNyZXQtZm9yLXRoZS10ZXN0cy0xMjM0',
  otherTenantSecret: 'whsec_b3RoZXItdGVuYW50LXNlY3JldC1mb3ItdGVzdHMtMA==',
  userAgent: 'Svix-Webhooks/1.24.0',
  payload: (complete) => ({
    type: 'call.requested',
    timestamp: '2026-03-12T09:59:58.412Z',
    data: {
      agent: { crmUserId: 'u-17' },
      ...(complete ? { to: '+44 7766 889900' } : {}),
      lead: { id: 'lead-5521' },
    },
  }),
  headers: (complete) => ({ 'webhook-id': complete ? 'msg_2fGqJ8cK4bTtWn0Yx7ZsV1aP3dE' : 'msg_2fGqJ8cK4bTtWn0Yx7ZsV1aQ4eF' }),
  numberPath: 'data.to',
  signsBody: true,
  signsTimestamp: true,
  sign({ headers, body }, secret, atMs) {
    const seconds = Math.floor(atMs / 1000);
    return {
      'webhook-timestamp': String(seconds),
      'webhook-signature': signStandardWebhook(secret, headers['webhook-id'] ?? '', seconds, body),
    };
  },
  variant: (event, n) =>
    editSampleJson(
      { ...event, headers: { ...event.headers, 'webhook-id': `${event.headers['webhook-id']}_${n}` } },
      (b: { data: { lead: { id: string } } }) => {
        b.data.lead.id = `lead-${n}`;
      },
    ),
  unknownAgent(b: { data: { agent: { crmUserId: string } } }) {
    b.data.agent.crmUserId = 'u-nobody';
  },
};
