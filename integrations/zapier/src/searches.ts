import type { Bundle, ZObject } from 'zapier-platform-core';
import { apiUrl } from './api';
import { CALL_OUTPUT_FIELDS, SAMPLE_CALL, toZapierCall, type CallResource, type ZapierCall } from './calls';

/** "Find Calls by Lead": GET /v1/calls?leadId=, newest first (the first is what a Zap step uses). */
const findCallsByLead = async (z: ZObject, bundle: Bundle): Promise<ZapierCall[]> => {
  const leadId = String((bundle.inputData.leadId as string | number | undefined) ?? '').trim();
  const agent = String((bundle.inputData.agent as string | undefined) ?? '').trim();
  const response = await z.request({
    url: apiUrl(z, bundle, '/v1/calls'),
    params: { leadId, limit: '50', ...(agent ? { agent } : {}) },
  });
  return (response.data as { calls: CallResource[] }).calls.map(toZapierCall);
};

export const findCallsByLeadSearch = {
  key: 'find_calls_by_lead',
  noun: 'Call',
  display: {
    label: 'Find Calls by Lead',
    description: 'Finds the calls placed for a CRM record (the Lead ID given when the call was placed), newest first.',
  },
  operation: {
    inputFields: [
      {
        key: 'leadId',
        label: 'Lead ID',
        type: 'string' as const,
        required: true,
        helpText: 'The CRM record id the calls were placed with (the `lead.id` of the call).',
      },
      {
        key: 'agent',
        label: 'Agent',
        type: 'string' as const,
        required: false,
        helpText: "Only this agent's calls: its CRM user id. Leave empty for every agent.",
      },
    ],
    perform: findCallsByLead,
    sample: SAMPLE_CALL,
    outputFields: CALL_OUTPUT_FIELDS,
  },
};
