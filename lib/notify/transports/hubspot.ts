import { isLoggedState, type HubSpotConnection, type LoggableState } from '../../model/crm-connection';
import type { OutboundPolicy } from '../../net/outbound';
import type { ConnectionCheck, DeliveryOutcome, NotificationTransport, CrmConnectionFlags } from '../transport';
import { crmRequest, failedOutcome, isNoAnswer, type CrmAnswer, type CrmNoAnswer, type CrmRequest } from './crm-http';
import { associationOf, CALL_ID_LABEL, callPropertiesOf, recordKindOf } from './hubspot-fields';

export const HUBSPOT_TRANSPORT = 'hubspot';

/** The tenant's HubSpot connection, and which final states it logs. */
export interface HubSpotTarget {
  tenantId: string;
  connection: HubSpotConnection;
  logStates?: readonly LoggableState[];
}

/** The scopes a private app needs to log calls: creating and updating calls needs write, the lookup needs read. */
export const HUBSPOT_REQUIRED_SCOPES = ['crm.objects.contacts.read', 'crm.objects.contacts.write'] as const;

/**
 * Our pace per connection. A private app may make 100 requests per 10 s on Free and Starter accounts (190 on
 * Professional and Enterprise); 8 a second leaves the lowest tier room for the lookups (the search API allows 4 a
 * second per token) and for the doctor's check.
 */
export const HUBSPOT_PER_SECOND = 8;

const CALLS_PATH = '/crm/v3/objects/calls';

/** What the transport is built from (the registry's TransportOptions fit it). */
export interface HubSpotTransportOptions {
  timeoutMs: number;
  outbound: OutboundPolicy;
  /** Flags the connection when HubSpot refuses its token (401/403). */
  crmConnections?: CrmConnectionFlags;
}

/**
 * HubSpot call logging (docs/crm-logging.md, "HubSpot"): one call engagement per call, on the record the call came
 * from, created by one `POST /crm/v3/objects/calls`. Its id is kept by the engine; a later delivery updates that call
 * (`PATCH`); an attempt after an unknown outcome first searches for our call id in the calls' bodies.
 *
 * A held connection (HubSpot refused its token) keeps its target so the engine keeps its calls waiting: `deliver`
 * answers `held` at once, without a request, until `c2c crm connect` sets a new token and clears the hold.
 */
