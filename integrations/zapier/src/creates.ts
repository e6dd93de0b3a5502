import { createHash } from 'node:crypto';
import type { Bundle, ZObject } from 'zapier-platform-core';
import { apiUrl } from './api';
import { CALL_OUTPUT_FIELDS, LEAD_TYPES, SAMPLE_CALL, toZapierCall, type CallResource, type ZapierCall } from './calls';

/**
 * "Place a call" (POST /v1/calls) and "Cancel a call" (DELETE /v1/calls/{callId}).
 *
 * Zapier replays a step: the Zap's own retry after an error or a timeout, a user's "replay" from the Zap history. The
 * service dials at most once per Idempotency-Key (docs/design.md "The ledger: never dial twice"), so the key is
 * derived from what identifies the step's request, never drawn at random:
 *
 *   zapier-<zap id>-<first 40 hex of SHA-256 of the canonical JSON {body, repeatKey}>
 *
 * where `body` is the exact request body sent (the call's agent or team, number, lead, custom data, notBefore,
 * maxWaitSec: absent fields left out, object keys sorted) and `repeatKey` the optional "Call again key" field. The same
 * input in the same Zap gives the same key, so a replay answers the call already placed (`duplicate: true`) and never
 * rings again; another Zap, or any other input, gives another key. Without a Zap id (Zapier leaves it out of some test
 * runs) the zap part is `none`.
 */

type CreateBody = {
  agent?: { crmUserId: string };
  team?: string;
  to: string;
  lead?: { id: string; type?: string };
  customData?: Record<string, string>;
  notBefore?: string;
  maxWaitSec?: number;
};

/** A field's text, trimmed; undefined when it is empty or not text (Zapier sends empty fields as ''). */
const text = (value: unknown): string | undefined => {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const s = String(value).trim();
  return s === '' ? undefined : s;
};

/** The request body from the step's input: only what the user filled in, as the API spells it. */
export function placeCallBody(inputData: Record<string, unknown>): CreateBody {
  const agent = text(inputData.agent);
  const team = text(inputData.team);
  const leadId = text(inputData.leadId);
  const leadType = text(inputData.leadType);
  const notBefore = text(inputData.notBefore);
  const maxWaitSec = text(inputData.maxWaitSec);
  const customData =
    inputData.customData && typeof inputData.customData === 'object' ? (inputData.customData as Record<string, unknown>) : {};
  const custom = Object.fromEntries(
    Object.entries(customData)
      .map(([k, v]) => [k.trim(), text(v)] as const)
      .filter((entry): entry is readonly [string, string] => entry[0] !== '' && entry[1] !== undefined),
  );
  return {
    ...(agent ? { agent: { crmUserId: agent } } : {}),
    ...(team ? { team } : {}),
    to: text(inputData.to) ?? '',
    ...(leadId ? { lead: { id: leadId, ...(leadType ? { type: leadType } : {}) } } : {}),
    ...(Object.keys(custom).length ? { customData: custom } : {}),
    ...(notBefore ? { notBefore } : {}),
    // Sent as the user wrote it when it is not a whole number: the service's 400 names `maxWaitSec`.
    ...(maxWaitSec ? { maxWaitSec: /^\d+$/.test(maxWaitSec) ? Number(maxWaitSec) : (maxWaitSec as unknown as number) } : {}),
  };
}

