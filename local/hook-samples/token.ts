import { editSampleJson, type SourceSamples } from './source-samples';

/** What a Zapier "Webhooks by Zapier" POST, a Make HTTP module or an n8n HTTP Request node sends. */
export const token: SourceSamples = {
  secret: 'c2ct_sample-token-for-tests-and-local-runs-only',
  forgedSecret: 'c2ct_a-guessed-token-that-is-not-issued-0000',
  rotatedSecret: 'c2ct_rotated-token-for-the-hook-tests-000000',
  otherTenantSecret: 'c2ct_other-tenant-token-for-the-hook-tests-0',
  userAgent: 'Zapier',
  payload: (complete) => ({ agent_email: 'alice@example.com', ...(complete ? { phone: '07766 889903' } : {}), lead_id: 'zap-lead-88' }),
  headers: (complete) => ({ 'idempotency-key': complete ? 'zap-run-7731-a' : 'zap-run-7731-b' }),
  numberPath: 'phone',
  // A token header: no timestamp, no signature over the body.
  signsBody: false,
  signsTimestamp: false,
  sign: (_request, secret) => ({ 'x-c2c-token': secret }),
  variant: (event, n) =>
    editSampleJson({ ...event, headers: { ...event.headers, 'idempotency-key': `zap-run-${n}` } }, (b: { lead_id: string }) => {
      b.lead_id = `zap-lead-${n}`;
    }),
  unknownAgent(b: { agent_email: string }) {
    b.agent_email = 'nobody@example.com';
  },
};