export function hubspotTransport(options: HubSpotTransportOptions): NotificationTransport<HubSpotTarget> {
  const send = (request: CrmRequest) => crmRequest(request, options);
  const call = (target: HubSpotTarget, method: CrmRequest['method'], path: string, json?: unknown): CrmRequest => ({
    method,
    url: urlOf(target.connection.apiUrl, path),
    headers: { authorization: `Bearer ${target.connection.token}` },
    ...(json !== undefined ? { json } : {}),
  });

  /** The answer of a request that did not succeed; a refused token also flags the connection. */
  const failed = async (target: HubSpotTarget, answer: CrmAnswer, now: Date): Promise<DeliveryOutcome> => {
    const outcome = failedOutcome(answer, wordsOf(answer.body), now);
    if (outcome.kind === 'held')
      await options.crmConnections?.hold(target.tenantId, 'hubspot', outcome.error, now, target.connection.connectedAt);
    return outcome;
  };

  return {
    name: HUBSPOT_TRANSPORT,
    targetOf(tenant) {
      const connection = tenant.crm?.hubspot;
      if (!connection) return undefined;
      return { tenantId: tenant.tenantId, connection, ...(tenant.crm?.logStates ? { logStates: tenant.crm.logStates } : {}) };
    },
    wants(event, stored, target) {
      if (!isLoggedState(event.state, target.logStates ? { logStates: [...target.logStates] } : undefined)) return false;
      return stored.lead !== null && recordKindOf(stored.lead) !== undefined;
    },
    hostOf: (target) => hostOf(target.connection.apiUrl),
    paceOf: (target) => ({ key: `hubspot#${target.tenantId}`, perSecond: HUBSPOT_PER_SECOND }),

    async deliver(stored, _event, { target, now, attempt, remoteId }): Promise<DeliveryOutcome> {
      if (target.connection.held) return { kind: 'held', error: `connection held: ${target.connection.held.reason}`.slice(0, 300) };
      const properties = callPropertiesOf(stored);

      if (remoteId) {
        const answer = await send(call(target, 'PATCH', `${CALLS_PATH}/${encodeURIComponent(remoteId)}`, { properties }));
        if (isNoAnswer(answer)) return answer;
        return isSuccess(answer) ? { kind: 'delivered', remoteId: idOf(answer.body) ?? remoteId } : failed(target, answer, now);
      }

      if (attempt > 1) {
        const found = await lookUp(target, stored.callId);
        if (found.kind !== 'none') {
          if (found.kind === 'found') return { kind: 'delivered', remoteId: found.id };
          return isNoAnswer(found.answer) ? found.answer : failed(target, found.answer, now);
        }
      }

      const kind = recordKindOf(stored.lead);
      if (!stored.lead || !kind) return { kind: 'dead', error: 'no HubSpot record to log the call on (lead missing or of another CRM)' };
      const answer = await send(call(target, 'POST', CALLS_PATH, { properties, associations: [associationOf(stored.lead.id, kind)] }));
      if (isNoAnswer(answer)) return answer;
      if (!isSuccess(answer)) return failed(target, answer, now);
      const id = idOf(answer.body);
      // A 2xx without an id cannot be kept: the next attempt looks the call up rather than creating another.
      return id ? { kind: 'delivered', remoteId: id } : { kind: 'retry', error: `HTTP ${answer.status}: no call id in HubSpot's answer` };
    },

    async check(target): Promise<ConnectionCheck> {
      // HubSpot tells a private app's token its scopes; the same request proves HubSpot takes the token.
      const answer = await send(
        call(target, 'POST', '/oauth/v2/private-apps/get/access-token-info', { tokenKey: target.connection.token }),
      );
      if (isNoAnswer(answer)) return { ok: false, detail: `HubSpot did not answer: ${answer.error}` };
      if (!isSuccess(answer)) return { ok: false, detail: `HTTP ${answer.status}: ${wordsOf(answer.body)}`.slice(0, 500) };
      const info = (answer.body ?? {}) as { scopes?: unknown; hubId?: unknown };
      const scopes = Array.isArray(info.scopes) ? info.scopes.filter((s): s is string => typeof s === 'string') : [];
      const missing = HUBSPOT_REQUIRED_SCOPES.filter((scope) => !scopes.includes(scope));
      const account = typeof info.hubId === 'number' || typeof info.hubId === 'string' ? ` (account ${String(info.hubId)})` : '';
      if (missing.length > 0) return { ok: false, detail: `the private app${account} lacks the scopes ${missing.join(', ')}` };
      return { ok: true, detail: `token accepted${account}; scopes ${HUBSPOT_REQUIRED_SCOPES.join(', ')} granted` };
    },
  };

  /**
   * Our call id in the calls' bodies (HubSpot's CRM search, `CONTAINS_TOKEN`). A found call must carry the id after
   * our label: a search hit whose body merely mentions the id elsewhere is not ours.
   */
  async function lookUp(
    target: HubSpotTarget,
    callId: string,
  ): Promise<{ kind: 'found'; id: string } | { kind: 'none' } | { kind: 'failed'; answer: CrmAnswer | CrmNoAnswer }> {
    const answer = await send(
      call(target, 'POST', `${CALLS_PATH}/search`, {
        // HubSpot's search matches whole tokens of a text property, and a token ends at punctuation: our ids
        // (`c_…`) are two or more tokens, each a filter of one group (all must match); the label is checked below.
        filterGroups: [
          { filters: searchTokensOf(callId).map((value) => ({ propertyName: 'hs_call_body', operator: 'CONTAINS_TOKEN', value })) },
        ],
        properties: ['hs_call_body'],
        limit: 10,
      }),
    );
    if (isNoAnswer(answer) || !isSuccess(answer)) return { kind: 'failed', answer };
    const results =
      (answer.body as { results?: Array<{ id?: unknown; properties?: { hs_call_body?: unknown } }> } | undefined)?.results ?? [];
    const ours = results.find((r) => {
      const body = r.properties?.hs_call_body;
      return typeof r.id === 'string' && typeof body === 'string' && body.includes(`${CALL_ID_LABEL} ${callId}`);
    });
    return ours ? { kind: 'found', id: ours.id as string } : { kind: 'none' };
  }
}

/** The tokens of a call id as a text search splits it (at most HubSpot's 6 filters of a group: ids have 2). */
export function searchTokensOf(callId: string): string[] {
  return callId
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .slice(0, 6);
}

const isSuccess = (answer: CrmAnswer): boolean => answer.status >= 200 && answer.status < 300;

function idOf(body: unknown): string | undefined {
  const id = (body as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' && id !== '' ? id : typeof id === 'number' ? String(id) : undefined;
}

/** HubSpot's own words from an error body (`{status, message, category, ...}`); the category when there is no message. */
export function wordsOf(body: unknown): string {
  const error = (body ?? {}) as { message?: unknown; category?: unknown; subCategory?: unknown };
  const category = typeof error.category === 'string' ? error.category : undefined;
  const message = typeof error.message === 'string' ? error.message : undefined;
  if (message && category) return `${category}: ${message}`;
  return message ?? category ?? 'no error body';
}

function urlOf(apiUrl: string, path: string): string {
  return `${apiUrl.replace(/\/+$/, '')}${path}`;
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
}