/** JSON with object keys sorted at every level: one text per value, whatever order Zapier gave the fields in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function idempotencyKeyOf(zapId: string | number | undefined, body: CreateBody, repeatKey: string | undefined): string {
  const zap =
    zapId === undefined || zapId === null || String(zapId) === ''
      ? 'none'
      : String(zapId)
          .replace(/[^A-Za-z0-9_-]/g, '_')
          .slice(0, 64);
  const digest = createHash('sha256')
    .update(canonical({ body, repeatKey: repeatKey ?? null }), 'utf8')
    .digest('hex');
  return `zapier-${zap}-${digest.slice(0, 40)}`;
}

const placeCall = async (z: ZObject, bundle: Bundle): Promise<ZapierCall> => {
  const body = placeCallBody(bundle.inputData);
  const key = idempotencyKeyOf(bundle.meta.zap?.id, body, text(bundle.inputData.repeatKey));
  const response = await z.request({
    url: apiUrl(z, bundle, '/v1/calls'),
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body,
  });
  return toZapierCall(response.data as CallResource);
};

const cancelCall = async (z: ZObject, bundle: Bundle): Promise<ZapierCall> => {
  const callId = text(bundle.inputData.callId) ?? '';
  const response = await z.request({ url: apiUrl(z, bundle, `/v1/calls/${encodeURIComponent(callId)}`), method: 'DELETE' });
  return toZapierCall(response.data as CallResource);
};

export const placeCallCreate = {
  key: 'place_call',
  noun: 'Call',
  display: {
    label: 'Place a Call',
    description:
      "Rings an agent (or a free member of a team) and connects them to the number. A replay of this step with the same input never rings twice: the key sent is derived from the Zap and the step's input.",
  },
  operation: {
    inputFields: [
      {
        key: 'agent',
        label: 'Agent',
        type: 'string' as const,
        required: false,
        helpText: "The agent's CRM user id (`crmUserId`): that agent's phone rings first. Fill in either Agent or Team, not both.",
      },
      {
        key: 'team',
        label: 'Team',
        type: 'string' as const,
        required: false,
        helpText: 'A team name (e.g. `sales`): the member idle longest who is free takes the call. Fill in either Agent or Team, not both.',
      },
      {
        key: 'to',
        label: 'Number',
        type: 'string' as const,
        required: true,
        helpText:
          "The lead's phone number, in any common format (`+44 7766 889900`); a national number is read in the tenant's default country.",
      },
      {
        key: 'leadId',
        label: 'Lead ID',
        type: 'string' as const,
        required: false,
        helpText: 'The CRM record this call is about (a deal, contact... id). Calls can then be found by it ("Find Calls by Lead").',
      },
      {
        key: 'leadType',
        label: 'Lead Type',
        type: 'string' as const,
        required: false,
        choices: [...LEAD_TYPES],
        helpText:
          'What kind of CRM record the Lead ID names, so that the call is logged on it (HubSpot: contact, company, deal; Pipedrive: person, organization, deal, lead).',
      },
      {
        key: 'customData',
        label: 'Custom Data',
        dict: true,
        required: false,
        helpText: 'Up to 20 name/value pairs written into the PBX call record (names start with a letter; values up to 256 characters).',
      },
      {
        key: 'notBefore',
        label: 'Not Before',
        type: 'datetime' as const,
        required: false,
        helpText:
          'The earliest time to dial, at most 30 days ahead. In the future, the call waits (scheduled) and can be cancelled until then.',
      },
      {
        key: 'maxWaitSec',
        label: 'Max Wait (seconds)',
        type: 'integer' as const,
        required: false,
        helpText:
          'Team calls only: when no member is free, wait this long (1-3600 s) for one instead of failing with "no agent available".',
      },
      {
        key: 'repeatKey',
        label: 'Call Again Key',
        type: 'string' as const,
        required: false,
        helpText:
          'Optional. The same Zap with the same input places one call for good (replays never ring twice). Map here a value that changes when a new call is wanted, e.g. the time the deal entered the stage.',
      },
    ],
    perform: placeCall,
    sample: SAMPLE_CALL,
    outputFields: [
      ...CALL_OUTPUT_FIELDS,
      {
        key: 'duplicate',
        label: 'Duplicate (true when this step was a replay: the call was placed before, not now)',
        type: 'boolean' as const,
      },
    ],
  },
};

export const cancelCallCreate = {
  key: 'cancel_call',
  noun: 'Call',
  display: {
    label: 'Cancel a Call',
    description:
      'Cancels a call still waiting (scheduled or queued), so that it is never dialled. A call already ringing cannot be cancelled.',
  },
  operation: {
    inputFields: [
      {
        key: 'callId',
        label: 'Call ID',
        type: 'string' as const,
        required: true,
        helpText: 'The id of the call (c_...), from "Place a Call" or a trigger. Cancelling a call cancelled already succeeds again.',
      },
    ],
    perform: cancelCall,
    sample: {
      ...SAMPLE_CALL,
      state: 'cancelled',
      outcome: 'cancelled',
      durationSec: null,
      billSec: null,
      hangupClass: null,
      hangupCause: null,
    },
    outputFields: CALL_OUTPUT_FIELDS,
  },
};
