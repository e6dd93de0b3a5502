import { invalidRequest } from '../model/domain-error';
import { buildClick2CallUrl, MAX_CLICK2CALL_URL_LENGTH, type DialRequest, type PbxSettings } from '../pbx/click2call';
import { PbxError } from '../pbx/errors';
import type { Tenant } from '../model/tenant';
import { CALL_ID_FIELD } from '../pbx/stats-event';
import type { CallRequest } from './request';

/** The tenant's settings for a Click2Call GET, with the stage's timeout where the tenant sets none. */
export function pbxSettingsOf(tenant: Tenant, defaultTimeoutMs: number): PbxSettings {
  return {
    urlShape: tenant.pbx.urlShape,
    baseUrl: tenant.pbx.baseUrl,
    crmId: tenant.crmId,
    clientId: tenant.clientId,
    basicAuth: tenant.pbx.basicAuth,
    timeoutMs: tenant.pbx.timeoutMs ?? defaultTimeoutMs,
  };
}

/** The query string of a call's GET: its custom data, then our call id and the lead, which no custom name may replace. */
export function dialQueryOf(call: { callId: string; customData: Record<string, string>; leadId?: string }): Record<string, string> {
  const query: Record<string, string> = { ...call.customData, [CALL_ID_FIELD]: call.callId };
  if (call.leadId !== undefined) query.leadid = call.leadId;
  return query;
}

/*
 * Stand-ins for what is not known yet when the agent or the number did not resolve (the call is then refused
 * anyway): the longest extension and the longest E.164 number, so that the verdict on the request's own
 * fields never depends on a lookup.
 */
const LONGEST_EXTENSION = '0'.repeat(12);
const LONGEST_NUMBER = '0'.repeat(15);

/**
 * Refuses a call request whose Click2Call URL would be longer than {@link MAX_CLICK2CALL_URL_LENGTH}, before
 * anything is reserved or sent: past that length a PBX answers 414/431 to a GET it did receive, and the call
 * would be left `unknown`. Measured on the very URL the dial builds ({@link buildClick2CallUrl}).
 *
 * Settings that cannot produce a URL at all are not this check's business: the dial records them as `not_sent`.
 *
 * @param dial.legA the agent's extension, when the agent was found
 * @param dial.legB the destination's E.164 digits, when the number is valid
 * @throws {DomainError} `invalid_request` naming `customData` (or `lead.id` when there is no custom data)
 */
export function assertDialUrlFits(tenant: Tenant, dial: { callId: string; request: CallRequest; legA?: string; legB?: string }): void {
  const { request } = dial;
  const customData = request.customData ?? {};
  const dialRequest: DialRequest = {
    legA: dial.legA ?? LONGEST_EXTENSION,
    legB: dial.legB ?? LONGEST_NUMBER,
    prefix: request.prefix,
    query: dialQueryOf({ callId: dial.callId, customData, leadId: request.lead?.id }),
  };
  let length: number;
  try {
    length = buildClick2CallUrl(pbxSettingsOf(tenant, 1), dialRequest).href.length;
  } catch (error) {
    if (error instanceof PbxError) return;
    throw error;
  }
  if (length <= MAX_CLICK2CALL_URL_LENGTH) return;
  const path = Object.keys(customData).length > 0 ? 'customData' : 'lead.id';
  const message =
    `makes the PBX URL ${length} characters long, more than the ${MAX_CLICK2CALL_URL_LENGTH} a PBX is sure to accept ` +
    '(values are sent percent-encoded: a character outside ASCII takes up to 9)';
  throw invalidRequest(`The request is too long to send to the PBX: its ${path} ${message}.`, [{ path, message }]);
}
